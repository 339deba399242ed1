"""Disk cache for expensive precomputed kernels (integration matrices), keyed by their parameters.

Location: $SMATRIX_CACHE, else ~/.cache/smatrix-bootstrap; SMATRIX_CACHE=off disables it.
Entries are .npz files written atomically; an unreadable entry is rebuilt, never trusted.
Bump KERNEL_VERSION whenever a formula that feeds a cached array changes; the key also holds the
package version and the numerical libraries' versions (smatrix.provenance.cache_provenance).
"""
from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from .provenance import cache_provenance
from .result import config_hash

KERNEL_VERSION = 1


def cache_dir() -> Path | None:
    env = os.environ.get("SMATRIX_CACHE")
    if env is not None and env.lower() in ("off", "0", "none", ""):
        return None
    return Path(env) if env else Path.home() / ".cache" / "smatrix-bootstrap"


def cached_arrays(name: str, params: dict, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrays from the cache entry for (name, params), building and storing them if absent."""
    root = cache_dir()
    if root is None:
        return build()
    key = {'name': name, 'version': KERNEL_VERSION, 'provenance': cache_provenance(), **params}
    path = root / f"{name}-{config_hash(key)}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            print(f"smatrix: cache entry {path} unreadable ({exc}); rebuilding", file=sys.stderr)
    arrays = build()
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home must not stop a computation
        print(f"smatrix: could not write cache {path} ({exc})", file=sys.stderr)
    return arrays
