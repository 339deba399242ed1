"""The neural methods in the one registry (smatrix.registry; entry point `smatrix.methods`). They
are listed without torch (specs only here); running one without it says it needs the `[neural]` extra."""
from __future__ import annotations

from smatrix.problem import Problem
from smatrix.registry import MethodSpec
from smatrix.result import Result

_HERE = "smatrix.neural"
_TORCH = {"requires": "torch", "extra": "neural"}

METHODS = (
    MethodSpec("dual-nn", "dual", "zero-ddisc neural dual: the multiplier w as a network (P1 §4.1)",
               f"{_HERE}.zero_ddisc_dual:NNDualConfig", f"{_HERE}.methods:run_dual",
               options=("init", "checkpoint", "progress"), **_TORCH),
    MethodSpec("primal-nn", "primal", "zero-ddisc neural primal c2 boundaries at fixed c0 (P1 §5.1)",
               f"{_HERE}.zero_ddisc_boundary:BoundaryConfig", f"{_HERE}.methods:run_boundary",
               objectives=("min-c2", "max-c2"), options=("init", "checkpoint"), **_TORCH),
    MethodSpec("amplitude-nn", "amplitude", "zero-ddisc neural amplitude at fixed c0 and a c2 target, "
               "Newton-polished and certified (P1 §5.1)", f"{_HERE}.zero_ddisc_primal:NNPrimalConfig",
               f"{_HERE}.methods:run_amplitude", objectives=(),
               options=("init", "checkpoint", "eta_out", "progress", "dual_bounds"), **_TORCH),
)


def run_dual(problem: Problem, config, init: str | None = None, checkpoint: str | None = None,
             progress: bool = False) -> Result:
    from .zero_ddisc_dual import train_dual
    start = None
    if config.start == "dual-sdp" and init is None:   # the SDP dual's multiplier, through the registry
        from smatrix import registry
        sdp = registry.get("dual-sdp").run(problem)
        start = sdp.extra if sdp.value is not None else None
    return train_dual(problem.objective.name, problem.c0, config, init=init, checkpoint=checkpoint,
                      progress=progress, start_multiplier=start)


def run_boundary(problem: Problem, config, init: str | None = None, checkpoint: str | None = None) -> Result:
    from .zero_ddisc_boundary import boundary_c2
    return boundary_c2(problem.objective.name, problem.c0, config, init=init, checkpoint=checkpoint)


def run_amplitude(problem: Problem, config, init: str | None = None, checkpoint: str | None = None,
                  eta_out: str | None = None, progress: bool = False,
                  dual_bounds: tuple[float, float] | None = None) -> Result:
    from smatrix.errors import BadInput

    from .zero_ddisc_primal import train_primal
    if problem.target is None:
        raise BadInput("the neural amplitude needs a c2 `target`")
    return train_primal(problem.c0, problem.target, config, init=init, checkpoint=checkpoint, eta_out=eta_out,
                        progress=progress, dual_bounds=dual_bounds)
