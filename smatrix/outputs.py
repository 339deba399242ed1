"""Output paths checked before any work is done, so that a long run never ends unable to write."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import BadInput


def check_output_file(path: str | Path, what: str, overwrite: bool = True) -> Path:
    """Refuse (BadInput) an output file that could not be written (missing or read-only directory,
    a directory in its place, an existing file when `overwrite` is False)."""
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"{what} {path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise BadInput(f"{what} {path} already exists; remove it or give another path")
    parent = path.parent
    if not parent.is_dir():
        raise BadInput(f"cannot write {what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInput(f"cannot write {what} {path}: permission denied")
    return path


def check_output_dir(path: str | Path, what: str) -> Path:
    """Refuse (BadInput) an output directory that exists as a file or could not be created/written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInput(f"{what} {path} exists and is not a directory")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise BadInput(f"cannot write {what} {path}: {probe} is not a writable directory")
    return path
