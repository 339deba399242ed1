"""The classical baselines in the one registry (P1 §7): elastic unitarity at fixed c0 solved by
fixed-point or Newton iterations (smatrix.elastic), registered like any method package."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import BadInput
from .problem import Problem
from .registry import MethodSpec
from .result import Result


@dataclass(frozen=True)
class BaselineConfig:
    nodes: int = 250              # spectral nodes
    max_iter: int = 300
    continuation: bool = False    # newton: reach c0 in steps of π, hot-starting each solve

    def validate(self, method: str) -> None:
        if self.nodes < 8 or self.max_iter < 1:
            raise BadInput("need `nodes` ≥ 8 and `max_iter` ≥ 1")
        if self.continuation and method != "newton":
            raise BadInput("`continuation` applies to `method` newton")


METHODS = tuple(
    MethodSpec(f"baseline-{it}", "amplitude", f"elastic unitarity at fixed c0 by {it} iterations (P1 §7)",
               "smatrix.baseline:BaselineConfig", f"smatrix.baseline:run_{it.replace('-', '_')}", objectives=())
    for it in ("fixed-point", "newton"))


def _run(iteration: str, problem: Problem, config: BaselineConfig) -> Result:
    from .elastic import baseline_result
    if not problem.c0 >= 0:
        raise BadInput(f"`c0` must be a finite number ≥ 0, got {problem.c0}")
    config.validate(iteration)
    return baseline_result(iteration, problem.c0, config.nodes, config.max_iter, config.continuation)


def run_fixed_point(problem: Problem, config: BaselineConfig) -> Result:
    return _run("fixed-point", problem, config)


def run_newton(problem: Problem, config: BaselineConfig) -> Result:
    return _run("newton", problem, config)
