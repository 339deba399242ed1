"""Classical solver of the 2PRR equations: damped Newton on (ρ, ρ_el) with the exact Jacobian
(twoprr.system), continued in c0 from weak coupling or hot-started from a saved solution, and its
convergence in N and s_max with Richardson extrapolation (spec/2prr.md)."""
from __future__ import annotations

import json
import math
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .amplitude import MandelstamAmplitude
from .grid import NodeGrid, xi_of_x
from .system import TwoPRRSystem

SOLUTION_SCHEMA = "smatrix-2prr/1"


@dataclass(frozen=True)
class SolverConfig:
    """Resolution and stopping rule of the classical solver."""

    n: int = 48                    # nodes of the s/t grid
    s_max: float = 1e8             # cutoff of the grid (ρ(s) continues with its Regge tail)
    tol: float = 1e-10             # max |F| on the grid for "converged"
    max_iter: int = 30             # Newton iterations per continuation step
    c0_step: float = 4 * math.pi   # continuation step in c0

    def validate(self) -> None:
        NodeGrid(self.n, self.s_max).validate()
        if not (0 < self.tol < 1e-3) or self.max_iter < 1 or self.c0_step <= 0:
            raise ValueError("solver needs 0 < tol < 1e-3, max_iter ≥ 1 and c0_step > 0")

    @property
    def grid(self) -> NodeGrid:
        return NodeGrid(self.n, self.s_max)


@dataclass
class Solution:
    """A solved (or not) 2PRR amplitude: the unknowns, their grid and how they were reached."""

    c0: float
    grid: NodeGrid
    u: np.ndarray
    status: str                    # "converged" | "not-converged"
    residual: float                # max |F| on the grid
    iterations: int
    history: list[dict] = field(default_factory=list)
    config: dict = field(default_factory=dict)

    def amplitude(self, system: TwoPRRSystem) -> MandelstamAmplitude:
        st = system.unpack(self.u, self.c0)
        return MandelstamAmplitude(self.grid, self.c0, st.c1, st.el)

    # ---- save / load: plain arrays + JSON, nothing executable ---------------------------------

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        meta = {"schema": SOLUTION_SCHEMA, "c0": self.c0, "n": self.grid.n, "s_max": self.grid.s_max,
                "status": self.status, "residual": self.residual, "iterations": self.iterations,
                "history": self.history, "config": self.config}
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, u=self.u, meta=np.array(json.dumps(meta)))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Solution":
        """Read a saved solution; any malformed file is a ValueError naming it."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                u = np.array(data["u"], dtype=float)
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable 2PRR solution ({exc})") from None
        if not isinstance(meta, dict) or meta.get("schema") != SOLUTION_SCHEMA:
            raise ValueError(f"{path}: not a 2PRR solution (schema {SOLUTION_SCHEMA!r} expected)")
        try:
            grid = NodeGrid(int(meta["n"]), float(meta["s_max"]))
            grid.validate()
            c0 = float(meta["c0"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: bad 2PRR solution metadata ({exc})") from None
        from .grid import elastic_support
        expected = grid.n - 2 + int(elastic_support(grid).sum())
        if u.shape != (expected,) or not np.all(np.isfinite(u)):
            raise ValueError(f"{path}: 2PRR solution has {u.size} finite values, the grid needs {expected}")
        return cls(c0, grid, u, str(meta.get("status", "unknown")), float(meta.get("residual", math.nan)),
                   int(meta.get("iterations", 0)), list(meta.get("history", [])), dict(meta.get("config", {})))


def transfer(solution: Solution, system: TwoPRRSystem) -> np.ndarray:
    """The unknowns of `solution` on the grid of `system` (linear interpolation in ξ; ρ_el by
    bilinear interpolation, zero outside the new support): a hot start across resolutions."""
    if solution.grid == system.grid:
        return solution.u.copy()
    from .operators import double_from_elastic, single_map
    g_old, g_new = solution.grid, system.grid
    c1 = single_map(g_old) @ solution.u[: g_old.n - 2]
    el, _ = double_from_elastic(g_old, solution.u[g_old.n - 2:])
    x = g_new.nodes
    rho1 = g_old.hat_matrix(x[1:-1]) @ c1[: g_old.n] + g_old.tail(x[1:-1]) * c1[-1]
    Hn = g_old.hat_matrix(x)
    el_new = Hn @ el @ Hn.T
    P = system.pairs
    return np.concatenate([rho1, el_new[P[:, 0], P[:, 1]]])


def newton(system: TwoPRRSystem, u: np.ndarray, c0: float, tol: float, max_iter: int) -> tuple[np.ndarray, float, int]:
    """Damped Newton (backtracking on max |F|) from u; returns (u, max |F|, iterations)."""
    F = system.residual(u, c0)
    r = float(np.max(np.abs(F)))
    for it in range(1, max_iter + 1):
        if r <= tol:
            return u, r, it - 1
        try:
            du = np.linalg.solve(system.jacobian(u, c0), F)
        except np.linalg.LinAlgError:
            return u, r, it
        lam = 1.0
        while True:
            un = u - lam * du
            Fn = system.residual(un, c0)
            rn = float(np.max(np.abs(Fn)))
            if np.isfinite(rn) and (rn < r or lam < 1e-3):
                break
            lam *= 0.5
        if not np.isfinite(rn):
            return u, r, it
        u, F, r = un, Fn, rn
    return u, r, max_iter


def solve(c0: float, config: SolverConfig = SolverConfig(), init: Solution | None = None,
          system: TwoPRRSystem | None = None, progress: bool = False) -> Solution:
    """The 2PRR amplitude at c0 by Newton continued in c0 (from 0, or from `init`)."""
    if not (isinstance(c0, (int, float)) and math.isfinite(c0)) or c0 < 0:
        raise ValueError(f"c0 must be a finite number ≥ 0, got {c0!r}")
    config.validate()
    system = system or TwoPRRSystem(config.grid, progress=progress)
    t0 = time.perf_counter()
    if init is not None:
        u, c_start = transfer(init, system), init.c0
    else:
        u, c_start = np.zeros(system.size), 0.0
    steps = max(1, int(math.ceil(abs(c0 - c_start) / config.c0_step)))
    path = np.linspace(c_start, c0, steps + 1)[1:]
    done = [(c_start, u)]                               # converged points: the secant predictor
    history, r = [], math.nan
    for ck in path:
        ck = float(ck)
        if len(done) >= 2:
            (ca, ua), (cb, ub) = done[-2], done[-1]
            guess = ub + (ub - ua) * (ck - cb) / (cb - ca)
        else:
            guess = done[-1][1]
        u, r, its = newton(system, guess, ck, config.tol, config.max_iter)
        if r > config.tol and len(done) >= 2:            # the predictor overshot: retry from the last point
            u, r, its = newton(system, done[-1][1], ck, config.tol, config.max_iter)
        history.append({"c0": ck, "residual": r, "iterations": its,
                        "seconds": round(time.perf_counter() - t0, 3)})
        if progress:
            print(f"smatrix 2prr: c0/π = {ck / math.pi:7.3f}  |F| = {r:.1e}  ({its} Newton steps, "
                  f"{time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
        if r > config.tol:
            break
        done.append((ck, u))
    status = "converged" if r <= config.tol and len(history) == len(path) else "not-converged"
    return Solution(float(history[-1]["c0"]) if history else float(c0), system.grid, u,
                    status, float(r), int(sum(h["iterations"] for h in history)), history, asdict(config))


@dataclass
class Extrapolation:
    """Richardson extrapolation of a sequence value(N) ≈ v∞ + A N^(−p)."""

    ns: list[int]
    values: list[float]
    value: float
    error: float
    order: float


def richardson(ns, values) -> Extrapolation:
    """v∞ from the last three resolutions with the fitted order p (clamped to [1, 4]); the error
    is the spread between that and the p = 2 extrapolation of the last two, or the last change."""
    ns, values = [int(x) for x in ns], [float(v) for v in values]
    if len(ns) < 2:
        raise ValueError("Richardson extrapolation needs at least two resolutions")
    n1, n2 = ns[-2], ns[-1]
    v1, v2 = values[-2], values[-1]

    def extrap(p):
        return v2 + (v2 - v1) / ((n2 / n1) ** p - 1.0)

    p = 2.0
    if len(ns) >= 3:
        n0, v0 = ns[-3], values[-3]
        d1, d2 = v1 - v0, v2 - v1
        if d1 != 0 and d2 / d1 > 0:
            # d2/d1 = (n1^-p − n2^-p)/(n0^-p − n1^-p): solve by bisection in p
            f = lambda q: (n1**-q - n2**-q) / (n0**-q - n1**-q) - d2 / d1
            lo, hi = 0.25, 8.0
            if f(lo) * f(hi) < 0:
                for _ in range(80):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (mid, hi) if f(lo) * f(mid) > 0 else (lo, mid)
                p = 0.5 * (lo + hi)
    p = min(max(p, 1.0), 4.0)
    v_inf = extrap(p)
    err = max(abs(v_inf - extrap(2.0)), abs(v_inf - v2) * 0.25, 1e-12)
    return Extrapolation(ns, values, float(v_inf), float(err), float(p))


def node_spacing_xi(grid: NodeGrid) -> float:
    """Step of the grid in ξ (for reports)."""
    return float(xi_of_x(grid.s_max)) / (grid.n - 1)
