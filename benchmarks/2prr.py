"""Timing of the 2PRR classical solver: kernel build, cached reload, one amplitude (c0 = 40π by
continuation from 0), memory. Prints a Markdown table.

    python benchmarks/2prr.py [N ...]        (default 32 40 48 64)
"""
from __future__ import annotations

import math
import os
import resource
import sys
import tempfile
import time

from smatrix.twoprr.grid import NodeGrid
from smatrix.twoprr.kernel import mandelstam_kernel
from smatrix.twoprr.run import RunConfig, run_2prr


def main(ns) -> None:
    os.environ["SMATRIX_CACHE"] = tempfile.mkdtemp(prefix="smatrix-2prr-bench-")
    print("| N | support nodes | kernel MB | build s | cached reload s | amplitude at 40π (ladder) s | "
          "peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for n in ns:
        grid = NodeGrid(n)
        t = time.perf_counter()
        k = mandelstam_kernel(grid)
        build = time.perf_counter() - t
        t = time.perf_counter()
        mandelstam_kernel(grid)
        reload = time.perf_counter() - t
        ladder = tuple(sorted({max(12, round(2 * n / 3)), max(12, round(5 * n / 6)), n}))
        t = time.perf_counter()
        res = run_2prr(RunConfig(c0=40 * math.pi, n=n, ladder=ladder)).result
        amp = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {n} | {len(k['pairs'])} | {k['M'].nbytes / 2**20:.0f} | {build:.1f} | {reload:.2f} | "
              f"{amp:.0f} ({res.status}, certified {res.certified}) | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [32, 40, 48, 64])
