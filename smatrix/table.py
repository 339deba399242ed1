"""Tables of S_J(s) for Mathematica (and any other reader): s, Re S_J, Im S_J as decimal strings
with every digit the evaluation carries.

- `.m`: a Mathematica list {{s, Re S0, Im S0, Re S2, …}, …} of numbers with precision marks
  (`1.2345…`18*^-3`), so `Get["table.m"]` gives arbitrary-precision numbers, not machine reals;
- `.tsv` / `.csv`: a header line, then plain scientific notation (Import[…, "Table"] reads it).

Precision: longdouble amplitudes (wavelets) are evaluated in longdouble (18 digits on x86-64);
with the mpmath coefficients of an SDPB run, S0 is evaluated in mpmath at that run's digits.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import mpmath as mp
import numpy as np

from .amplitude import wavelet_f0_rows
from .errors import BadInput
from .wavelets import xsqrt


def s_matrix_columns(amplitude, s, spins: Sequence[int] = (0,), coefficients_mp=None,
                     digits: int = 60) -> tuple[list[list], int]:
    """Columns [s, Re S_J, Im S_J for J in spins] as Python numbers (mpmath or numpy scalars) and
    the number of significant digits they carry."""
    s = np.asarray(s, dtype=float)
    if coefficients_mp is not None:
        if list(spins) != [0]:
            raise BadInput("the mpmath evaluation (SDPB coefficients) covers S0 only: use `spins` 0")
        with mp.workdps(digits):
            sm = np.array([mp.mpf(float(v)) for v in s], dtype=object)
            sig = np.array([mp.mpf(float(v)) for v in amplitude.centres], dtype=object)
            f0 = wavelet_f0_rows(sig, sm) @ np.asarray(coefficients_mp, dtype=object) / (16 * mp.pi)
            S = 1 + 1j * xsqrt((sm - 4) / sm) * f0       # S0 = 1 + iϱ f0 (spec README)
            return [list(sm), [mp.re(v) for v in S], [mp.im(v) for v in S]], digits
    cols, prec = [list(s)], 17
    for J in spins:
        S = np.asarray(amplitude.S(J, s))
        kind = np.longdouble if S.dtype == np.clongdouble else float
        cols += [list(S.real.astype(kind)), list(S.imag.astype(kind))]
        prec = max(prec, int(np.finfo(kind).precision) + 2)
    return cols, prec


def _text(x, digits: int) -> str:
    """mpmath: `digits` digits; float64 (the energies): the exact decimal value of the binary
    number; longdouble: the shortest string that reads back to the same number."""
    if isinstance(x, mp.mpf):
        return mp.nstr(x, digits, strip_zeros=False, min_fixed=1, max_fixed=0)
    if isinstance(x, float):
        return np.format_float_scientific(x, precision=digits - 1, unique=False)
    return np.format_float_scientific(x, unique=True)


def _mathematica(text: str, digits: int) -> str:
    """1.5e-3 → 1.5`D*^-3 (precision mark D digits: an arbitrary-precision number in Mathematica)."""
    mant, _, exp = text.lower().partition("e")
    return f"{mant}`{digits}" + (f"*^{int(exp)}" if exp else "")


def write_table(path: str | Path, columns: list[list], digits: int, spins: Sequence[int]) -> Path:
    """Write the columns as .m (Mathematica list with precision marks), .tsv or .csv."""
    path = Path(path)
    rows = list(zip(*[[_text(x, digits) for x in col] for col in columns]))
    if path.suffix == ".m":
        body = ",\n".join("{" + ", ".join(_mathematica(t, digits) for t in row) + "}" for row in rows)
        header = "(* s, " + ", ".join(f"Re S{J}, Im S{J}" for J in spins) + " *)\n"
        path.write_text(header + "{\n" + body + "\n}\n")
    elif path.suffix in (".tsv", ".csv"):
        sep = "\t" if path.suffix == ".tsv" else ","
        head = sep.join(["s", *[f"{p}S{J}" for J in spins for p in ("Re", "Im")]])
        path.write_text(head + "\n" + "\n".join(sep.join(row) for row in rows) + "\n")
    else:
        raise BadInput(f"table {path}: use a .m, .tsv or .csv file name")
    return path


__all__ = ["s_matrix_columns", "write_table"]
