"""Seconds per boundary point of the zero-ddisc primal, both formulations (prints a table).

    python benchmarks/primal_zero_ddisc.py
"""
from __future__ import annotations

import math
import time

from smatrix.sdp.zero_ddisc_grid import GridConfig, grid_operators, solve_grid
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet

POINTS = [("max-c0", None), ("min-c2", 28 * math.pi), ("max-c2", 28 * math.pi),
          ("min-c2", 60 * math.pi), ("max-c2", 60 * math.pi)]


def bench(name, fn, cfg):
    times, vals = [], []
    for obj, c0 in POINTS:
        t0 = time.perf_counter()
        r = fn(obj, c0, cfg)
        times.append(time.perf_counter() - t0)
        vals.append(r.value)
    return name, times, vals


def main():
    rows = [bench(f"wavelet Nmax={n}, grid 300", solve_wavelet, WaveletConfig(nmax=n)) for n in (8, 12, 16)]
    for n in (150, 250, 300):
        t0 = time.perf_counter()
        grid_operators(n, 1e4, 1e12, 2, False, 1)
        build = time.perf_counter() - t0
        name, times, vals = bench(f"grid nodes={n} (build {build:.2f}s)", solve_grid, GridConfig(nodes=n))
        rows.append((name, times, vals))
    print(f"{'method':34} " + " ".join(f"{o + ('@' + format(c / math.pi, 'g') + 'π' if c else ''):>14}" for o, c in POINTS)
          + f" {'mean s/pt':>10}")
    for name, times, vals in rows:
        print(f"{name:34} " + " ".join(f"{v:9.6g}/{t:4.2f}s" for v, t in zip(vals, times))
              + f" {sum(times) / len(times):10.3f}")


if __name__ == "__main__":
    main()
