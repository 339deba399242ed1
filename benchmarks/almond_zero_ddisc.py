"""Wall time of the whole zero-ddisc almond: all methods, 20 slices (+ max c0), local executor on this
machine's cores, into a fresh store (nothing reused). Prints a table per method and the verdict.

    python benchmarks/almond_zero_ddisc.py [--slices 20] [--executor local] [--out bench-almond]

Target (issue: crosscheck): ≤ 15 min on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from smatrix.crosscheck.almond import AlmondConfig, run_almond, write_outputs
from smatrix.crosscheck.executors import make_executor
from smatrix.crosscheck.methods import DEFAULT_METHODS, METHODS
from smatrix.crosscheck.report import evaluate, summary_table, verdict_lines
from smatrix.crosscheck.store import ResultStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slices", type=int, default=20)
    ap.add_argument("--executor", default="local")
    ap.add_argument("--out", default="bench-almond")
    a = ap.parse_args()
    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True)
    names = [n for n in DEFAULT_METHODS if not METHODS[n].missing()]
    methods = [METHODS[n] for n in names]
    cfg = AlmondConfig(methods, {m.name: m.settings_for(False) for m in methods}, slices=a.slices)
    t0 = time.perf_counter()
    with ResultStore(out / "results.sqlite") as store, make_executor(a.executor) as ex:
        almond = evaluate(run_almond(cfg, ex, store, progress=True))
        executor = ex.name
    t_scan = time.perf_counter() - t0
    write_outputs(almond, out)
    t_all = time.perf_counter() - t0
    print(f"almond: {', '.join(names)}; {a.slices} slices + max c0 = {len(almond['points'])} points; "
          f"executor {executor} on {os.cpu_count()} cores")
    print(summary_table(almond))
    print("\n".join(verdict_lines(almond)))
    print(f"wall time: scan {t_scan:.1f} s ({t_scan / 60:.2f} min), with report and figures {t_all:.1f} s; "
          f"CPU time in the points {sum(s['seconds'] for s in almond['summary'].values()):.1f} s")


if __name__ == "__main__":
    main()
