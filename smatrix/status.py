"""The status vocabulary of every Result (issue 13); what happened in words goes in `message`.

- optimal / optimal_inaccurate: a convex solve reached its optimum (to the solver's tolerance / less; an
  SDPB run that stopped early, its reason in the message: the value is re-certified either way);
- infeasible / unbounded: the convex problem has no solution / no finite optimum;
- converged: an iteration or a training reached its end (Newton polish, elastic iteration, neural dual);
- not-converged: it stopped before (or was not polished); no claim on the value;
- converged-not-unitary / converged-violates-bound: it converged at its nodes, but the amplitude is not
  unitary on a denser grid / its value lies outside the rigorous dual bounds;
- off-target: an amplitude was found, but not at the requested c2;
- outside: no amplitude with the requested properties (the target lies outside the allowed region);
- failed: no value (a solver or SDPB breakdown; the message says which)."""
from __future__ import annotations

OPTIMAL = "optimal"
OPTIMAL_INACCURATE = "optimal_inaccurate"
INFEASIBLE = "infeasible"
UNBOUNDED = "unbounded"
CONVERGED = "converged"
NOT_CONVERGED = "not-converged"
CONVERGED_NOT_UNITARY = "converged-not-unitary"
CONVERGED_VIOLATES_BOUND = "converged-violates-bound"
OFF_TARGET = "off-target"
OUTSIDE = "outside"
FAILED = "failed"

STATUSES = (OPTIMAL, OPTIMAL_INACCURATE, INFEASIBLE, UNBOUNDED, CONVERGED, NOT_CONVERGED, CONVERGED_NOT_UNITARY,
            CONVERGED_VIOLATES_BOUND, OFF_TARGET, OUTSIDE, FAILED)

