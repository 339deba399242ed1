"""Unitarity SOCPs of ill-conditioned ansätze, solved in orthonormal coordinates.

The constraints are ||(Re S_k, Im S_k)|| ≤ r_k with Re S_k − 1 and Im S_k linear in the
coefficients γ, and the objective is c0 or c2 (linear). Wavelet bases have condition numbers
~1e11–1e14, so the columns [Re S − 1; Im S; c0; c2] are normalised and an SVD gives an orthonormal
basis of their span; directions below `svd_cutoff` × σ_max are dropped (they move no constraint
and no objective by more than that). γ is recovered in extended precision.
"""
from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .objectives import objective_and_constraints
from .solve import Solve, solve


@dataclass
class ReducedSolution:
    solve: Solve
    gamma: np.ndarray | None  # longdouble, None unless (inaccurately) optimal
    rank_kept: int
    condition_dropped: float


def solve_reduced_socp(re_S1: np.ndarray, im_S: np.ndarray, eta: np.ndarray, c0_row: np.ndarray,
                       c2_row: np.ndarray, objective: str, c0: float | None, solver: str = "clarabel",
                       svd_cutoff: float = 1e-13) -> ReducedSolution:
    """max/min of c0 or c2 subject to |1 + d_k|² ≤ 1 − η_k, d_k = (re_S1 + i im_S)_k · γ = S_k − 1.

    Each constraint is imposed as the rotated cone |d|² ≤ x·1, x = −2 Re d − η, balanced by the
    row's own scale λ_k (|d_k| per unit of the orthonormal coordinates):
        ||(2d/√λ, x/λ − 1)|| ≤ x/λ + 1.
    In the plain form ||(1 + Re d, Im d)|| ≤ 1 the slack is ~|d| next to 1, which double precision
    cannot resolve for the tiny high-spin waves near threshold (f_J ~ (s − 4)^J); balanced, the slack
    and the cone are of the same size for every row."""
    m = re_S1.shape[0]
    A = np.vstack([re_S1, im_S, c0_row[None], c2_row[None]]).astype(float)
    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    Q, R = np.linalg.qr(A / norms)  # tall: QR first, then the small SVD (10× faster than a direct SVD)
    U, sv, Vt = np.linalg.svd(R)
    U = Q @ U
    keep = sv > svd_cutoff * sv[0]
    U, sv, Vt = U[:, keep], sv[keep], Vt[keep]
    D_re, D_im = U[:m], U[m:2 * m]
    lam = np.sqrt(np.sum(D_re**2, axis=1) + np.sum(D_im**2, axis=1))
    lam = np.maximum(lam, 1e-300)
    beta = cp.Variable(U.shape[1])
    x = ((-2 * D_re / lam[:, None]) @ beta) - np.asarray(eta, dtype=float) / lam
    d = cp.vstack([(2 * D_re / np.sqrt(lam)[:, None]) @ beta, (2 * D_im / np.sqrt(lam)[:, None]) @ beta])
    obj, fix = objective_and_constraints(objective, U[2 * m] @ beta, U[2 * m + 1] @ beta, c0)
    cone = cp.SOC(x + 1, cp.vstack([d, cp.reshape(x - 1, (1, m), order="C")]), axis=0)
    sol = solve(cp.Problem(obj, [cone, *fix]), solver)
    gamma = None
    if sol.status in ("optimal", "optimal_inaccurate"):
        # γ = diag(1/norms) Vᵀ diag(1/σ) β
        gamma = (Vt.T.astype(np.longdouble) @ (beta.value.astype(np.longdouble) / sv)) / norms
    return ReducedSolution(sol, gamma, int(keep.sum()), float(sv[-1] / sv[0]))
