"""The spectral-grid primal (250 spline nodes, refine 2: the defaults) at the quick almond's kinds
of points, by Clarabel (through cvxpy) and by the dense CVXOPT path (the default since issue 19):
one solve each (rounds 0: same data for both), then the default refined-and-certified solve.

    python benchmarks/grid_solvers.py

Prints per point: value and status per solver, their relative difference, solver seconds, and the
certified default's value, solves and seconds (CPU seconds of this process, so that a loaded
machine shows the work, not the wait)."""
from __future__ import annotations

import os
import time
from dataclasses import replace

from smatrix.sdp.zero_ddisc_grid import GridConfig, grid_operators, solve_grid

C0MAX = 243.05301890392712
POINTS = [("max-c0", None)] + [(o, f * C0MAX) for f in (0.02, 0.3, 0.6, 0.95) for o in ("min-c2", "max-c2")]


def main() -> None:
    base = GridConfig(spline=True, refine=2)
    grid_operators(base.nodes, base.s_switch, base.s_max, base.per_segment, base.spline, base.refine)
    print(f"load average {os.getloadavg()[0]:.1f}; {base.nodes} nodes, spline, refine {base.refine}")
    print(f"{'point':22s} {'clarabel':>16s} {'s':>5s} {'cvxopt':>16s} {'s':>5s} {'rel diff':>8s} "
          f"{'certified value':>16s} {'solves':>6s} {'cpu s':>6s}")
    for obj, c0 in POINTS:
        one = {s: solve_grid(obj, c0, replace(base, rounds=0, solver=s)) for s in ("clarabel", "cvxopt")}
        t = time.process_time()
        full = solve_grid(obj, c0, base)
        cpu = time.process_time() - t
        a, b = one["clarabel"], one["cvxopt"]
        label = obj if c0 is None else f"{obj} c0={c0 / C0MAX:.2f}c0max"
        rel = abs(a.value - b.value) / abs(b.value)
        print(f"{label:22s} {a.value:16.10g} {a.certificate['solver_seconds']:5.1f} {b.value:16.10g} "
              f"{b.certificate['solver_seconds']:5.1f} {rel:8.1e} {full.value:16.10g} "
              f"{len(full.certificate['refinement']['rounds']):6d} {cpu:6.1f}"
              + ("" if full.certified else "  NOT certified"), flush=True)


if __name__ == "__main__":
    main()
