"""The Python API, mirroring the command line (issue 13): every method of the one registry on a
`Problem`, returning the `Result` the CLI prints (`Result.amplitude` for plots of a primal).

    >>> import smatrix
    >>> top = smatrix.bound("max-c0", method="dual-sdp", n_cheb=20, nodes=200)
    >>> low = smatrix.bound("min-c2", c0="28pi", method="primal-grid", nodes=150)"""
from __future__ import annotations

from typing import Any

from .errors import BadInput
from .problem import Problem
from .registry import MethodSpec, get, specs
from .result import Result

DEFAULT_METHOD = {"zero-ddisc": "dual-sdp", "full": "primal-full"}


def methods(kind: str | None = None) -> list[MethodSpec]:
    """The registered methods (kind "primal", "dual" or "amplitude"); `missing()` says what one lacks."""
    return specs(kind)


def _number(value: "float | str | None") -> float | None:
    if value is None or not isinstance(value, str):
        return value
    from .numbers import parse_number
    try:
        return parse_number(value)
    except ValueError as exc:
        raise BadInput(f"`c0` {value!r}: {exc}") from None


def run(method: str, problem: Problem, **settings: Any) -> Result:
    """Run `method` on `problem`; `settings` are fields of its config dataclass (on top of the
    method defaults) or its run options (`MethodSpec.options`)."""
    spec = get(method)
    fields, options = spec.split(settings)
    return spec.run(problem, spec.make_config(fields), **options)


def bound(objective: str, *, model: str = "zero-ddisc", method: str | None = None, c0: "float | str | None" = None,
          direction: tuple[float, float] | None = None, inelasticity: str | None = None,
          eta_extend: str | None = None, **settings: Any) -> Result:
    """`smatrix bound`: the objective of the grammar `max-c0 | min-c0 | max-c2 | min-c2 | direction A,B`
    with `method` (default dual-sdp; primal-full for the full model) at a fixed `c0` (a number or
    text such as "28pi") for the c2 objectives; `inelasticity` injects an η profile."""
    problem = Problem.make(objective, _number(c0), direction=direction, model=model, inelasticity=inelasticity,
                           eta_extend=eta_extend)
    return run(method or DEFAULT_METHOD[model], problem, **settings)


def find_amplitude(c0: "float | str", target: float | None = None, *, method: str = "amplitude-nn",
              **settings: Any) -> Result:
    """An amplitude at fixed c0 (`smatrix nn-primal` with a c2 `target`, `smatrix baseline`)."""
    return run(method, Problem.make(None, _number(c0), target=target), **settings)
