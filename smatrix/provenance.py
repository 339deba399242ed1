"""Provenance of a result: the package version, its git revision, the numerical libraries and
the host that produced it (recorded in every Result, in cache keys and by `smatrix --version`).

Library versions are read from the installed distributions' metadata, never by importing them
(asking for torch's version must not import torch).
"""
from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from .precision import longdouble_info

DISTRIBUTION = "smatrix-bootstrap"
LIBRARIES = ("numpy", "scipy", "mpmath", "cvxpy", "clarabel", "scs", "matplotlib", "torch")
NUMERIC_LIBRARIES = ("numpy", "scipy", "mpmath")   # those whose numerics feed the cached kernels


def package_version() -> str:
    """The version of the running code (smatrix.__version__, which pyproject.toml reads)."""
    from . import __version__
    return __version__


def library_versions(names=LIBRARIES) -> dict[str, str | None]:
    """{name: version} of the installed distributions (None: not installed)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The commit of the source tree this code runs from, with "-dirty" if it has uncommitted
    changes; None outside a git checkout (an installed wheel)."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


@lru_cache(maxsize=1)
def provenance() -> dict:
    """Version, git revision, library versions, host and the precision of numpy.longdouble."""
    return {"package": DISTRIBUTION, "version": package_version(), "git_revision": git_revision(),
            "python": platform.python_version(), "libraries": library_versions(),
            "host": {"node": platform.node(), "system": platform.system(), "machine": platform.machine()},
            "longdouble": longdouble_info()}


@lru_cache(maxsize=1)
def cache_provenance() -> dict:
    """The part of the provenance that can change a cached kernel: the package version and the
    numerical libraries (not the host or the revision: a commit that changes a cached formula
    bumps smatrix.cache.KERNEL_VERSION)."""
    return {"version": package_version(), "libraries": library_versions(NUMERIC_LIBRARIES),
            "longdouble_digits": longdouble_info()["digits"]}


def version_text() -> str:
    """`smatrix --version`: one line per item."""
    p = provenance()
    libs = ", ".join(f"{k} {v}" for k, v in p["libraries"].items() if v is not None)
    missing = [k for k, v in p["libraries"].items() if v is None]
    lines = [f"smatrix-bootstrap {p['version']} (git {p['git_revision'] or 'unknown'})",
             f"python {p['python']} on {p['host']['system']} {p['host']['machine']} ({p['host']['node']})",
             f"libraries: {libs}" + (f"; not installed: {', '.join(missing)}" if missing else ""),
             f"numpy.longdouble: {p['longdouble']['kind']} ({p['longdouble']['digits']} digits)"]
    return "\n".join(lines)


__all__ = ["provenance", "cache_provenance", "package_version", "library_versions", "git_revision",
           "version_text"]
