"""Parsing of physical numbers on the command line: `28pi`, `2.5*32pi`, `87.96`, `1e3`."""
from __future__ import annotations

import argparse
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


def number_arg(text: str) -> float:
    """argparse type: `parse_number`, with its error as argparse's one-line message."""
    try:
        return parse_number(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def ints_arg(text: str) -> tuple[int, ...]:
    """argparse type: comma-separated integers, e.g. `32,40,48`."""
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
