"""Objectives of the (c0, c2) problems, shared by every formulation (P1 eqs. (66), (78)–(81))."""
from __future__ import annotations

import cvxpy as cp

from smatrix.errors import BadInput
from smatrix.problem import Objective, Problem

OBJECTIVES = ("max-c0", "min-c2", "max-c2")   # the primal formulations (the dual also has min-c0, direction)
__all__ = ["OBJECTIVES", "BadInput", "check_objective", "objective_and_constraints"]


def check_objective(objective: str, c0: float | None) -> Problem:
    """The primal problem of `objective` at `c0` (smatrix.problem parses the grammar once)."""
    problem = Problem.make(objective, c0)
    if problem.objective.name not in OBJECTIVES:
        raise BadInput(f"unknown objective {objective!r} for a primal; choose from {' | '.join(OBJECTIVES)}")
    return problem


def c2_scale(c0: float) -> float:
    """The size of c2 at fixed c0: the tangent 3c0/64 at the origin (eq. 35), ≥ c2 near it; floored
    at 1e-3 (c0 → 0, where c2 = 0: a vanishing scale made the free theory unsolvable)."""
    return max(3.0 * abs(c0) / 64.0, 1e-3)


def objective_and_constraints(objective: str, c0_expr, c2_expr, c0: float | None, scaled: bool = False):
    """cvxpy objective and the fixed-c0 constraint (if any); the value is the physical one unless
    `scaled`: then c2 enters as c2/c2_scale(c0), so that the solver's absolute gap tolerance is a
    relative one in c2 (near the origin c2 → 0 like c0², and an unscaled objective of 2e-3 let
    Clarabel stop 4.7e-4 away from the optimum at small c0; read c2 from its expression)."""
    if not Objective.parse(objective).fixes_c0:
        return cp.Maximize(c0_expr), []
    fix = [c0_expr == c0]
    c2 = c2_expr / c2_scale(c0) if scaled else c2_expr
    return (cp.Maximize(c2) if objective == "max-c2" else cp.Minimize(c2)), fix
