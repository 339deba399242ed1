"""The extended precision the wavelet amplitudes assume: numpy.longdouble.

On x86-64 Linux numpy.longdouble is the 80-bit x87 format (18 digits), but on some platforms
(Windows, macOS on Apple silicon, many aarch64 builds) it is plain float64. There the wavelet
and full-model amplitudes, whose coefficients reach 1e17 with large cancellations, lose the
digits their certificates rely on. No silent fallback is attempted (mpmath evaluation of the
certificate would be ~1000× slower): the guard warns loudly once per process and every result
built from such an amplitude is marked — `certificate["precision_warning"]`, a note in its
message, and `certified` left as re-measured (the re-measurement itself ran in float64, so the
note says how far to trust it). Use `--solver sdpb` (high-precision data and a 60-digit
re-check) for a result that does not depend on longdouble.
"""
from __future__ import annotations

import warnings

import numpy as np

_WARNED = False


def longdouble_info() -> dict:
    """{"kind", "digits", "extended"} of numpy.longdouble on this platform."""
    fi = np.finfo(np.longdouble)
    extended = bool(fi.eps < np.finfo(np.float64).eps)
    return {"kind": f"float{8 * np.dtype(np.longdouble).itemsize}" if extended else "float64",
            "digits": int(fi.precision), "extended": extended}


def extended_precision_available() -> bool:
    """True when numpy.longdouble carries more digits than float64."""
    return longdouble_info()["extended"]


PRECISION_NOTE = ("numpy.longdouble is float64 on this platform: the wavelet amplitude was evaluated "
                  "without extended precision, so cancellations among its large coefficients are "
                  "resolved to ~1e-16 only (use --solver sdpb for a high-precision result)")


def precision_note() -> str | None:
    """The warning text when extended precision is missing (warned loudly once), else None."""
    global _WARNED
    if extended_precision_available():
        return None
    if not _WARNED:
        warnings.warn(PRECISION_NOTE, RuntimeWarning, stacklevel=3)
        _WARNED = True
    return PRECISION_NOTE


__all__ = ["longdouble_info", "extended_precision_available", "precision_note", "PRECISION_NOTE"]
