"""The convex methods in the one registry (smatrix.registry; entry point `smatrix.methods`):
specs first (importing this module loads no solver), runners `(problem, config, **options)`."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from smatrix.problem import OBJECTIVES, Problem
from smatrix.registry import MethodSpec
from smatrix.result import Result

if TYPE_CHECKING:       # the configs' modules load the solvers
    from .zero_ddisc_grid import GridConfig
    from .zero_ddisc_wavelet import WaveletConfig

_HERE = "smatrix.sdp"
_SDPB = ("procs", "sdpb_checkpoint")   # run options of --solver sdpb

METHODS = (
    MethodSpec("primal-wavelet", "primal", "zero-ddisc primal: ρ-wavelet ansatz (P1 §4.3)",
               f"{_HERE}.zero_ddisc_wavelet:WaveletConfig", f"{_HERE}.methods:run_wavelet", options=_SDPB),
    MethodSpec("primal-grid", "primal", "zero-ddisc primal: ρ on a spectral grid, spline elements",
               f"{_HERE}.zero_ddisc_grid:GridConfig", f"{_HERE}.methods:run_grid",
               defaults={"spline": True, "refine": 2}),
    MethodSpec("primal-full", "primal", "full-model primal: ρ-wavelet double products with spins (P2 App. B)",
               f"{_HERE}.full_wavelet:FullConfig", f"{_HERE}.methods:run_full", models=("full",),
               defaults={"rounds": 8}),
    MethodSpec("dual-sdp", "dual", "zero-ddisc rigorous dual: Chebyshev multiplier SDP (P1 §4.1)",
               f"{_HERE}.zero_ddisc_dual:DualConfig", f"{_HERE}.methods:run_dual", objectives=OBJECTIVES,
               options=_SDPB),
)


def run_wavelet(problem: Problem, config, procs: int = 1, sdpb_checkpoint: str | None = None) -> Result:
    from smatrix.budget import check_size, wavelet_estimate

    from .zero_ddisc_wavelet import solve_wavelet, solve_wavelet_sdpb
    config = replace(config, **problem.constraint_settings())
    config.validate()
    check_size(wavelet_estimate(config.nmax, config.grid))
    if config.solver == "sdpb":
        return solve_wavelet_sdpb(problem.objective.name, problem.c0, replace(config, solver="clarabel"),
                                  procs=procs, checkpoint=sdpb_checkpoint)
    routed = config.dual_gap > 0 and config.inelasticity is None
    if routed and problem.objective.name == "max-c0":
        return tip_on_grid(problem, config)
    res = solve_wavelet(problem.objective.name, problem.c0, config)
    if routed and res.value is not None:
        return grid_route(problem, res, config)
    return res


TIP_STALL = 5.3e-4   # the float64 wavelet max c0 below the dual bound, Nmax 8–12 (docs/certification.md)


def tip_on_grid(problem: Problem, wavelet_config: WaveletConfig) -> Result:
    """Max c0 (the tip of the almond), where the float64 wavelet stalls TIP_STALL below the dual bound
    at every Nmax measured: solved on the spectral grid directly, without the wavelet solve and the
    dual bound that would only confirm the stall; the Result says so (`config["route"]`, the message)."""
    grid = run_grid(problem, _grid_config(wavelet_config))
    grid.extra["route"] = {"used": "primal-grid", "reason": "max-c0", "wavelet_stall": TIP_STALL}
    grid.config["route"] = "grid"
    note = (f"solved on the spectral grid: at the tip the float64 wavelet ansatz stalls ~{TIP_STALL:.1e} "
            "(relative) below the dual bound (docs/certification.md; --method wavelet keeps it)")
    grid.message = note + (f"; {grid.message}" if grid.message else "")
    return grid


def _grid_config(wavelet_config: WaveletConfig) -> GridConfig:
    """The grid's defaults with the refinement rounds and the tolerance the wavelet run was given."""
    spec = next(m for m in METHODS if m.name == "primal-grid")
    return spec.make_config({"rounds": wavelet_config.rounds, "tolerance": wavelet_config.tolerance})


def grid_route(problem: Problem, wavelet: Result, config: WaveletConfig) -> Result:
    """The float64 wavelet ansatz stalls short of the optimum near the tip of the almond (the SVD
    keeps only the directions above 1e-13 σ_max: docs/sdpb.md). When its value is further than
    `config.dual_gap` (relative) from the dual bound of the same point, the spectral grid — which
    reaches it — is solved instead (with the wavelet config's rounds and tolerance); its Result says
    so (`config["route"]`, the message) and keeps the wavelet's value and the dual bound in
    `extra["route"]`. Within the gap, the wavelet Result is returned with the measured gap."""
    from .zero_ddisc_dual import solve_dual
    gap = config.dual_gap
    dual = solve_dual(problem.objective.name, problem.c0)
    if dual.value is None:
        return wavelet
    measured = abs(wavelet.value - dual.value) / abs(dual.value)
    route = {"wavelet_value": wavelet.value, "dual_bound": dual.value, "relative_gap": measured, "allowed": gap}
    if measured <= gap:
        wavelet.extra["route"] = {**route, "used": "primal-wavelet"}
        return wavelet
    grid = run_grid(problem, _grid_config(config))
    grid.extra["route"] = {**route, "used": "primal-grid", "wavelet_seconds": wavelet.seconds + dual.seconds}
    grid.config["route"] = "grid"
    grid.seconds += wavelet.seconds + dual.seconds
    note = (f"solved on the spectral grid: the float64 wavelet ansatz reached {wavelet.value:.10g}, "
            f"{measured:.1e} (relative) from the dual bound {dual.value:.10g}, beyond the {gap:g} allowed")
    grid.message = note + (f"; {grid.message}" if grid.message else "")
    return grid


def run_grid(problem: Problem, config) -> Result:
    from smatrix.errors import BadInput

    from .zero_ddisc_grid import solve_grid
    if config.solver == "sdpb":
        raise BadInput("`solver` sdpb is available for the wavelet methods only (so far)")
    return solve_grid(problem.objective.name, problem.c0, replace(config, **problem.constraint_settings()))


def full_config(problem: Problem, config):
    """The full-model config with the problem's constraints: an injected profile without `jmin` is
    imposed for every spin of the file up to `jmax`; validated, and sized for this machine."""
    from smatrix.budget import check_size, full_estimate
    config = replace(config, **problem.constraint_settings())
    if problem.inelasticity is not None and config.jmin == -1:
        from smatrix.inelasticity import load_profile
        config = replace(config, jmin=max(J for J in load_profile(problem.inelasticity).spins if J <= config.jmax))
    config.validate()
    check_size(full_estimate(config.nmax, config.grid, config.jmax))
    return config


def run_full(problem: Problem, config) -> Result:
    from .full_wavelet import solve_full
    return solve_full(problem.objective.name, problem.c0, full_config(problem, config))


def run_dual(problem: Problem, config, procs: int = 1, sdpb_checkpoint: str | None = None) -> Result:
    from smatrix.budget import check_size, dual_estimate

    from .zero_ddisc_dual import solve_dual
    if problem.inelasticity is not None:
        from smatrix.errors import BadInput
        raise BadInput("the dual method has no η injection (`inelasticity`)")
    if config.nodes >= 16:
        check_size(dual_estimate(config.nodes))
    return solve_dual(problem.objective.name, problem.c0, config, problem.objective.direction, procs=procs,
                      checkpoint=sdpb_checkpoint)
