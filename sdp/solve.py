"""One place where cvxpy problems are solved, timed and their status classified."""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

SOLVERS = {"clarabel": cp.CLARABEL, "scs": cp.SCS}
_SOLVER_OPTIONS = {
    "clarabel": {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "max_iter": 400},
    "scs": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}


_RETRY_OPTIONS = {"clarabel": {"static_regularization_constant": 1e-7}}


class SolverUnavailable(RuntimeError):
    pass


@dataclass
class Solve:
    status: str  # optimal | optimal_inaccurate | infeasible | unbounded | failed
    value: float | None
    seconds: float
    iterations: int | None
    message: str = ""


def solve(problem: cp.Problem, solver: str = "clarabel", verbose: bool = False) -> Solve:
    """Solve and classify; never raises for solver-side failures (status 'failed')."""
    if solver not in SOLVERS:
        raise SolverUnavailable(f"solver {solver!r} is not a cvxpy back-end here (choose from {sorted(SOLVERS)})")
    if SOLVERS[solver] not in cp.installed_solvers():
        raise SolverUnavailable(f"solver {solver!r} is not installed (pip install {solver})")
    t0 = time.perf_counter()
    status, msg = _attempt(problem, solver, verbose, _SOLVER_OPTIONS[solver])
    if status == "failed" and solver in _RETRY_OPTIONS:  # numerical breakdown: once more, regularised
        problem = cp.Problem(problem.objective, problem.constraints)  # fresh: no state from the failure
        status, msg = _attempt(problem, solver, verbose, {**_SOLVER_OPTIONS[solver], **_RETRY_OPTIONS[solver]})
        msg = msg and f"{msg} (also after a retry with stronger regularisation)"
    seconds = time.perf_counter() - t0
    iters = getattr(problem.solver_stats, "num_iters", None) if problem.solver_stats else None
    status = {"optimal": "optimal", "optimal_inaccurate": "optimal_inaccurate",
              "infeasible": "infeasible", "infeasible_inaccurate": "infeasible",
              "unbounded": "unbounded", "unbounded_inaccurate": "unbounded"}.get(status, "failed")
    value = problem.value if status in ("optimal", "optimal_inaccurate") else None
    if value is not None and not np.isfinite(value):
        status, value, msg = "failed", None, "solver returned a non-finite objective"
    return Solve(status, value, seconds, iters, msg)


def _attempt(problem: cp.Problem, solver: str, verbose: bool, options: dict) -> tuple[str, str]:
    try:
        with warnings.catch_warnings():  # an inaccurate solve is reported in the status instead
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=SOLVERS[solver], verbose=verbose, **options)
        return problem.status, ""
    except cp.error.SolverError as exc:
        return "failed", f"solver error: {exc}"


def failure_message(sol: Solve, c0: float | None, inelasticity: str | None = None) -> str:
    """A physicist's reading of a non-optimal solve (`inelasticity`: the injected η file, if any)."""
    if sol.status == "infeasible" and inelasticity:
        at = f" at c0 = {c0:.6g}" if c0 is not None else ""
        return (f"no amplitude satisfies |S|² ≤ 1 − η with the inelasticity of {inelasticity}{at} (η close to 1 "
                "leaves no room for the amplitude; try a smaller η or run --objective max-c0 with this file)")
    if sol.status == "infeasible" and c0 is not None:
        return (f"no amplitude satisfies unitarity with c0 = {c0:.6g} (above the allowed maximum: "
                "run --objective max-c0)")
    if sol.status == "infeasible":
        return "the solver certified the constraints infeasible"
    return sol.message or f"solver status: {sol.status}"
