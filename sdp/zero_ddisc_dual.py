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
from dataclasses import asdict, dataclass
from functools import lru_cache

import cvxpy as cp
import numpy as np

from smatrix.dual import (DUAL_OBJECTIVES, DualDirection, DualGrid, auxiliary_F,
                          certified_bound, dual_objective, dual_quadrature, theta_of_s)
from smatrix.errors import BadInput
from smatrix.kinematics import S0_CROSSING, phase_space
from smatrix.result import Result

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
    G_ir: np.ndarray        # G(s_ir) = G_ir @ coef
    G_uv: np.ndarray
    int_w: np.ndarray       # ∫_4^Λ w ds = int_w @ coef
    boundary: np.ndarray    # rows giving w(4), w(Λ)


def _check_config(c: DualConfig) -> None:
    if not (math.isfinite(c.cutoff) and c.cutoff > 4.0):
        raise BadInput(f"--cutoff Λ must be above threshold (Λ > 4), got {c.cutoff}")
    if c.n_cheb < 2:
        raise BadInput(f"--n-cheb must be ≥ 2 (w(4) = w(Λ) = 0 leaves n-cheb − 1 free), got {c.n_cheb}")
    if c.nodes < 16:
        raise BadInput(f"--nodes too small: {c.nodes} (need ≥ 16)")
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
                         quad.K_ir @ E, quad.K_uv @ E, quad.grid.integral_row @ E, E[[0, -1]])


def _operators(c: DualConfig, q: int) -> DualOperators:
    ir, uv = _segments(c)
    return dual_operators(float(c.cutoff), int(c.n_cheb), ir, uv, float(c.s_max), q)


def _F_affine(s, G, coef, nu, mu):
    """F(s) of eq. (80) as a cvxpy expression in (coef, ν)."""
    scale = 16 * np.pi / phase_space(s)
    return (scale[:, None] * G) @ coef + nu * (scale * (3 / np.pi) / (s - S0_CROSSING)) \
        + auxiliary_F(s, 0.0 * s, 0.0, mu)


def solve_dual(objective: str, c0: float | None = None, config: DualConfig = DualConfig(),
               direction=None) -> Result:
    """Dual bound of the zero-ddisc model; the reported value is re-evaluated (certified)."""
    d = DualDirection.from_objective(objective, c0, direction)
    _check_config(config)
    t0 = time.perf_counter()
    cfg = {"model": "zero-ddisc", "method": "dual-sdp", "objective": objective, "c0": c0,
           "direction": None if direction is None else list(map(float, direction)), **asdict(config)}
    if d.c0_fixed is not None and d.c0_fixed < 0:
        return _no_bound(objective, c0, cfg, t0, config.solver, "infeasible",
                         "c0 < 0 admits no unitary amplitude: the sum rule (24) gives c0 = (3/π)∫ρ/(s−4/3) ≥ 0")
    ops = _operators(config, _Q_SOLVE)
    coef = cp.Variable(config.n_cheb + 1)
    nu = cp.Variable(nonneg=True) if config.sum_rule else cp.Constant(0.0)
    mu = d.mu
    w_ir = ops.w_ir @ coef
    F_ir = _F_affine(ops.s_ir, ops.G_ir, coef, nu, mu)
    F_uv = _F_affine(ops.s_uv, ops.G_uv, coef, nu, mu)
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
    if d.c0_fixed is None:
        cons.append(int_w - nu == d.a)          # e.o.m. of c0 (eq. 79)
    else:
        kappa = int_w - nu - d.a                # eq. (81)
        kappa_term = -kappa * d.c0_fixed
    D = kappa_term + cp.sum(m_ir) + cp.sum(m_uv)
    sol = solve(cp.Problem(cp.Minimize(D), cons), config.solver)
    if sol.status not in ("optimal", "optimal_inaccurate"):
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
    a_val = np.asarray(coef.value, dtype=float)
    nu_val = max(float(nu.value), 0.0) if config.sum_rule else 0.0
    cert = certify_dual(config, d, a_val, nu_val)
    value = cert["bound"]
    return Result(
        method="dual-sdp", model="zero-ddisc", objective=objective,
        c0=d.c0_fixed if d.c0_fixed is not None else (value if objective == "max-c0" else None),
        c2=value if objective in ("max-c2", "min-c2") else None, value=value,
        bound_kind="dual (rigorous)", status=sol.status,
        certified=bool(cert["passed"]),
        certificate={**cert, "solver_objective": float(sol.value), "solver_iterations": sol.iterations,
                     "solver_cone_margin": _cone_margin(m_ir.value, m_uv.value, qF_ir.value, w_ir.value,
                                                        F_uv.value, ops),
                     "solver_seconds": sol.seconds, "positivity_nodes": int(ops.s_ir.size + ops.s_uv.size),
                     "w_segments": int(ops.grid.size - 1), "n_cheb": config.n_cheb},
        solver=config.solver, seconds=time.perf_counter() - t0, config=cfg,
        extra={"coef": a_val, "nu": nu_val, "mu": mu, "direction": d})


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
