"""Full-model primal (P2 App. B): convergence of max c0 in Nmax and grid size, timings (prints a
Markdown table; docs/full_model.md quotes it).

    python benchmarks/full_primal.py [--nmax 4,6,8,10,12] [--grid 150,300,600]
    python benchmarks/full_primal.py --inelastic [--nmax 8]

The first form: max c0 (rows build time = the partial-wave rows without the disk cache). The second:
max c0 and min c2 at c0 = 28π with the synthetic `demo_profile` injected for J ≤ J_min, by
`smatrix inject`'s table (crosscheck.inject.injection_table: shared refined points, nested rows).
"""
from __future__ import annotations

import argparse
import math
import time

import tempfile
from pathlib import Path

from smatrix.crosscheck.inject import InjectConfig, injection_table
from smatrix.full_amplitude import FullBasis, partial_wave_rows
from smatrix.sdp.full_wavelet import FullConfig, solve_full
from smatrix.inelasticity import demo_profile
from smatrix.grids import unitarity_grid

PUBLISHED = 2.661336


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--nmax", default="4,6,8,10,12")
    p.add_argument("--grid", default="150,300,600")
    p.add_argument("--jmax", type=int, default=16)
    p.add_argument("--inelastic", action="store_true")
    a = p.parse_args()
    if a.inelastic:
        return inelastic_table(8 if "," in a.nmax else int(a.nmax), a.jmax)
    print(f"| Nmax | ansatz | grid | c0max/32π | − published | certified | max viol. (J ≤ {a.jmax + 4}) | "
          "SVD cutoff | rank | rows build s | solve s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for nmax in map(int, a.nmax.split(",")):
        for grid in map(int, a.grid.split(",")):
            t0 = time.perf_counter()
            partial_wave_rows(FullBasis(nmax), unitarity_grid(grid), range(0, a.jmax + 1, 2))
            build = time.perf_counter() - t0
            t0 = time.perf_counter()
            r = solve_full("max-c0", None, FullConfig(nmax=nmax, grid=grid, jmax=a.jmax))
            dt = time.perf_counter() - t0
            c = r.certificate or {}
            v = r.value / (32 * math.pi) if r.value is not None else float("nan")
            print(f"| {nmax} | {c.get('ansatz_size')} | {grid} | {v:.7f} | {v - PUBLISHED:+.1e} | {r.certified} | "
                  f"{c.get('max_unitarity_violation', float('nan')):.1e} | {c.get('svd_cutoff')} | {c.get('rank_kept')} | "
                  f"{build:.1f} | {dt:.1f} |", flush=True)


def inelastic_table(nmax: int, jmax: int) -> None:
    """Tables 2–3 of P2 with the synthetic profile, as `smatrix inject` computes them: one reduced space
    (SVD cutoff 1e-8) and one refined point set for all J_min, so the constraint sets stay nested and
    the columns must be monotone; every row certified at 1e-6 on |S_J|² − 1 and |S_J|² − 1 + η_J."""
    path = Path(tempfile.mkdtemp()) / "eta.json"
    demo_profile(tuple(range(0, 11, 2))).save(path)
    tables = {}
    for objective, c0 in (("max-c0", None), ("min-c2", 28 * math.pi)):
        t0 = time.perf_counter()
        tables[objective] = injection_table(InjectConfig(eta=str(path), objective=objective, c0=c0, nmaxs=(nmax,),
                                                         jmax=jmax, jmax_limit=max(32, jmax)))
        print(f"{objective}: {time.perf_counter() - t0:.0f} s", flush=True)
    print("| J_min | max c0/32π | certified | min c2 at c0 = 28π | certified | max(|S_J|² − 1 + η_J) | points |")
    print("|---|---|---|---|---|---|---|")
    for r0, r2 in zip(tables["max-c0"]["rows"], tables["min-c2"]["rows"]):
        miss = max(r.get("max_inelasticity_violation") or 0.0 for r in (r0, r2)) if r0["jmin"] >= 0 else None
        print(f"| {r0['jmin']} | {r0['nested_value'] / (32 * math.pi):.7f} | {r0['certified']} | {r2['nested_value']:.7f} | "
              f"{r2['certified']} | {'—' if miss is None else format(miss, '.1e')} | {r0['points']}, {r2['points']} |")


if __name__ == "__main__":
    main()
