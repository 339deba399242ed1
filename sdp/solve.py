"""One place where every convex problem is solved: `solve(ProblemData, solver) -> Solution`, the
back-end picked by name (`--solver clarabel|scs|sdpb`, smatrix.sdp.backends), and the physicist's
reading of a solve that did not find an optimum."""
from __future__ import annotations

from .backends import Backend, Solution, SolverUnavailable, backend
from .problems import ProblemData

__all__ = ["solve", "Solution", "SolverUnavailable", "failure_message"]


def solve(data: ProblemData, solver: str | Backend = "clarabel", **sdpb_options) -> Solution:
    """Solve `data` with the back-end `solver` (a name or a configured Backend); solver-side failures
    are a status, never an exception (SDPB: SDPBError when it is missing, killed or timed out)."""
    return backend(solver, **sdpb_options).solve(data)


def failure_message(sol: Solution, c0: float | None, inelasticity: str | None = None) -> str:
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
