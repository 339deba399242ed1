"""Disk cache for expensive precomputed kernels (integration matrices), keyed by their parameters.

Location: $SMATRIX_CACHE, else ~/.cache/smatrix-bootstrap; SMATRIX_CACHE=off disables it.
Entries are .npz files (no pickles) written atomically. Each entry stores, next to its arrays,
the parameters it was built from (`__params__`, JSON) and a SHA-256 of its content
(`__sha256__`: names, dtypes, shapes and bytes of every array). On load an entry is used only if

1. it is readable and holds every array the builder produces (the names stored at build time),
2. its parameters are the requested ones and its checksum matches its content, and
3. the caller's `check`, when given, passes: an independent recomputation of a few randomly
   chosen rows (`rows_agree`), so that even a well-formed entry with a valid checksum but wrong
   numbers (a tampered or stale file) is caught.

Anything else is reported on stderr and rebuilt — never trusted. Bump KERNEL_VERSION whenever a
formula that feeds a cached array changes; the key also holds the package version and the
numerical libraries' versions (smatrix.provenance.cache_provenance).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from .provenance import cache_provenance
from .result import config_hash

KERNEL_VERSION = 2         # 2: entries carry their parameters and a checksum
CHECK_ROWS = 6             # rows recomputed by `rows_agree` on every cache hit
_META = ("__params__", "__sha256__", "__names__")


class CacheEntryInvalid(Exception):
    """A cache entry that must not be used (the reason is the message)."""


def cache_dir() -> Path | None:
    env = os.environ.get("SMATRIX_CACHE")
    if env is not None and env.lower() in ("off", "0", "none", ""):
        return None
    return Path(env) if env else Path.home() / ".cache" / "smatrix-bootstrap"


def content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the names, dtypes, shapes and bytes of `arrays` (in name order)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def entry_params(name: str, params: dict) -> dict:
    """The full parameter record of an entry (name, kernel version and library versions included)."""
    return {"name": name, "version": KERNEL_VERSION, "provenance": cache_provenance(), **params}


def entry_path(name: str, params: dict) -> Path | None:
    """Where the entry for (name, params) lives (None when the cache is off)."""
    root = cache_dir()
    return None if root is None else root / f"{name}-{config_hash(entry_params(name, params))}.npz"


def _canonical(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def write_entry(path: Path, params: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays with their parameters and checksum, atomically (temporary file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"__params__": np.array(_canonical(params)), "__sha256__": np.array(content_sha256(arrays)),
            "__names__": np.array(sorted(arrays))}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays, **meta)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_entry(path: Path, params: dict) -> dict[str, np.ndarray]:
    """The arrays of a verified entry (conditions 1–2 of the module docstring), else CacheEntryInvalid."""
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise CacheEntryInvalid(f"unreadable ({exc})") from None
    missing_meta = [k for k in _META if k not in stored]
    if missing_meta:
        raise CacheEntryInvalid(f"no {', '.join(missing_meta)} (written by an older version or by hand)")
    arrays = {k: v for k, v in stored.items() if k not in _META}
    names = [str(n) for n in np.atleast_1d(stored["__names__"])]
    if sorted(arrays) != sorted(names):
        raise CacheEntryInvalid(f"holds arrays {sorted(arrays)}, expected {sorted(names)}")
    if str(stored["__params__"]) != _canonical(params):
        raise CacheEntryInvalid("built from other parameters")
    if str(stored["__sha256__"]) != content_sha256(arrays):
        raise CacheEntryInvalid("content does not match its checksum (altered)")
    return arrays


def cached_arrays(name: str, params: dict, build: Callable[[], dict[str, np.ndarray]],
                  check: Callable[[dict[str, np.ndarray]], bool] | None = None) -> dict[str, np.ndarray]:
    """Arrays from the cache entry for (name, params), building and storing them if absent or if
    the entry fails verification (module docstring); `check(arrays)` recomputes part of them
    independently and returns False when they disagree."""
    path = entry_path(name, params)
    if path is None:
        return build()
    full = entry_params(name, params)
    if path.exists():
        try:
            arrays = read_entry(path, full)
            if check is not None and not check(arrays):
                raise CacheEntryInvalid("recomputed rows disagree with the stored ones (altered or stale)")
            return arrays
        except CacheEntryInvalid as exc:
            print(f"smatrix: cache entry {path} rejected: {exc}; rebuilding", file=sys.stderr)
    arrays = build()
    try:
        write_entry(path, full, arrays)
    except OSError as exc:  # a read-only home must not stop a computation
        print(f"smatrix: could not write cache {path} ({exc})", file=sys.stderr)
    return arrays


def rows_agree(stored: np.ndarray, recompute: Callable[[np.ndarray], np.ndarray], rows: int = CHECK_ROWS,
               rtol: float = 1e-10, axis: int = 0) -> bool:
    """Recompute `rows` randomly chosen rows (indices along `axis`, always including the first and
    the last) with `recompute(indices)` and compare them with the stored ones, to rtol of the
    largest stored entry of those rows (the random choice keeps a targeted edit from dodging it)."""
    stored = np.asarray(stored)
    if stored.ndim == 0 or stored.shape[axis] == 0:
        return True
    n = stored.shape[axis]
    pick = np.random.default_rng().choice(n, size=min(rows, n), replace=False)
    idx = np.unique(np.concatenate([[0, n - 1], pick]))
    want = np.take(stored, idx, axis=axis)
    got = np.asarray(recompute(idx))
    if got.shape != want.shape:
        return False
    scale = max(float(np.max(np.abs(want))), np.finfo(float).tiny)
    return bool(np.all(np.isfinite(got) == np.isfinite(want))
                and np.max(np.abs(np.nan_to_num(got - want)), initial=0.0) <= rtol * scale)
