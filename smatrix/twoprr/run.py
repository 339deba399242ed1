"""One 2PRR amplitude end to end: solve (with a resolution ladder for the Richardson estimate of
c2), certify, analyse the Regge limit, and package a `Result` with the η_J profile."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..inelasticity import InelasticityProfile
from ..result import Result
from .amplitude import MandelstamAmplitude
from .certify import SPINS, Tolerances, certify
from .grid import NodeGrid, x_of_xi
from .solver import Extrapolation, Solution, SolverConfig, richardson, solve
from .system import TwoPRRSystem

ETA_SPINS = (0, 2, 4, 6, 8, 10)


@dataclass(frozen=True)
class RunConfig:
    """What `smatrix 2prr` computes: the amplitude on the finest grid of `ladder` and c2 on all."""

    c0: float
    n: int = 48
    s_max: float = 1e8
    ladder: tuple[int, ...] = (32, 40, 48)   # resolutions for the Richardson estimate (last = n)
    tol: float = 1e-10
    max_iter: int = 30

    def validate(self) -> None:
        if not math.isfinite(self.c0) or self.c0 < 0:
            raise ValueError(f"c0 must be a finite number ≥ 0, got {self.c0!r}")
        if not self.ladder or self.ladder[-1] != self.n or list(self.ladder) != sorted(set(self.ladder)):
            raise ValueError("the resolution ladder must increase strictly and end at n")
        for m in self.ladder:
            SolverConfig(n=m, s_max=self.s_max, tol=self.tol, max_iter=self.max_iter).validate()


@dataclass
class TwoPRRRun:
    """Everything one run produced (the Result plus the live objects for plots and files)."""

    result: Result
    solution: Solution
    system: TwoPRRSystem
    amplitude: MandelstamAmplitude | None
    extrapolation: Extrapolation | None


def eta_profile(amplitude: MandelstamAmplitude, system: TwoPRRSystem, spins=ETA_SPINS,
                per_panel: int = 4) -> InelasticityProfile:
    """η_J(s) in the injection schema at the grid energies and `per_panel` − 1 points between each
    pair (in ξ), from s − 4 = 1e-10 up to s_{n−2}, with s = 16 where η_J starts; η_J ≡ 0 below 16
    (eq. 15b) and values within the certificate's tolerance of 0 are clipped to 0."""
    xi = system.grid.xi[1:system.grid.n - 1]
    fine = (xi[:-1, None] + np.diff(xi)[:, None] * np.arange(per_panel)[None, :] / per_panel).ravel()
    s = np.unique(np.concatenate([[4.0 + 1e-10, 4.0 + 1e-6, 16.0], x_of_xi(fine), system.s]))
    eta = {}
    for J in spins:
        v = amplitude.eta(J, s)
        eta[J] = np.clip(np.where(s < 16.0, 0.0, v), 0.0, 1.0)     # η_J ≡ 0 below s = 16 (eq. 15b)
    meta = {"source": "smatrix 2prr", "c0": amplitude.c0, "c0_over_pi": amplitude.c0 / math.pi,
            "n": system.grid.n, "s_max": system.grid.s_max, "grading": system.grid.grading,
            "c2": amplitude.c2}
    return InelasticityProfile(s, eta, meta)


def regge_analysis(amplitude: MandelstamAmplitude, s_top: float) -> dict:
    """P2 §4.1.3: T(s, −1) → T∞ (fit T∞ + k/log^γ s), Re f0 > 0 and decaying at large s."""
    from scipy.optimize import curve_fit

    s = np.geomspace(1e2, s_top, 24)
    T = np.abs(amplitude.T(s, np.full_like(s, -1.0)))
    out: dict = {"s": s.tolist(), "abs_T_s_minus1": T.tolist()}
    try:
        popt, _ = curve_fit(lambda x, Tinf, k, g: Tinf + k / np.log(x) ** g, s, T, p0=(T[-1], 10.0, 1.4),
                            maxfev=20000)
        out.update(T_inf=float(popt[0]), k=float(popt[1]), gamma=float(popt[2]))
    except (RuntimeError, ValueError):
        out.update(T_inf=None, k=None, gamma=None)
    big = s >= 1e3
    re_f0 = amplitude.f0(s).real
    out["re_f0"] = re_f0.tolist()
    out["re_f0_positive"] = bool(np.all(re_f0[big] > 0))
    out["re_f0_decaying"] = bool(np.all(np.diff(np.abs(re_f0[big])) < 0))
    return out


def run_2prr(cfg: RunConfig, init: Solution | None = None, progress: bool = False) -> TwoPRRRun:
    """Solve, certify and package the 2PRR amplitude at cfg.c0."""
    cfg.validate()
    t0 = time.perf_counter()
    c2s, last = [], None
    for m in cfg.ladder:
        grid = NodeGrid(m, cfg.s_max)
        if progress:
            print(f"smatrix 2prr: grid n = {m}, s_max = {cfg.s_max:g}", file=sys.stderr, flush=True)
        system = TwoPRRSystem(grid, progress=progress)
        sol = solve(cfg.c0, SolverConfig(n=m, s_max=cfg.s_max, tol=cfg.tol, max_iter=cfg.max_iter),
                    init=init if m == cfg.n else last,
                    system=system, progress=progress)
        if sol.status != "converged":
            last = sol
            break
        c2s.append(system.c2(sol.u))
        last = sol
    config = asdict(cfg)
    config["ladder"] = list(cfg.ladder)
    if last.status != "converged":
        msg = (f"Newton did not converge at c0/π = {last.c0 / math.pi:.4g} on n = {last.grid.n}: "
               f"max |F| = {last.residual:.2e} > {cfg.tol:g}")
        res = Result(method="2prr-newton", model="full", objective="2prr", c0=cfg.c0, c2=None, value=None,
                     bound_kind="amplitude", status="not-converged", certified=False, certificate=None,
                     solver="newton", seconds=time.perf_counter() - t0, config=config, message=msg,
                     extra={"residual": last.residual, "history": last.history})
        return TwoPRRRun(res, last, system, None, None)
    amp = last.amplitude(system)
    ext = richardson(cfg.ladder[: len(c2s)], c2s) if len(c2s) >= 2 else None
    cert = certify(amp, system, last.u, Tolerances(residual=max(cfg.tol * 100, 1e-8)))
    peaks = {str(J): cert.details["spins"][str(J)]["eta_max"] for J in SPINS}
    regge = regge_analysis(amp, min(1e2 * 10 ** (0.8 * math.log10(cfg.s_max / 1e2)), system.s[-2]))
    c2 = ext.value if ext else amp.c2
    extra = {"c2_error": ext.error if ext else None, "c2_finest": amp.c2, "eta_peak": peaks,
             "richardson": asdict(ext) if ext else None, "regge": regge,
             "residual": last.residual, "history": last.history, "c3": amp.taylor["c3"],
             "eta0_peak_s": cert.details["spins"]["0"]["eta_peak_s"]}
    res = Result(method="2prr-newton", model="full", objective="2prr", c0=cfg.c0, c2=c2, value=c2,
                 bound_kind="amplitude", status="converged", certified=cert.passed,
                 certificate=cert, solver="newton", seconds=time.perf_counter() - t0,
                 config=config, message="" if cert.passed else "certificate failed: see certificate.details",
                 extra=extra)
    return TwoPRRRun(res, last, system, amp, ext)


__all__ = ["RunConfig", "TwoPRRRun", "eta_profile", "regge_analysis", "run_2prr"]
