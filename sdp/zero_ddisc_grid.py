"""Spectral-grid primal of the zero-ddisc model: ρ(s) itself is the variable.

h = 1 − Re S0 is piecewise linear (or a natural cubic spline) on a grid reaching exponentially
large s (`spectral_grid`). Linear elements keep 0 ≤ h ≤ 2 exactly between nodes (free theory
exact); splines converge faster at the tip of the region but only collocate positivity,
Re f0 comes from the dispersion relation (16) through precomputed integration matrices,
the sum rule (24) is built in (it removes c0 from Re f0), and |S0| ≤ 1 is imposed at every
node as a second-order cone ‖(Re S0, Im S0)‖ ≤ 1 (eq. 14). The variables are the node values
of h = ϱρ/16π = 1 − Re S0 (bounded, and exact for a singular threshold h(4) = 2).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from smatrix.amplitude import SpectralAmplitude
from smatrix.certify import DEFAULT_TOLERANCE, measure_spin0, spin0_certificate
from smatrix.dispersion import SpectralGrid, f0_matrix, spectral_grid, sum_rule_kernel
from smatrix.grids import refined_nodes, subdivided_points
from smatrix.kinematics import phase_space
from smatrix.refine import Attempt, RefineBudget, merge_points, refine_until_certified
from smatrix.result import Result

from .inelastic import certificate_eta, cone_radius, covered, eta_hash, load_eta0
from .objectives import check_objective
from .problems import ProblemData, unitarity_cone, unitarity_sdpb_form, unitarity_socp
from .reductions import UnitarityRows
from .solve import failure_message as _failure_message, solve


@dataclass(frozen=True)
class GridConfig:
    nodes: int = 250          # 0.9 s per point on 2 cores (docs/convergence.md timing table)
    s_switch: float = 1e4
    s_max: float = 1e12
    per_segment: int = 2
    spline: bool = False     # natural cubic-spline elements for h (default: piecewise linear)
    refine: int = 1          # split each segment in [REFINE_FROM, s_switch] into this many (geometric)
    solver: str = "cvxopt"   # dense conelp: 4–8× faster than clarabel here (smatrix.sdp.backends)
    tolerance: float = DEFAULT_TOLERANCE
    inelasticity: str | None = None  # η0(s) file: impose |S0|² ≤ 1 − η0 (smatrix.sdp.inelastic)
    eta_extend: str = "error"        # η0 outside the file's s range: error | zero | hold
    rounds: int = 8                  # adaptive refinement: re-solves with the violating points imposed (0 = off)


@dataclass(frozen=True)
class GridOperators:
    """Linear maps of h = (1 − Re S0 at nodes 0..N−2) built once per grid."""

    grid: SpectralGrid
    imposed: np.ndarray      # points s_j where |S0| ≤ 1 is imposed (nodes and in-between points)
    h_at: np.ndarray         # h(s_j) = h_at @ h
    re_f0: np.ndarray        # Re f0(s_j) = re_f0 @ h  (sum rule used)
    c0_row: np.ndarray       # c0 = c0_row @ h   (eq. 24)
    c2_row: np.ndarray       # c2 = c2_row @ h   (eq. 27)


def imposed_points(grid: SpectralGrid, per_segment: int) -> np.ndarray:
    """Nodes s_1..s_{N−1} and `per_segment − 1` points inside each segment (even in log(s − 4))."""
    return subdivided_points(grid.nodes[1:], per_segment)


REFINE_FROM = 5.6  # above the threshold resonance: where the max-c0 error lives (docs/convergence.md)


@lru_cache(maxsize=4)
def grid_operators(nodes: int, s_switch: float, s_max: float, per_segment: int = 2,
                   spline: bool = False, refine: int = 1) -> GridOperators:
    base = spectral_grid(nodes, s_switch, s_max).nodes
    grid = SpectralGrid(refined_nodes(base, REFINE_FROM, s_switch, refine) if refine > 1 else base, spline=spline)
    return operators_on(grid, per_segment)


def operators_on(grid: SpectralGrid, per_segment: int = 2) -> GridOperators:
    """The linear maps of h on any spectral grid, |S0| ≤ 1 imposed at `imposed_points`."""
    s = imposed_points(grid, per_segment)
    h_at, re_f0 = _rows(grid, s)
    free = slice(0, grid.size - 1)  # h(s_N) = 0
    return GridOperators(
        grid=grid, imposed=s, h_at=h_at, re_f0=re_f0,
        c0_row=(3 / np.pi) * grid.smooth_weights(sum_rule_kernel(1))[free],
        c2_row=(1 / np.pi) * grid.smooth_weights(sum_rule_kernel(3))[free],
    )


def with_points(base: GridOperators, extra: np.ndarray) -> GridOperators:
    """`base` imposing |S0| ≤ 1 also at the `extra` points (those where a previous solve was found
    violating unitarity); only their rows are built, each row being that of its point alone."""
    s = merge_points(base.imposed, extra[extra > base.grid.nodes[0]])   # beyond the last node h = 0, Re f0 ≠ 0
    new = s[~np.isin(s, base.imposed)]                                   # merge_points keeps the base points
    h_new, f_new = _rows(base.grid, new)
    order = np.argsort(np.concatenate([base.imposed, new]), kind="stable")
    return replace(base, imposed=s, h_at=np.vstack([base.h_at, h_new])[order],
                   re_f0=np.vstack([base.re_f0, f_new])[order])


def _rows(grid: SpectralGrid, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h(s_j) and Re f0(s_j) as rows on the free node values (h(s_N) = 0; c0 eliminated by the sum rule (24))."""
    free = slice(0, grid.size - 1)
    return grid.h_values(s)[:, free], f0_matrix(grid, s, sum_rule=True, real=True)[:, free]


def solve_grid(objective: str, c0: float | None = None, config: GridConfig = GridConfig()) -> Result:
    """Primal bound of the zero-ddisc model with ρ on a grid; returns a certified Result (the grid is
    refined where the certificate finds unitarity violated, smatrix.refine)."""
    check_objective(objective, c0)
    t0 = time.perf_counter()
    cfg = {"model": "zero-ddisc", "method": "primal-grid", "objective": objective, "c0": c0,
           **config.__dict__}
    profile = load_eta0(config.inelasticity, config.eta_extend)
    cfg["eta_hash"] = eta_hash(profile)
    if c0 is not None and c0 < 0:
        return _infeasible(objective, c0, cfg, "c0 < 0 admits no unitary amplitude: the sum rule (24) "
                           "gives c0 = (3/π)∫ρ/(s−4/3) with ρ ≥ 0", t0, config.solver)
    if config.refine < 1:
        raise ValueError(f"refine must be ≥ 1, got {config.refine}")
    base = grid_operators(config.nodes, config.s_switch, config.s_max, config.per_segment, config.spline,
                          config.refine)

    def solve_at(points):
        ops = base if points.size == base.imposed.size else with_points(base, covered(profile, points))
        return _solve_grid_on(objective, c0, config, cfg, ops, profile, t0)
    if config.rounds == 0:
        return solve_at(base.imposed).result
    # each violation peak with its two neighbouring check points, as for the other primals (fewer
    # rounds at the tip and on the lower boundary: docs/certification.md)
    return refine_until_certified(solve_at, base.imposed, RefineBudget(rounds=config.rounds, seconds=600.0))


def _solve_grid_on(objective, c0, config: GridConfig, cfg, ops: GridOperators, profile, t0) -> Attempt:
    """One solve on the grid of `ops`, re-measured from the amplitude on 4× the imposed points."""
    # Re S0 − 1 = −h, Im S0 = ϱ Re f0; |S0| ≤ sqrt(1 − η0) (eq. 14 with inelasticity; radius 1 when elastic);
    # h(4) is the threshold value of 1 − Re S0: 0 ≤ h(4) ≤ 2 (regular … singular, eq. 19)
    rows = UnitarityRows(-ops.h_at, phase_space(ops.imposed)[:, None] * ops.re_f0, ops.c0_row, ops.c2_row,
                         cone_radius(profile, ops.imposed), bounds=((0, 0.0, 2.0),))
    sdpb = lambda digits: unitarity_sdpb_form(rows, objective, c0, digits or 40, {
        "model": "zero-ddisc", "method": "primal-grid", "objective": objective, "c0": c0, "nodes": int(ops.grid.size)})
    sol = solve(ProblemData("primal-grid", cvxpy=unitarity_socp(rows, objective, c0, scaled=True), sdpb=sdpb,
                            cone=unitarity_cone(rows, objective, c0, scaled=True)), config.solver)
    if not sol.solved:
        return Attempt(_infeasible(objective, c0, cfg, _failure_message(sol, c0, config.inelasticity),
                                   t0, config.solver, status=sol.status))
    h, c0v, c2v = sol.outputs["x"], float(sol.outputs["c0"]), float(sol.outputs["c2"])
    amp = SpectralAmplitude(c0v, ops.grid, np.concatenate([h, [0.0]]))
    check_s, viol = measure_spin0(amp, ops.imposed, eta=certificate_eta(profile))  # from the amplitude's formula
    cert = spin0_certificate(check_s, viol, config.tolerance, 4, int(ops.imposed.size))
    res = Result(
        method="primal-grid", model="zero-ddisc", objective=objective, c0=c0v, c2=c2v,
        value=c0v if objective == "max-c0" else c2v, bound_kind="primal (achieved)",
        status=sol.status, certified=cert.passed,
        certificate={**cert, "imposed_points": int(ops.imposed.size), "nodes": int(ops.grid.size),
                     "solver_iterations": sol.iterations, "solver_seconds": sol.seconds,
                     **({"solver_note": sol.message} if sol.message else {})},
        solver=config.solver, seconds=time.perf_counter() - t0, config=cfg,
        amplitude=amp, extra={"c3": amp.taylor["c3"]})
    remeasure = lambda factor, known: measure_spin0(amp, ops.imposed, factor, certificate_eta(profile), known=known)
    return Attempt(res, check_s, viol, remeasure)


def _infeasible(objective, c0, cfg, reason, t0, solver, status="infeasible") -> Result:
    return Result(method=cfg["method"], model="zero-ddisc", objective=objective, c0=c0, c2=None,
                  value=None, bound_kind="primal (achieved)", status=status, certified=False,
                  certificate=None, solver=solver, seconds=time.perf_counter() - t0, config=cfg,
                  message=reason)
