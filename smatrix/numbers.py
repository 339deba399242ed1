"""Parsing of physical numbers given as text (command line, Python API): `28pi`, `2.5*32pi`, `87.96`, `1e3`."""
from __future__ import annotations

import math
import re

_TOKEN = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)?\s*\*?\s*(pi|π)?\s*$")


def parse_number(text: str) -> float:
    """A float, optionally a product of factors each ending in `pi`: '28pi', '2.5*32pi', 'pi'."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"not a number: {text!r}")
    value = 1.0
    for factor in text.replace(" ", "").split("*"):
        m = _TOKEN.match(factor)
        if not m or (m.group(1) is None and m.group(2) is None):
            raise ValueError(f"not a number: {text!r} (examples: 28pi, 2.5*32pi, 87.96)")
        value *= (float(m.group(1)) if m.group(1) else 1.0) * (math.pi if m.group(2) else 1.0)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value
