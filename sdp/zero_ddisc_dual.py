"""Chebyshev dual SDP of the zero-ddisc model (P1 §4.2, eqs. (53)–(55), (78)–(81), (94)–(98)).

Dual variables (eq. 38/78): the analyticity multiplier w(s) on [4, Λ], expanded in Chebyshev
polynomials T_n(y) of y = 2θ(s)/θ(Λ) − 1 (θ the wavelet angle of eq. 91, so the expansion is as
dense at threshold as the amplitudes are; the linear map of (94) wastes its nodes at large s
when Λ is large), with w(4) = w(Λ) = 0 (eq. 96); the sum-rule multiplier ν ≥ 0 (ν = 0 with
the sum rule off); μ = −b fixed by the c2 objective; κ for a fixed c0 (eq. 81). The unitarity
multipliers enter through λ(s) sampled at quadrature nodes of [4, Λ] and [Λ, s_max] (eq. 98)
with the 2×2 condition (54) as a second-order cone ‖(F, w/ϱ)‖ ≤ 2λ + F below Λ and
λ ≥ max(0, −F) above.

Objective a·c0 + b·c2 (max-c0: (1, 0); min-c0: (−1, 0); direction: (a, b)) or ±c2 at fixed c0.
The e.o.m. of c0 (eqs. 42, 79, 81) reads a + κ + ν = (1/16π)∫w.

Certification: for the returned (w, ν) the optimal λ* is known in closed form (eq. 46), so the
exact dual objective D[w] (eq. 47) — a rigorous bound for any w — is re-evaluated with 4× and
8× denser Gauss–Legendre quadrature; the bound reported is the 8× value plus the difference of
the two (quadrature error estimate) plus a UV-tail estimate beyond s_max. Multipliers that the
solver left slightly off (ν < 0, the c0 e.o.m.) are recomputed exactly from w, not trusted.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import cvxpy as cp
import mpmath as mp
import numpy as np

from smatrix.problem import OBJECTIVES as DUAL_OBJECTIVES
from smatrix.dual import (AuxiliaryF, DualDirection, DualGrid, certified_bound,
                          dual_objective, dual_quadrature)
from smatrix.errors import BadInput
from smatrix.grids import theta_of_s
from smatrix.kinematics import phase_space
from smatrix.result import Result
from smatrix.status import OPTIMAL, OPTIMAL_INACCURATE

from .problems import Compiled, ParametricProblem, ProblemData, SDPBForm, array_key
from .sdpb import AffineChart, SDPBProblem, affine_parametrisation
from .solve import solve

__all__ = ["DUAL_OBJECTIVES", "DualConfig", "DualDirection", "solve_dual", "certify_dual"]
_Q_SOLVE = 2     # Gauss–Legendre nodes per segment where positivity is imposed


@dataclass(frozen=True)
class DualConfig:
    cutoff: float = 1e5          # Λ: w is supported on [4, Λ]
    n_cheb: int = 40             # Chebyshev degree of w
    nodes: int = 800             # positivity nodes (IR + UV)
    sum_rule: bool = True
    s_max: float = 1e16          # last UV node; beyond it a tail estimate
    uv_fraction: float = 0.25    # share of the nodes above Λ
    solver: str = "clarabel"
    tolerance: float = 1e-6      # relative quadrature-error estimate accepted for "certified"


@dataclass(frozen=True)
class DualOperators:
    """The node-basis quadrature of smatrix.dual composed with the Chebyshev basis E."""

    grid: DualGrid
    s_ir: np.ndarray
    q_ir: np.ndarray
    s_uv: np.ndarray
    q_uv: np.ndarray
    E: np.ndarray           # w at the grid nodes = E @ coef
    w_ir: np.ndarray        # w(s_ir) = w_ir @ coef
    F_ir: AuxiliaryF        # F(s_ir) = F_ir(coef, ν, μ), eq. (80)
    F_uv: AuxiliaryF
    int_w: np.ndarray       # ∫_4^Λ w ds = int_w @ coef
    boundary: np.ndarray    # rows giving w(4), w(Λ)


def _check_config(c: DualConfig) -> None:
    if not (math.isfinite(c.cutoff) and c.cutoff > 4.0):
        raise BadInput(f"`cutoff` Λ must be above threshold (Λ > 4), got {c.cutoff}")
    if c.n_cheb < 2:
        raise BadInput(f"`n_cheb` must be ≥ 2 (w(4) = w(Λ) = 0 leaves n_cheb − 1 free), got {c.n_cheb}")
    if c.nodes < 16:
        raise BadInput(f"`nodes` too small: {c.nodes} (need ≥ 16)")
    if not c.s_max > 10 * c.cutoff:
        raise BadInput(f"s_max = {c.s_max:g} must lie well above the cutoff Λ = {c.cutoff:g}")
    if not 0.05 <= c.uv_fraction <= 0.75:
        raise BadInput("uv_fraction must lie in [0.05, 0.75]")


def _segments(c: DualConfig) -> tuple[int, int]:
    uv = max(4, int(round(c.uv_fraction * c.nodes / _Q_SOLVE)))
    ir = max(4, c.nodes // _Q_SOLVE - uv)
    return ir, uv


def chebyshev_basis(grid: DualGrid, s, n_cheb: int) -> np.ndarray:
    """T_n(y(s)), y = 2θ(s)/θ(Λ) − 1, n = 0..n_cheb."""
    y = 2.0 * theta_of_s(s) / theta_of_s(grid.cutoff) - 1.0
    return np.polynomial.chebyshev.chebvander(np.clip(y, -1.0, 1.0), n_cheb)


@lru_cache(maxsize=8)
def dual_operators(cutoff: float, n_cheb: int, ir_segments: int, uv_segments: int,
                   s_max: float, q: int) -> DualOperators:
    quad = dual_quadrature(cutoff, ir_segments, uv_segments, s_max, q)
    E = chebyshev_basis(quad.grid, quad.grid.nodes, n_cheb)  # piecewise-linear w through these values
    return DualOperators(quad.grid, quad.s_ir, quad.q_ir, quad.s_uv, quad.q_uv, E, quad.W_ir @ E,
                         AuxiliaryF.at(quad.s_ir, quad.K_ir @ E), AuxiliaryF.at(quad.s_uv, quad.K_uv @ E),
                         quad.grid.integral_row @ E, E[[0, -1]])


def _operators(c: DualConfig, q: int) -> DualOperators:
    ir, uv = _segments(c)
    return dual_operators(float(c.cutoff), int(c.n_cheb), ir, uv, float(c.s_max), q)


def solve_dual(objective: str, c0: float | None = None, config: DualConfig = DualConfig(),
               direction=None, procs: int = 1, checkpoint: str | None = None) -> Result:
    """Dual bound of the zero-ddisc model; the reported value is re-evaluated (certified). `procs`:
    MPI ranks of SDPB ≥ 2.7, `checkpoint`: see smatrix.sdp.sdpb.checkpoint_reuse (solver "sdpb")."""
    d = DualDirection.from_objective(objective, c0, direction)
    _check_config(config)
    t0 = time.perf_counter()
    cfg = {"model": "zero-ddisc", "method": "dual-sdp", "objective": objective, "c0": c0,
           "direction": None if direction is None else list(map(float, direction)), **asdict(config)}
    if d.c0_fixed is not None and d.c0_fixed < 0:
        return _no_bound(objective, c0, cfg, t0, config.solver, "infeasible",
                         "c0 < 0 admits no unitary amplitude: the sum rule (24) gives c0 = (3/π)∫ρ/(s−4/3) ≥ 0")
    ops = _operators(config, _Q_SOLVE)
    sdpb = {"digits": 40, "timeout": 1800.0, "procs": procs, "checkpoint": checkpoint} if config.solver == "sdpb" else {}
    sol = solve(dual_problem_data(config, ops, d), config.solver, **sdpb)
    if sdpb:
        return dual_result_from_sdpb(sol.outputs["handle"], sol.raw, d, config, ops, objective, c0, cfg, t0)
    if not sol.solved:
        status, msg = sol.status, sol.message or f"solver status: {sol.status}"
        if status == "failed":
            msg += (f" — at Λ = {config.cutoff:g}; the max-c0 bound is converged by Λ ≈ 1e5 (sum rule on) and "
                    "Λ ≈ 300 (off), see docs/dual.md: try a smaller --cutoff")
        if d.c0_fixed is not None:   # above the maximal c0 the dual is unbounded below: prove it
            top = solve_dual("max-c0", None, config)
            if top.value is not None and d.c0_fixed > top.value:
                status, msg = "infeasible", (f"no amplitude has c0 = {d.c0_fixed:.8g}: the dual bound proves "
                                             f"c0 ≤ {top.value:.8g} ({top.value / np.pi:.6g}π)")
        return _no_bound(objective, c0, cfg, t0, config.solver, status, msg)
    x = sol.outputs
    a_val = np.asarray(x["coef"], dtype=float)
    nu_val = max(float(x["nu"]), 0.0) if config.sum_rule else 0.0
    info = {"solver_objective": float(sol.value), "solver_iterations": sol.iterations,
            "solver_cone_margin": _cone_margin(x["m_ir"], x["m_uv"], x["qF_ir"], x["w_ir"], x["F_uv"], ops),
            "solver_seconds": sol.seconds}
    return _certified_result(d, config, ops, a_val, nu_val, sol.status, info, objective, cfg, t0)


def dual_problem_data(config: DualConfig, ops: DualOperators, d: DualDirection) -> ProblemData:
    """The dual for any back-end: the SOCP with μ and c0 (fixed) or a (free) as Parameters — one
    compiled problem for every slice of a scan — and the SDP of `dual_sdpb_problem` for SDPB."""
    fixed = d.c0_fixed is not None
    key = ("dual", fixed, config.sum_rule, config.n_cheb, d.a if fixed else None,
           array_key(ops.s_ir, ops.q_ir, ops.s_uv, ops.q_uv, ops.w_ir, ops.F_ir.A, ops.F_ir.n, ops.F_ir.m,
                     ops.F_uv.A, ops.F_uv.n, ops.F_uv.m, ops.int_w, ops.boundary))
    values = {"mu": d.mu, **({"c0": d.c0_fixed} if fixed else {"a": d.a})}

    def form(digits: int | None) -> SDPBForm:
        sd = dual_sdpb_problem(d, config, ops, digits or 40)
        return SDPBForm(sd.problem, lambda res: {"handle": sd, "value": float(-res.primal_objective)})
    return ProblemData("dual-sdp", cvxpy=ParametricProblem(key, lambda: _dual_problem(config, ops, fixed, d.a), values),
                       sdpb=form)


def _dual_problem(config: DualConfig, ops: DualOperators, fixed: bool, a: float) -> Compiled:
    """The SOCP (eqs. 53–55, 78–81) with Parameters μ and, c0 fixed, c0 (κ term, `a` the c0 weight)
    or, c0 free, a (the e.o.m. of c0)."""
    params = {"mu": cp.Parameter()}
    coef = cp.Variable(config.n_cheb + 1)
    nu = cp.Variable(nonneg=True) if config.sum_rule else cp.Constant(0.0)
    w_ir = ops.w_ir @ coef
    F_ir, F_uv = ops.F_ir(coef, nu, params["mu"]), ops.F_uv(coef, nu, params["mu"])   # eq. (80), affine in (coef, ν, μ)
    # m = 2qλ: each node's contribution to ∫2λ; rows scaled by the weights q (the UV weights
    # reach 1e15 while F there is ~1e-15, which a solver would otherwise see as ill-posed)
    m_ir = cp.Variable(ops.s_ir.size)
    m_uv = cp.Variable(ops.s_uv.size, nonneg=True)
    qF_ir = cp.multiply(ops.q_ir, F_ir)
    cons = [ops.boundary @ coef == 0,
            cp.SOC(m_ir + qF_ir, cp.vstack([qF_ir, cp.multiply(ops.q_ir / phase_space(ops.s_ir), w_ir)]), axis=0),
            m_uv + 2 * cp.multiply(ops.q_uv, F_uv) >= 0]
    kappa_term = 0.0
    int_w = ops.int_w @ coef / (16 * np.pi)
    if fixed:
        params["c0"] = cp.Parameter()
        kappa_term = -(int_w - nu - a) * params["c0"]   # eq. (81)
    else:
        params["a"] = cp.Parameter()
        cons.append(int_w - nu == params["a"])          # e.o.m. of c0 (eq. 79)
    D = kappa_term + cp.sum(m_ir) + cp.sum(m_uv)
    return Compiled(cp.Problem(cp.Minimize(D), cons), params,
                    {"coef": coef, "nu": nu, "m_ir": m_ir, "m_uv": m_uv, "qF_ir": qF_ir, "w_ir": w_ir, "F_uv": F_uv})


def _certified_result(d: DualDirection, config: DualConfig, ops: DualOperators, coef: np.ndarray, nu: float,
                      status: str, info: dict, objective: str, cfg: dict, t0: float, message: str = "") -> Result:
    """The bound certified by the multiplier (coef, ν), whichever solver found it."""
    cert = certify_dual(config, d, coef, nu)
    value = cert["bound"]
    return Result(
        method="dual-sdp", model="zero-ddisc", objective=objective,
        c0=d.c0_fixed if d.c0_fixed is not None else (value if objective == "max-c0" else None),
        c2=value if objective in ("max-c2", "min-c2") else None, value=value,
        bound_kind="dual (rigorous)", status=status,
        certified=bool(cert["passed"]),
        certificate={**cert, **info, "positivity_nodes": int(ops.s_ir.size + ops.s_uv.size),
                     "w_segments": int(ops.grid.size - 1), "n_cheb": config.n_cheb},
        solver=config.solver, seconds=time.perf_counter() - t0, config=cfg, message=message,
        extra={"coef": coef, "nu": nu, "mu": d.mu,    # the direction is rebuilt from objective and config
               "w_nodes": ops.E @ coef, "grid_nodes": ops.grid.nodes})   # w piecewise linear (smatrix.dual)


@dataclass
class DualSDPB:
    """The dual SDP for SDPB and the chart back: x = (coef, ν, m_ir, m_uv) = x0 + N y."""

    problem: SDPBProblem
    chart: AffineChart
    n_cheb: int


def dual_sdpb_problem(d: DualDirection, config: DualConfig, ops: DualOperators, digits: int = 40) -> DualSDPB:
    """Variables x = (coef, ν, m_ir, m_uv); the equalities (w(4) = w(Λ) = 0, ν = 0 without the sum
    rule, the c0 e.o.m.) are eliminated exactly; the cone (54) at each IR node is the 2×2 block
    [[m + 2qF, q w/ϱ], [q w/ϱ, m]] ⪰ 0, the UV nodes give m ≥ 0 and m + 2qF ≥ 0, ν ≥ 0 one more.

    The data are the float64 operators converted exactly: unlike a primal value, the dual bound
    does not rest on them — it is D[w] re-evaluated for the returned multiplier (`certify_dual`),
    rigorous for any w. SDPB's precision buys a better w, not the validity of the bound."""
    mpf = np.vectorize(lambda v: mp.mpf(float(v)), otypes=[object])
    nc, M, K = config.n_cheb + 1, ops.s_ir.size, ops.s_uv.size
    with mp.workdps(digits):
        pi = mp.pi
        # affine pieces of F at the nodes: F = Fc @ coef + Fn ν + F0 (eq. 80)
        def F_parts(F):
            F = F.converted(mpf)
            return F.A, F.n, F(np.zeros(nc, dtype=int), 0, mp.mpf(d.mu))
        Fc_ir, Fn_ir, F0_ir = F_parts(ops.F_ir)
        Fc_uv, Fn_uv, F0_uv = F_parts(ops.F_uv)
        q_ir, q_uv = mpf(ops.q_ir), mpf(ops.q_uv)
        rho_ir = mpf(phase_space(ops.s_ir))
        zero = lambda *shape: np.zeros(shape, dtype=int).astype(object)
        A_eq, b_eq = [], []
        for row in mpf(ops.boundary):                          # w(4) = w(Λ) = 0
            A_eq.append(np.concatenate([row, zero(1 + M + K)])); b_eq.append(mp.mpf(0))
        int_w = mpf(ops.int_w) / (16 * pi)
        if not config.sum_rule:                                # ν = 0
            A_eq.append(np.concatenate([zero(nc), [mp.mpf(1)], zero(M + K)])); b_eq.append(mp.mpf(0))
        if d.c0_fixed is None:                                 # e.o.m. of c0 (eq. 79)
            A_eq.append(np.concatenate([int_w, [mp.mpf(-1)], zero(M + K)])); b_eq.append(mp.mpf(d.a))
        chart = affine_parametrisation(np.array(A_eq, dtype=object), b_eq)
        col = chart.apply                                      # affine rows in y: (const, y…)
        ir_x = lambda Fc, Fn, F0, q: (np.concatenate([q[:, None] * Fc, (q * Fn)[:, None], zero(len(q), M + K)], axis=1),
                                      q * F0)
        qF_ir, qF0_ir = ir_x(Fc_ir, Fn_ir, F0_ir, q_ir)
        qF_uv, qF0_uv = ir_x(Fc_uv, Fn_uv, F0_uv, q_uv)
        m_ir = np.concatenate([zero(M, nc + 1), np.eye(M, dtype=int).astype(object), zero(M, K)], axis=1)
        m_uv = np.concatenate([zero(K, nc + 1 + M), np.eye(K, dtype=int).astype(object)], axis=1)
        qw = np.concatenate([(q_ir / rho_ir)[:, None] * mpf(ops.w_ir), zero(M, 1 + M + K)], axis=1)
        a11, a12, a22 = col(m_ir + 2 * qF_ir), col(qw), col(m_ir)
        a11[:, 0] += 2 * qF0_ir
        blocks = []
        for i in range(M):
            blk = np.empty((a11.shape[1], 2, 2), dtype=object)
            blk[:, 0, 0], blk[:, 0, 1], blk[:, 1, 0], blk[:, 1, 1] = a11[i], a12[i], a12[i], a22[i]
            blocks.append(blk)
        uv1, uv2 = col(m_uv), col(m_uv + 2 * qF_uv)
        uv2[:, 0] += 2 * qF0_uv
        nu_row = col(np.concatenate([zero(1, nc), [[mp.mpf(1)]], zero(1, M + K)], axis=1))
        for row in [*uv1, *uv2, *(nu_row if config.sum_rule else [])]:
            blocks.append(row.reshape(-1, 1, 1))
        D = np.concatenate([zero(nc + 1), [mp.mpf(1)] * (M + K)]).astype(object)   # Σ m
        if d.c0_fixed is not None:                                                  # − κ c̄0, eq. (81)
            D = D - mp.mpf(d.c0_fixed) * np.concatenate([int_w, [mp.mpf(-1)], zero(M + K)])
            D_const = mp.mpf(d.c0_fixed) * mp.mpf(d.a)
        else:
            D_const = mp.mpf(0)
        obj = -col(D[None, :])[0]
        obj[0] -= D_const
        problem = SDPBProblem(objective=list(obj), blocks=blocks, digits=digits,
                              meta={"model": "zero-ddisc", "method": "dual-sdp", "a": d.a, "b": d.b,
                                    "c0": d.c0_fixed, "n_cheb": config.n_cheb, "nodes": config.nodes})
    return DualSDPB(problem, chart, nc)


def dual_multiplier_from_y(sd: DualSDPB, y, sum_rule: bool, digits: int = 40) -> tuple[np.ndarray, float]:
    """(coef, ν) from SDPB's y through the chart x = x0 + N y."""
    with mp.workdps(digits):
        x = sd.chart.x0 + sd.chart.N @ np.array(y, dtype=object)
    nc = sd.n_cheb
    return np.array([float(v) for v in x[:nc]]), (max(float(x[nc]), 0.0) if sum_rule else 0.0)


def dual_result_from_sdpb(sd: DualSDPB, res, d: DualDirection, config: DualConfig, ops: DualOperators,
                          objective: str, c0: float | None, cfg: dict, t0: float) -> Result:
    """The certified Result of an SDPB run of the dual (run here, or elsewhere and imported)."""
    coef, nu = dual_multiplier_from_y(sd, res.y, config.sum_rule, sd.problem.digits)
    info = {"solver_objective": float(-res.primal_objective), "sdpb_terminate_reason": res.terminate_reason,
            "sdpb_duality_gap": float(res.duality_gap), "sdpb_primal_error": float(res.primal_error),
            "sdpb_dual_error": float(res.dual_error), "sdpb_seconds": res.seconds,
            "sdpb_variables": sd.problem.variables, "sdpb_blocks": len(sd.problem.blocks),
            "data_digits": "float64 (see dual_sdpb_problem)"}
    status = OPTIMAL if res.optimal else OPTIMAL_INACCURATE
    if not res.optimal and d.c0_fixed is not None:  # above the maximal c0 the dual is unbounded: prove it
        top = solve_dual("max-c0", None, replace(config, solver="clarabel"))
        if top.value is not None and d.c0_fixed > top.value:
            return _no_bound(objective, c0, cfg, t0, "sdpb", "infeasible",
                             f"no amplitude has c0 = {d.c0_fixed:.8g}: the dual bound proves c0 ≤ {top.value:.8g}")
    return _certified_result(d, config, ops, coef, nu, status, info, objective, cfg, t0,
                             "" if res.optimal else f"SDPB stopped: {res.terminate_reason} (the bound is still "
                             "certified for the multiplier it returned)")


def _cone_margin(m_ir, m_uv, qF_ir, w_ir, F_uv, ops) -> float:
    """Smallest eigenvalue of the solver's 2×2 multipliers (54) at its own nodes, in units of the
    local weight: λ_min of [[λ, −w/2ϱ], [−w/2ϱ, λ + F]] with 2qλ = m (≥ −solver tolerance)."""
    lam, F = m_ir / (2 * ops.q_ir), qF_ir / ops.q_ir
    off = w_ir / (2 * phase_space(ops.s_ir))
    ir = lam + F / 2 - np.hypot(F / 2, off)
    lam_uv = m_uv / (2 * ops.q_uv)
    uv = np.minimum(lam_uv, lam_uv + F_uv)
    return float(min(ir.min(), uv.min()))


def certify_dual(config: DualConfig, d: DualDirection, coef: np.ndarray, nu: float) -> dict:
    """Bound certified by the Chebyshev multiplier `coef` (see smatrix.dual.certified_bound)."""
    ir, uv = _segments(config)

    def evaluate(q):
        quad = dual_quadrature(float(config.cutoff), ir, uv, float(config.s_max), q)
        E = chebyshev_basis(quad.grid, quad.grid.nodes, config.n_cheb)
        return dual_objective(quad, E @ coef, nu, d.mu)

    return certified_bound(d, evaluate, nu, config.tolerance)


def _no_bound(objective, c0, cfg, t0, solver, status, message) -> Result:
    return Result(method="dual-sdp", model="zero-ddisc", objective=objective, c0=c0, c2=None, value=None,
                  bound_kind="dual (rigorous)", status=status, certified=False, certificate=None,
                  solver=solver, seconds=time.perf_counter() - t0, config=cfg, message=message)
