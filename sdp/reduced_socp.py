"""Unitarity problems of ill-conditioned ansätze (the full model), solved in orthonormal coordinates.

The constraints are |S_k|² ≤ 1 − η_k with Re S_k − 1 and Im S_k linear in the coefficients γ, and
the objective is c0 or c2 (linear). Wavelet bases have condition numbers ~1e11–1e14, so the chain
of reductions (smatrix.sdp.reductions) is: OrthonormalBasis (directions below `svd_cutoff` × σ_max
dropped; γ recovered in extended precision), then RowBalancing for Clarabel/SCS (the balanced cone
of smatrix.sdp.problems.unitarity_socp), or ExactDigits + FixedC0Chart for SDPB.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp
import numpy as np

from .problems import ProblemData, SDPBForm, unitarity_sdpb, unitarity_socp
from .reductions import Basis, ExactDigits, FixedC0Chart, OrthonormalBasis, RowBalancing, UnitarityRows
from .sdpb import SDPBProblem
from .solve import Solution, solve


@dataclass
class ReducedSolution:
    solve: Solution
    gamma: np.ndarray | None  # longdouble, None unless (inaccurately) optimal
    rank_kept: int
    condition_dropped: float
    sdpb: dict | None = None  # SDPB's own report when it was the solver


@dataclass
class ReducedSDPB:
    """The reduced problem for SDPB: β = g0 + G y in the orthonormal coordinates of `red`."""

    problem: SDPBProblem
    red: Basis
    g0: np.ndarray
    G: np.ndarray
    c0_row: np.ndarray     # U's c0 and c2 rows (mpmath)
    c2_row: np.ndarray


def reduced_sdpb_problem(rows: UnitarityRows, objective: str, c0: float | None, svd_cutoff: float,
                         digits: int = 40) -> ReducedSDPB:
    """|S_k| ≤ sqrt(1 − η_k) as 2×2 blocks in the orthonormal coordinates β (the data are the
    float64 reduction, converted exactly)."""
    ortho, basis = OrthonormalBasis(svd_cutoff).apply(rows)
    exact, _ = ExactDigits(digits).apply(ortho)
    affine, (g0, G) = FixedC0Chart(c0, digits).apply(exact)
    problem = unitarity_sdpb(affine, objective, digits, {"model": "full", "objective": objective, "c0": c0,
                                                         "rank": basis.rank})
    return ReducedSDPB(problem, basis, g0, G, exact.c0_row, exact.c2_row)


def reduced_solution_from_sdpb(rs: ReducedSDPB, res, objective: str) -> ReducedSolution:
    """β = g0 + G y from an SDPB run of `rs`, and γ in extended precision."""
    with mp.workdps(rs.problem.digits):
        beta = rs.g0 + rs.G @ np.array(res.y, dtype=object)
        value = float(rs.c0_row @ beta if objective == "max-c0" else rs.c2_row @ beta)
    status = "optimal" if res.optimal else f"sdpb: {res.terminate_reason}"
    sol = Solution(status, value, res.seconds, None, "" if res.optimal else f"SDPB stopped: {res.terminate_reason}")
    return ReducedSolution(sol, rs.red.gamma(np.array([float(b) for b in beta])), rs.red.rank,
                           rs.red.condition_dropped,
                           sdpb={"terminate_reason": res.terminate_reason, "duality_gap": float(res.duality_gap),
                                 "primal_error": float(res.primal_error), "dual_error": float(res.dual_error),
                                 "seconds": res.seconds, "blocks": rs.red.m, "variables": rs.problem.variables})


def solve_reduced(rows: UnitarityRows, objective: str, c0: float | None, solver: str = "clarabel",
                  svd_cutoff: float = 1e-13, digits: int = 40, timeout: float = 600.0) -> ReducedSolution:
    """max/min of c0 or c2 subject to |1 + d_k|² ≤ 1 − η_k, d_k = (re_S1 + i im_S)_k · γ = S_k − 1, by
    any back-end: Clarabel/SCS on the balanced cone, SDPB at `digits` digits (256 bits), a second
    solver for Clarabel's optimal_inaccurate."""
    ortho, basis = OrthonormalBasis(svd_cutoff).apply(rows)

    def form(d: int | None) -> SDPBForm:
        rs = reduced_sdpb_problem(rows, objective, c0, svd_cutoff, d or digits)
        return SDPBForm(rs.problem, lambda res: {"handle": rs})
    data = ProblemData("full-primal", cvxpy=unitarity_socp(RowBalancing().apply(ortho)[0], objective, c0), sdpb=form)
    sdpb = {"digits": digits, "timeout": timeout} if solver == "sdpb" else {}
    sol = solve(data, solver, **sdpb)
    if sdpb:
        return reduced_solution_from_sdpb(sol.outputs["handle"], sol.raw, objective)
    gamma = basis.gamma(sol.outputs["x"]) if sol.solved else None
    return ReducedSolution(sol, gamma, basis.rank, basis.condition_dropped)
