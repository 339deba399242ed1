"""Objectives of the (c0, c2) problems, shared by every formulation (P1 eqs. (66), (78)–(81))."""
from __future__ import annotations

from smatrix.errors import BadInput
from smatrix.problem import Problem

OBJECTIVES = ("max-c0", "min-c2", "max-c2")   # the primal formulations (the dual also has min-c0, direction)
__all__ = ["OBJECTIVES", "BadInput", "c2_scale", "check_objective"]


def check_objective(objective: str, c0: float | None) -> Problem:
    """The primal problem of `objective` at `c0` (smatrix.problem parses the grammar once)."""
    problem = Problem.make(objective, c0)
    if problem.objective.name not in OBJECTIVES:
        raise BadInput(f"unknown objective {objective!r} for a primal; choose from {' | '.join(OBJECTIVES)}")
    return problem


def c2_scale(c0: float) -> float:
    """The size of c2 at fixed c0: the tangent 3c0/64 at the origin (eq. 35), ≥ c2 near it; floored
    at 1e-3 (c0 → 0, where c2 = 0: a vanishing scale made the free theory unsolvable). Objectives in
    c2/c2_scale(c0) make the solver's absolute gap tolerance a relative one in c2 (near the origin c2 → 0
    like c0², and an unscaled objective of 2e-3 let Clarabel stop 4.7e-4 from the optimum at small c0)."""
    return max(3.0 * abs(c0) / 64.0, 1e-3)
