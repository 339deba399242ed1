"""Elastic unitarity as an equation for ρ at fixed c0 (P1 eqs. (18), (56), (72)–(76)).

With h = ϱρ/16π = 1 − Re S0 piecewise linear on a spectral grid (smatrix.dispersion) and
X(s) = ϱ Re f0 = Im S0, where Re f0 = c0/16π + (1/16π²) P∫ρ K̃ (eq. 16, c0 held fixed, no sum
rule), elastic unitarity |S0| = 1 reads (1 − h)² + X² = 1, i.e. the map (72)

    h = Φ_{c0}[h] = 1 − sqrt(1 − X[h]²)            (the root connected to ρ = 0)

at every node. `residual` is G = h − Φ[h] (74); the classical solvers iterate (73) or take
Newton steps with the Jacobian (75)–(76). Both are P1's baselines for the neural primal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .amplitude import SpectralAmplitude
from .dispersion import SpectralGrid, f0_matrix
from .kinematics import phase_space
from .status import CONVERGED, CONVERGED_NOT_UNITARY, NOT_CONVERGED


@dataclass(frozen=True)
class ElasticProblem:
    """Elastic unitarity at the interior nodes s_1 … s_{N−2} (h(4) = 0: regular threshold, the
    branch the iterations follow; h(s_N) = 0)."""

    grid: SpectralGrid

    @cached_property
    def points(self) -> np.ndarray:
        return self.grid.nodes[1:-1]

    @cached_property
    def re_f0_matrix(self) -> np.ndarray:
        """A with Re f0(s_i) = c0/16π + A @ h_interior (eq. 16 with c0 fixed)."""
        return f0_matrix(self.grid, self.points, real=True)[:, 1:-1]

    def X(self, h: np.ndarray, c0: float) -> np.ndarray:
        """Im S0 = ϱ Re f0 at the interior nodes."""
        return phase_space(self.points) * (c0 / (16 * np.pi) + self.re_f0_matrix @ h)

    def phi(self, h: np.ndarray, c0: float) -> np.ndarray:
        """Φ_{c0}[h] (eq. 72); NaN where |X| > 1 (no elastic solution through this iterate)."""
        X = self.X(h, c0)
        with np.errstate(invalid="ignore"):
            return 1.0 - np.sqrt(1.0 - X**2)

    def residual(self, h: np.ndarray, c0: float) -> np.ndarray:
        """G[h] = h − Φ[h] (eq. 74)."""
        return h - self.phi(h, c0)

    def jacobian(self, h: np.ndarray, c0: float) -> np.ndarray:
        """dG/dh = 1 − diag(X ϱ/sqrt(1 − X²)) A (eq. 75)."""
        X = self.X(h, c0)
        d = X * phase_space(self.points) / np.sqrt(1.0 - X**2)
        return np.eye(h.size) - d[:, None] * self.re_f0_matrix

    def amplitude(self, h: np.ndarray, c0: float) -> SpectralAmplitude:
        return SpectralAmplitude(c0, self.grid, np.concatenate([[0.0], h, [0.0]]))


@dataclass
class IterationResult:
    method: str
    c0: float
    converged: bool
    reason: str
    iterations: int
    residual: float                      # max |h − Φ[h]| at the end
    history: list = field(default_factory=list)
    h: np.ndarray | None = None


def solve_elastic(problem: ElasticProblem, c0: float, method: str, max_iter: int = 200,
                  tol: float = 1e-12, h0: np.ndarray | None = None) -> IterationResult:
    """Fixed-point iteration h ← Φ[h] (eq. 73) or Newton's method (eq. 76) from h0 (default ρ = 0)."""
    if method not in ("fixed-point", "newton"):
        raise ValueError(f"unknown iteration {method!r}; choose fixed-point or newton")
    h = np.zeros(problem.points.size) if h0 is None else np.asarray(h0, dtype=float).copy()
    history = []
    for it in range(1, max_iter + 1):
        G = problem.residual(h, c0)
        if not np.all(np.isfinite(G)):
            return IterationResult(method, c0, False, "no elastic solution through the iterate (|Im S0| > 1)",
                                   it, float("nan"), history, h)
        history.append(float(np.max(np.abs(G))))
        if history[-1] <= tol:
            return IterationResult(method, c0, True, "converged", it, history[-1], history, h)
        if history[-1] > 1e3 or (it > 20 and history[-1] > 10 * min(history)):
            return IterationResult(method, c0, False, "diverged", it, history[-1], history, h)
        if method == "fixed-point":
            h = h - G
        else:
            J = problem.jacobian(h, c0)
            if not np.all(np.isfinite(J)):
                return IterationResult(method, c0, False, "singular Jacobian", it, history[-1], history, h)
            try:
                h = h - np.linalg.solve(J, G)
            except np.linalg.LinAlgError:
                return IterationResult(method, c0, False, "singular Jacobian (eigenvalue 1 of J_Φ)",
                                       it, history[-1], history, h)
    return IterationResult(method, c0, False, f"no convergence in {max_iter} iterations",
                           max_iter, history[-1] if history else float("nan"), history, h)


def continued_newton(problem: ElasticProblem, c0: float, step: float = np.pi, **kw) -> IterationResult:
    """Newton at c0 reached by continuation: solve at step, 2·step, …, hot-starting each from the last."""
    h, total = None, 0
    for c in list(np.arange(step, c0, step)) + [c0]:
        r = solve_elastic(problem, float(c), "newton", h0=h, **kw)
        total += r.iterations
        if not r.converged:
            r.reason = f"{r.reason} (continuation stopped at c0 = {c:.6g})"
            r.c0, r.iterations = c0, total
            return r
        h = r.h
    r.iterations = total
    return r


def baseline_result(method: str, c0: float, nodes: int = 250, max_iter: int = 300,
                    continuation: bool = False):
    """A Result for `smatrix baseline`: the elastic amplitude (if the iteration converged), its
    residual at the nodes and |S0|² − 1 re-measured on 4× denser points."""
    import time

    from .certify import certify_spin0
    from .dispersion import spectral_grid
    from .result import Result
    t0 = time.perf_counter()
    problem = ElasticProblem(SpectralGrid(spectral_grid(nodes).nodes))
    r = (continued_newton(problem, c0, max_iter=max_iter) if continuation
         else solve_elastic(problem, c0, method, max_iter=max_iter))
    cfg = {"model": "zero-ddisc", "method": f"baseline-{method}", "c0": c0, "nodes": nodes,
           "max_iter": max_iter, "continuation": continuation}
    base = dict(method=f"baseline-{method}", model="zero-ddisc", objective="elastic-unitarity", c0=c0,
                bound_kind="amplitude", solver=method, config=cfg)
    if not r.converged:
        return Result(**base, c2=None, value=None, status=NOT_CONVERGED, certified=False,
                      certificate={"iterations": r.iterations, "residual_history": r.history[-10:]},
                      seconds=time.perf_counter() - t0, message=r.reason)
    amp = problem.amplitude(r.h, c0)
    cert = certify_spin0(amp, problem.points)
    S = amp.S(0, problem.points)
    tay = amp.taylor
    status, message = CONVERGED, ""
    if not cert.passed:   # a converged iteration whose amplitude is not unitary is not an allowed point
        status = CONVERGED_NOT_UNITARY
        message = (f"the iteration converged at the nodes, but |S0|² − 1 re-measured on 4× denser points reaches "
                   f"{cert.max_unitarity_violation:.1e} at s = {cert.details['worst_s']:.3g} (tolerance "
                   f"{cert.tolerance:g}): not a unitary amplitude, so c2 = {tay['c2']:.8g} need not respect the "
                   "rigorous bounds")
    return Result(**base, c2=tay["c2"], value=tay["c2"], status=status, certified=cert.passed, message=message,
                  certificate={**cert, "iterations": r.iterations, "node_residual": r.residual,
                               "elastic_residual_at_nodes": float(np.max(np.abs(np.abs(S) ** 2 - 1)))},
                  seconds=time.perf_counter() - t0, amplitude=amp, extra={"c3": tay["c3"]})
