"""One Aks-screened amplitude end to end (`smatrix 2prr --screen-jmax K`): on each grid of the
resolution ladder solve the 2PRR amplitude, then the quasi-elastic one (J_max = 0), then screen
J = 2, 4, … K in turn (each hot-started from the last); c2 by Richardson over the ladder, the
certificate of `certify` on the finest grid, and the screening figures of merit."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..kinematics import phase_space
from ..result import Result
from .aks_bounds import bound_b, ratio_r
from .certify import Tolerances, certify, check_energies
from .grid import NodeGrid
from .kernel import mandelstam_kernel
from .screening import (ETA_SPINS, NORMS, ScreenConfig, ScreenedAmplitude, ScreenedSystem, ScreenSolution,
                        check_points, mp_column_norm, mp_norm, mp_support, screen_positive)
from .solver import SolverConfig, richardson, solve
from .system import TwoPRRSystem

S_PROBE = 200.0          # energy of the column norm ‖ρ_MP(s, ·)‖ compared with B(s)^J_max (P2 §5.2)
SCREEN_OFFGRID = 2e-4    # ||S_J|² − 1| and −η_J of the screened spins 2 … J_max between the nodes, where
                         # |S_J|² = 1 is not imposed: the O(h²) interpolation error of the piecewise-linear
                         # densities, the same class as the certificate's spin-0 off-grid tolerance (1e-2);
                         # measured 8.7e-5 at n = 48, c0 = 28π (docs/aks_screening.md)
DENSE_PER_CELL = 4       # the screening certificate re-measures on 4 points per cell (nodes + quarters),
                         # denser than the nodes + midpoints on which η_J ≥ 0 is held


@dataclass(frozen=True)
class ScreenRunConfig:
    """What `smatrix 2prr --screen-jmax K` computes."""

    c0: float
    jmax: int
    n: int = 48
    s_max: float = 1e8
    ladder: tuple[int, ...] = (32, 40, 48)
    norm: str = "xy"
    lam: float = 0.0
    tol: float = 1e-10

    def validate(self) -> None:
        if not math.isfinite(self.c0) or self.c0 < 0:
            raise ValueError(f"c0 must be a finite number ≥ 0, got {self.c0!r}")
        if not isinstance(self.jmax, int) or self.jmax < 0 or self.jmax % 2:
            raise ValueError(f"`screen_jmax` must be an even integer ≥ 0, got {self.jmax!r}")
        if self.norm not in NORMS:
            raise ValueError(f"`screen_norm` must be one of {', '.join(NORMS)}, got {self.norm!r}")
        if not self.ladder or self.ladder[-1] != self.n or list(self.ladder) != sorted(set(self.ladder)):
            raise ValueError("the resolution ladder must increase strictly and end at n")
        for m in self.ladder:
            SolverConfig(n=m, s_max=self.s_max, tol=self.tol).validate()
        ScreenConfig(norm=self.norm, lam=self.lam, tol=self.tol).validate()


@dataclass
class ScreenRun:
    """The Result plus the live objects on the finest grid (for figures and files)."""

    result: Result
    system: ScreenedSystem
    x: np.ndarray
    amplitude: ScreenedAmplitude | None


def _systems(grid: NodeGrid, kernel: dict):
    """J ↦ the system of spin J on grid (None: the plain 2PRR system), sharing one kernel."""
    return lambda J: TwoPRRSystem(grid, kernel=kernel) if J is None else ScreenedSystem(grid, J, kernel=kernel)


def screen_ladder(system_for, c0: float, jmax: int, cfg: ScreenConfig, init=None,
                  progress: bool = False) -> tuple[ScreenedSystem, ScreenSolution, float]:
    """2PRR → quasi-elastic → J = 2 … jmax on one grid; returns (system, solution, c2 of the 2PRR
    amplitude). `system_for(J)` builds the screened system of spin J on that grid."""
    base = system_for(None)
    sol = solve(c0, SolverConfig(n=base.grid.n, s_max=base.grid.s_max, tol=cfg.tol), init=init, system=base)
    c2_2prr = base.c2(sol.u)
    if sol.status != "converged":                  # reported as a not-converged screening run
        return system_for(0), ScreenSolution(sol.u, "not-converged", sol.residual, math.nan, sol.iterations,
                                             sol.history), c2_2prr
    x = sol.u
    for J in range(0, jmax + 1, 2):
        system = system_for(J)
        x0 = np.concatenate([x[: system.n_square], np.zeros(system.n3)]) if x.size != system.size else x
        res = screen_positive(system, x0, c0, cfg, progress=progress)
        if progress:
            print(f"smatrix 2prr --screen: n = {system.grid.n}, J_max = {J}: {res.status}, |F_2PRR| = "
                  f"{res.residual_2prr:.1e}, max ||S_J|²−1| = {res.residual_screen:.1e}, c2 = {system.c2(res.x):.7f}",
                  file=sys.stderr, flush=True)
        x = res.x
        if res.status != "converged":
            return system, res, c2_2prr
    return system, res, c2_2prr


def screening_measures(system: ScreenedSystem, amp: ScreenedAmplitude, norm: str) -> dict:
    """Screening figures of merit: max ||S_J|² − 1| for J ≤ J_max at the nodes s > 16 and between them,
    η_J of the unscreened spins, η_MP, ‖ρ_MP‖ (total and the column at s ≈ 200 against B(s)^J_max)."""
    s = check_energies(system)
    above = s > 16.0
    rho = phase_space(s)
    nodes = np.isin(s, system.s)
    per_spin = {}
    for J in range(0, max(system.jmax, 0) + 1, 2):
        S2 = np.abs(1.0 + 1j * rho * amp.f(J, s)) ** 2 - 1.0
        per_spin[str(J)] = {"nodes": float(np.max(np.abs(S2[above & nodes]))),
                            "between_nodes": float(np.max(np.abs(S2[above & ~nodes])))}
    unscreened = {}
    for J in range(system.jmax + 2, 11, 2):
        eta = amp.eta(J, s)
        unscreened[str(J)] = {"eta_min": float(eta.min()), "eta_max": float(eta.max())}
    eta_mp = amp.eta_mp(s)
    mp = amp.rho_mp
    s_col, col = mp_column_norm(system.grid, mp, S_PROBE, norm)
    return {"max_abs_S2_minus_1": per_spin, "unscreened_eta": unscreened,
            "eta_mp_range": [float(eta_mp.min()), float(eta_mp.max())],
            "rho_mp_norm": mp_norm(system.grid, mp, norm), "rho_mp_max_abs": float(np.max(np.abs(mp))),
            "rho_mp_column": {"s": s_col, "norm": col, "R": ratio_r(s_col), "B": bound_b(s_col),
                              "B_pow_jmax": bound_b(s_col) ** system.jmax},
            "rho_mp_support_nodes": int(mp_support(system.grid).sum()), "norm": norm}


def screening_certificate(system: ScreenedSystem, amp: ScreenedAmplitude, tol: Tolerances) -> dict:
    """The screening conditions re-measured on `DENSE_PER_CELL` points per cell above s = 16:
    screened spins 2 … J_max: ||S_J|² − 1| and −η_J ≤ SCREEN_OFFGRID; unscreened spins (J_max, 10]:
    η_J ≥ −tol.eta and |S_J|² − 1 ≤ tol.inelastic (no super-unitary wave)."""
    s = check_points(system.grid, DENSE_PER_CELL)
    rho = phase_space(s)
    rows, ok = {}, True
    for J in ETA_SPINS:
        S2 = np.abs(1.0 + 1j * rho * amp.f(J, s)) ** 2 - 1.0
        eta = amp.eta(J, s)
        row = {"max_S2_minus_1": float(S2.max()), "min_S2_minus_1": float(S2.min()), "eta_min": float(eta.min()),
               "screened": J <= system.jmax}
        if J <= system.jmax:
            row["passed"] = bool(max(abs(row["max_S2_minus_1"]), abs(row["min_S2_minus_1"]), -row["eta_min"])
                                 <= SCREEN_OFFGRID)
        else:
            row["passed"] = bool(row["eta_min"] >= -tol.eta and row["max_S2_minus_1"] <= tol.inelastic)
        ok &= row["passed"]
        rows[str(J)] = row
    return {"points": int(s.size), "per_cell": DENSE_PER_CELL, "offgrid_tolerance": SCREEN_OFFGRID,
            "eta_tolerance": tol.eta, "inelastic_tolerance": tol.inelastic, "eta_rows_held": int(system.eta_s.size),
            "spins": rows, "passed": bool(ok)}


def run_screening(cfg: ScreenRunConfig, progress: bool = False) -> ScreenRun:
    """Solve, measure and package the screened amplitude of cfg (Result method "2prr-screened")."""
    cfg.validate()
    t0 = time.perf_counter()
    scfg = ScreenConfig(norm=cfg.norm, lam=cfg.lam, tol=cfg.tol)
    c2s, c2_2prr, rungs, last, init = [], [], [], None, None
    for m in cfg.ladder:
        grid = NodeGrid(m, cfg.s_max)
        if progress:
            print(f"smatrix 2prr --screen: grid n = {m}", file=sys.stderr, flush=True)
        system, res, c2p = screen_ladder(_systems(grid, mandelstam_kernel(grid, progress=progress)), cfg.c0,
                                         cfg.jmax, scfg, progress=progress)
        rungs.append({"n": m, "status": res.status, "c2": system.c2(res.x), "c2_2prr": c2p,
                      "residual_2prr": res.residual_2prr, "residual_screen": res.residual_screen,
                      "iterations": res.iterations, "seconds": round(time.perf_counter() - t0, 1)})
        last = (system, res)
        if res.status != "converged":
            break
        c2s.append(system.c2(res.x))
        c2_2prr.append(c2p)
    system, res = last
    config = asdict(cfg)
    config["ladder"] = list(cfg.ladder)
    amp = system.amplitude(res.x, cfg.c0)
    extra = {"jmax": cfg.jmax, "rungs": rungs, "history": res.history, "residual_2prr": res.residual_2prr,
             "residual_screen": res.residual_screen, "regularisation": {"norm": cfg.norm, "lambda": cfg.lam}}
    extra.update(screening_measures(system, amp, cfg.norm))
    if res.status != "converged":
        msg = (f"screening J_max = {system.jmax} did not converge on n = {system.grid.n}: |F_2PRR| = "
               f"{res.residual_2prr:.1e}, max ||S_J|²−1| = {res.residual_screen:.1e} at the last iterate")
        extra["c2_last_iterate"] = system.c2(res.x)
        extra["tau_reached"] = max([h["tau"] for h in res.history if h.get("status") == "converged"], default=0.0)
        result = Result(method="2prr-screened", model="full", objective="aks-screening", c0=cfg.c0, c2=None,
                        value=None, bound_kind="amplitude", status="not-converged", certified=False,
                        certificate=None, solver="gauss-newton", seconds=time.perf_counter() - t0,
                        config=config, message=msg, extra=extra)
        return ScreenRun(result, system, res.x, None)
    ext = richardson(cfg.ladder[: len(c2s)], c2s) if len(c2s) >= 2 else None
    shift = richardson(cfg.ladder[: len(c2s)], np.subtract(c2s, c2_2prr)) if len(c2s) >= 2 else None
    # certify's η and inelastic checks take every spin at one tolerance: the screened spins' off-grid
    # error (SCREEN_OFFGRID) there; the unscreened spins are held to 1e-5 on the denser points below
    tol = Tolerances(residual=max(cfg.tol * 100, 1e-8), eta=1e-5)
    loose = tol if cfg.jmax < 2 else Tolerances(residual=tol.residual, eta=SCREEN_OFFGRID, inelastic=SCREEN_OFFGRID)
    cert = certify(amp, system, res.x, loose)
    dense = screening_certificate(system, amp, tol)
    cert.details["screening"] = dense
    exact = cfg.lam == 0 or res.residual_screen <= max(cfg.tol * 100, 1e-8)
    c2 = ext.value if ext else amp.c2
    extra.update(c2_error=ext.error if ext else None, c2_finest=c2s[-1], richardson=asdict(ext) if ext else None,
                 c2_shift_from_2prr=asdict(shift) if shift else None, screening_exact=bool(exact))
    certified = bool(cert.passed and dense["passed"] and exact)
    msg = "" if certified else ("screening not exact (Tikhonov λ > 0): see max_abs_S2_minus_1" if not exact
                                else "certificate failed: see certificate.details")
    result = Result(method="2prr-screened", model="full", objective="aks-screening", c0=cfg.c0, c2=c2, value=c2,
                    bound_kind="amplitude", status="converged", certified=certified, certificate=cert,
                    solver="gauss-newton", seconds=time.perf_counter() - t0, config=config, message=msg,
                    extra=extra)
    return ScreenRun(result, system, res.x, amp)


__all__ = ["ScreenRun", "ScreenRunConfig", "run_screening", "screen_ladder", "screening_measures"]
