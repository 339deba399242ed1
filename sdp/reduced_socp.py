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
import mpmath as mp
import numpy as np

from .objectives import objective_and_constraints
from .sdpb import SDPBProblem, affine_chart, run_sdpb, unitarity_blocks
from .solve import Solve, solve


@dataclass
class ReducedSolution:
    solve: Solve
    gamma: np.ndarray | None  # longdouble, None unless (inaccurately) optimal
    rank_kept: int
    condition_dropped: float
    sdpb: dict | None = None  # SDPB's own report when it was the solver


@dataclass
class Reduction:
    """Orthonormal coordinates β of the span of the columns: rows [Re S − 1; Im S; c0; c2] = U β
    (m rows each for Re S − 1 and Im S), γ = diag(1/norms) Vᵀ diag(1/σ) β."""

    U: np.ndarray
    sv: np.ndarray
    Vt: np.ndarray
    norms: np.ndarray
    m: int

    @property
    def rank(self) -> int:
        return self.sv.size

    def gamma(self, beta) -> np.ndarray:
        return (self.Vt.T.astype(np.longdouble) @ (np.asarray(beta, dtype=np.longdouble) / self.sv)) / self.norms


def reduce_columns(re_S1: np.ndarray, im_S: np.ndarray, c0_row: np.ndarray, c2_row: np.ndarray,
                   svd_cutoff: float) -> Reduction:
    """QR + SVD of the normalised columns; directions below `svd_cutoff` × σ_max are dropped."""
    A = np.vstack([re_S1, im_S, c0_row[None], c2_row[None]]).astype(float)
    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    Q, R = np.linalg.qr(A / norms)  # tall: QR first, then the small SVD (10× faster than a direct SVD)
    U, sv, Vt = np.linalg.svd(R, full_matrices=False)  # R is wide when wavelets outnumber the rows
    keep = sv > svd_cutoff * sv[0]
    return Reduction((Q @ U)[:, keep], sv[keep], Vt[keep], norms, re_S1.shape[0])


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
    red = reduce_columns(re_S1, im_S, c0_row, c2_row, svd_cutoff)
    m, U = red.m, red.U
    D_re, D_im = U[:m], U[m:2 * m]
    lam = np.sqrt(np.sum(D_re**2, axis=1) + np.sum(D_im**2, axis=1))
    lam = np.maximum(lam, 1e-300)
    beta = cp.Variable(red.rank)
    x = ((-2 * D_re / lam[:, None]) @ beta) - np.asarray(eta, dtype=float) / lam
    d = cp.vstack([(2 * D_re / np.sqrt(lam)[:, None]) @ beta, (2 * D_im / np.sqrt(lam)[:, None]) @ beta])
    obj, fix = objective_and_constraints(objective, U[2 * m] @ beta, U[2 * m + 1] @ beta, c0)
    cone = cp.SOC(x + 1, cp.vstack([d, cp.reshape(x - 1, (1, m), order="C")]), axis=0)
    sol = solve(cp.Problem(obj, [cone, *fix]), solver)
    gamma = red.gamma(beta.value) if sol.status in ("optimal", "optimal_inaccurate") else None
    return ReducedSolution(sol, gamma, red.rank, float(red.sv[-1] / red.sv[0]))


@dataclass
class ReducedSDPB:
    """The reduced problem for SDPB: β = g0 + G y in the orthonormal coordinates of `red`."""

    problem: SDPBProblem
    red: Reduction
    g0: np.ndarray
    G: np.ndarray
    c0_row: np.ndarray     # U's c0 and c2 rows (mpmath)
    c2_row: np.ndarray


def reduced_sdpb_problem(re_S1: np.ndarray, im_S: np.ndarray, eta: np.ndarray, c0_row: np.ndarray,
                         c2_row: np.ndarray, objective: str, c0: float | None, svd_cutoff: float,
                         digits: int = 40) -> ReducedSDPB:
    """|S_k| ≤ sqrt(1 − η_k) as 2×2 blocks in the orthonormal coordinates β (the data are the
    float64 reduction, converted exactly)."""
    red = reduce_columns(re_S1, im_S, c0_row, c2_row, svd_cutoff)
    m = red.m
    with mp.workdps(digits):
        U = np.vectorize(mp.mpf, otypes=[object])(red.U)
        g0, G = affine_chart(U[2 * m], None if c0 is None else mp.mpf(c0))  # β = g0 + G y
        col = lambda X: np.column_stack([X @ g0, X @ G])
        target = {"max-c0": U[2 * m], "max-c2": U[2 * m + 1], "min-c2": -U[2 * m + 1]}[objective]
        radius = np.array([mp.sqrt(1 - mp.mpf(float(e))) for e in eta], dtype=object)
        problem = SDPBProblem(objective=list(col(target[None, :])[0]),
                              blocks=list(unitarity_blocks(col(U[:m]), col(U[m:2 * m]), radius)), digits=digits,
                              meta={"model": "full", "objective": objective, "c0": c0, "rank": red.rank})
    return ReducedSDPB(problem, red, g0, G, U[2 * m], U[2 * m + 1])


def reduced_solution_from_sdpb(rs: ReducedSDPB, res, objective: str) -> ReducedSolution:
    """β = g0 + G y from an SDPB run of `rs`, and γ in extended precision."""
    with mp.workdps(rs.problem.digits):
        beta = rs.g0 + rs.G @ np.array(res.y, dtype=object)
        value = float(rs.c0_row @ beta if objective == "max-c0" else rs.c2_row @ beta)
    status = "optimal" if res.optimal else f"sdpb: {res.terminate_reason}"
    sol = Solve(status, value, res.seconds, None, "" if res.optimal else f"SDPB stopped: {res.terminate_reason}")
    return ReducedSolution(sol, rs.red.gamma(np.array([float(b) for b in beta])), rs.red.rank,
                           float(rs.red.sv[-1] / rs.red.sv[0]),
                           sdpb={"terminate_reason": res.terminate_reason, "duality_gap": float(res.duality_gap),
                                 "primal_error": float(res.primal_error), "dual_error": float(res.dual_error),
                                 "seconds": res.seconds, "blocks": rs.red.m, "variables": rs.problem.variables})


def solve_reduced_sdpb(re_S1: np.ndarray, im_S: np.ndarray, eta: np.ndarray, c0_row: np.ndarray,
                       c2_row: np.ndarray, objective: str, c0: float | None, svd_cutoff: float,
                       digits: int = 40, timeout: float = 600.0) -> ReducedSolution:
    """The reduced problem through SDPB (256 bits), a second solver for Clarabel's optimal_inaccurate."""
    rs = reduced_sdpb_problem(re_S1, im_S, eta, c0_row, c2_row, objective, c0, svd_cutoff, digits)
    return reduced_solution_from_sdpb(rs, run_sdpb(rs.problem, timeout=timeout), objective)
