"""The reductions of the unitarity problems, each written once as an apply/invert pair in the manner
of cvxpy's reductions: `apply(data) -> (data', inverse_data)` maps a problem to a simpler one,
`invert(solution', inverse_data) -> solution` maps the simpler problem's solution back.

- `UVElimination(B)`: the UV condition (and any other exact linear elimination of coefficients)
  as α = B γ; applied to rows on α it gives rows on γ.
- `OrthonormalBasis(svd_cutoff)`: orthonormal coordinates β of the span of the columns
  [Re S − 1; Im S; c0; c2] (QR + SVD of the normalised columns), γ recovered in extended precision.
- `RowBalancing()`: each unitarity row scaled by its own size λ_k (the cone is then imposed in the
  balanced rotated form, see `smatrix.sdp.problems`); the variables are unchanged.
- `ExactDigits(digits)`: the float64 data converted exactly to mpmath numbers (for SDPB).
- `FixedC0Chart(c0, digits)`: the equality c0·x = c̄0 eliminated exactly (x = g0 + G y), the rows
  becoming affine in y with the constant column first — SDPB has no equality constraints.

`Chain` applies several in order and inverts them in reverse.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import mpmath as mp
import numpy as np

from .sdpb import affine_chart


@dataclass(frozen=True)
class UnitarityRows:
    """|S_k| ≤ r_k with S_k − 1 = (re_S1 + i im_S)_k · x linear in the variables x, and the objective
    rows c0·x, c2·x. `radius` r_k is used by the plain cone ‖(Re S, Im S)‖ ≤ r (a number or one per
    row), `eta` (r² = 1 − η) by the balanced cone and by SDPB; `scale` (row balancing) selects the
    balanced cone; `bounds` are (index, lo, hi) boxes on single variables."""

    re_S1: np.ndarray
    im_S: np.ndarray
    c0_row: np.ndarray
    c2_row: np.ndarray
    radius: float | np.ndarray | None = 1.0
    eta: np.ndarray | None = None
    scale: np.ndarray | None = None
    bounds: tuple = ()

    @property
    def m(self) -> int:
        return self.re_S1.shape[0]

    @property
    def n(self) -> int:
        return self.re_S1.shape[1]


class Reduction(Protocol):
    """apply: problem data → (reduced data, what `invert` needs); invert: reduced solution → solution."""

    def apply(self, data) -> tuple[Any, Any]: ...

    def invert(self, solution, inverse_data): ...


@dataclass(frozen=True)
class UVElimination:
    """α = B γ: every row on α becomes a row on γ (`apply` takes a dict of row arrays, numeric or
    mpmath object arrays); `invert` maps γ back to α (extended precision for numeric γ)."""

    B: np.ndarray

    def apply(self, rows: dict) -> tuple[dict, np.ndarray]:
        return {k: v @ self.B for k, v in rows.items()}, self.B

    @staticmethod
    def invert(gamma, B) -> np.ndarray:
        if B.dtype == object:
            return B @ gamma
        return B.astype(np.longdouble) @ np.asarray(gamma, dtype=np.longdouble)


@dataclass
class Basis:
    """Rows [Re S − 1; Im S; c0; c2] = U β (m rows each for Re S − 1 and Im S),
    γ = diag(1/norms) Vᵀ diag(1/σ) β."""

    U: np.ndarray
    sv: np.ndarray
    Vt: np.ndarray
    norms: np.ndarray
    m: int

    @property
    def rank(self) -> int:
        return self.sv.size

    @property
    def condition_dropped(self) -> float:
        return float(self.sv[-1] / self.sv[0])

    def gamma(self, beta) -> np.ndarray:
        return (self.Vt.T.astype(np.longdouble) @ (np.asarray(beta, dtype=np.longdouble) / self.sv)) / self.norms


@dataclass(frozen=True)
class OrthonormalBasis:
    """QR + SVD of the normalised columns [Re S − 1; Im S; c0; c2]; directions below
    `svd_cutoff` × σ_max are dropped (they move no constraint and no objective by more than that)."""

    svd_cutoff: float

    def apply(self, rows: UnitarityRows) -> tuple[UnitarityRows, Basis]:
        if rows.bounds:
            raise ValueError("variable bounds do not survive a change of basis")
        A = np.vstack([rows.re_S1, rows.im_S, rows.c0_row[None], rows.c2_row[None]]).astype(float)
        norms = np.linalg.norm(A, axis=0)
        norms[norms == 0] = 1.0
        Q, R = np.linalg.qr(A / norms)  # tall: QR first, then the small SVD (10× faster than a direct SVD)
        U, sv, Vt = np.linalg.svd(R, full_matrices=False)  # R is wide when wavelets outnumber the rows
        keep = sv > self.svd_cutoff * sv[0]
        basis = Basis((Q @ U)[:, keep], sv[keep], Vt[keep], norms, rows.m)
        m, U = rows.m, basis.U
        return replace(rows, re_S1=U[:m], im_S=U[m:2 * m], c0_row=U[2 * m], c2_row=U[2 * m + 1]), basis

    @staticmethod
    def invert(beta, basis: Basis) -> np.ndarray:
        return basis.gamma(beta)


@dataclass(frozen=True)
class RowBalancing:
    """λ_k = |d_k| per unit of the coordinates (d_k = S_k − 1): each row's own scale, with which the
    balanced cone is written (the slack and the cone are then of the same size for every row)."""

    def apply(self, rows: UnitarityRows) -> tuple[UnitarityRows, None]:
        lam = np.sqrt(np.sum(rows.re_S1**2, axis=1) + np.sum(rows.im_S**2, axis=1))
        return replace(rows, scale=np.maximum(lam, 1e-300)), None

    @staticmethod
    def invert(x, _):
        return x


@dataclass(frozen=True)
class ExactDigits:
    """Every float64 entry converted exactly to an mpmath number at `digits` digits."""

    digits: int

    def apply(self, rows: UnitarityRows) -> tuple[UnitarityRows, int]:
        with mp.workdps(self.digits):
            mpf = np.vectorize(mp.mpf, otypes=[object])
            eta = None if rows.eta is None else np.array([mp.mpf(float(e)) for e in rows.eta], dtype=object)
            return replace(rows, re_S1=mpf(rows.re_S1), im_S=mpf(rows.im_S), c0_row=mpf(rows.c0_row),
                           c2_row=mpf(rows.c2_row), eta=eta, radius=None), self.digits

    @staticmethod
    def invert(x, digits: int) -> np.ndarray:
        with mp.workdps(digits):
            return np.array([float(v) for v in x])


@dataclass(frozen=True)
class FixedC0Chart:
    """x = g0 + G y on {c0·x = c̄0} (the identity with c0 free): rows become [X g0, X G], affine in y
    with the constant column first; exact in the working precision of `digits`."""

    c0: float | None
    digits: int

    def apply(self, rows: UnitarityRows) -> tuple[UnitarityRows, tuple]:
        with mp.workdps(self.digits):
            g0, G = affine_chart(rows.c0_row, None if self.c0 is None else mp.mpf(self.c0))
            col = lambda X: np.column_stack([X @ g0, X @ G])
            return replace(rows, re_S1=col(rows.re_S1), im_S=col(rows.im_S), c0_row=col(rows.c0_row[None])[0],
                           c2_row=col(rows.c2_row[None])[0]), (g0, G)

    def invert(self, y, chart: tuple) -> np.ndarray:
        g0, G = chart
        with mp.workdps(self.digits):
            return g0 + G @ np.array(y, dtype=object)


@dataclass(frozen=True)
class Chain:
    """Reductions applied in order, inverted in reverse order."""

    steps: tuple

    def apply(self, data) -> tuple[Any, list]:
        inverse = []
        for step in self.steps:
            data, inv = step.apply(data)
            inverse.append(inv)
        return data, inverse

    def invert(self, solution, inverse: list):
        for step, inv in zip(reversed(self.steps), reversed(inverse)):
            solution = step.invert(solution, inv)
        return solution
