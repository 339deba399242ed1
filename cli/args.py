"""argparse types of the command layer: physical numbers (`28pi`) and integer lists (`32,40,48`),
with the core's parse errors as argparse's one-line messages."""
from __future__ import annotations

import argparse

from smatrix.numbers import parse_number


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
