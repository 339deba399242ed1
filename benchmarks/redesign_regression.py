"""Numbers before and after a redesign (issue 13): a fixed set of cheap, deterministic commands run
through the `smatrix` command layer, their values recorded once and compared afterwards.

    python benchmarks/redesign_regression.py --record data/reference/pre_redesign.json   # old tree
    python benchmarks/redesign_regression.py --compare data/reference/pre_redesign.json  # new tree

Each command runs in a fresh cache directory (nothing the old code built is reused) with one thread,
and prints value, c0, c2, the certificate's worst violation and the relative change against the
record (required ≤ 1e-10 where the computation is deterministic)."""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "dual max-c0": ["dual", "--objective", "max-c0"],
    "dual min-c2 28pi": ["dual", "--objective", "min-c2", "--c0", "28pi"],
    "dual max-c2 28pi": ["dual", "--objective", "max-c2", "--c0", "28pi"],
    "wavelet min-c2 28pi nmax8": ["primal", "--objective", "min-c2", "--c0", "28pi", "--nmax", "8", "--grid", "200",
                                  "--rounds", "0"],
    "grid min-c2 28pi 120": ["primal", "--method", "grid", "--objective", "min-c2", "--c0", "28pi", "--grid", "120",
                             "--rounds", "0"],
    "full max-c0 nmax4": ["primal", "--model", "full", "--objective", "max-c0", "--nmax", "4", "--jmax", "8",
                          "--grid", "150", "--rounds", "0"],
    "baseline newton 10pi": ["baseline", "--method", "newton", "--c0", "10pi", "--grid", "100"],
    "nn-dual max-c2 28pi 100ep": ["nn-dual", "--objective", "max-c2", "--c0", "28pi", "--epochs", "100", "--lbfgs",
                                  "0"],
    "2prr c2 28pi n24": ["2prr", "--c0", "28pi", "--n", "24", "--ladder", "16,20,24", "--no-plots"],
}
KEYS = ("value", "c0", "c2")


def run(argv: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SMATRIX_CACHE": cache, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "smatrix.cli", *argv, "--json"], capture_output=True, text=True,
                           env=env, timeout=3600)
        seconds = time.perf_counter() - t0
    lines = p.stdout.strip().splitlines()
    d = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    cert = d.get("certificate") or {}
    return {**{k: d.get(k) for k in KEYS}, "exit": p.returncode, "seconds": round(seconds, 1),
            "violation": cert.get("max_unitarity_violation"), "stderr": p.stderr.strip().splitlines()[-1:]}


def rel(a, b) -> float:
    if a is None or b is None:
        return 0.0 if a is b else math.inf
    return abs(a - b) / max(abs(b), 1e-300)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--record", type=Path)
    g.add_argument("--compare", type=Path)
    ap.add_argument("--only", default=None, help="comma-separated command names")
    a = ap.parse_args()
    names = list(COMMANDS) if a.only is None else a.only.split(",")
    ref = json.loads(a.compare.read_text()) if a.compare else {}
    out, worst = {}, 0.0
    print(f"{'command':28s} {'value':>22s} {'rel. change':>12s} {'viol.':>9s} {'exit':>4s} {'s':>6s}")
    for name in names:
        r = out[name] = run(COMMANDS[name])
        change = max(rel(r[k], ref[name][k]) for k in KEYS) if name in ref else float("nan")
        worst = max(worst, change) if math.isfinite(change) or name in ref else worst
        v = "None" if r["value"] is None else f"{r['value']:.15g}"
        viol = "-" if r["violation"] is None else f"{r['violation']:.1e}"
        print(f"{name:28s} {v:>22s} {change:12.1e} {viol:>9s} {r['exit']:4d} {r['seconds']:6.1f}", flush=True)
    if a.record:
        a.record.parent.mkdir(parents=True, exist_ok=True)
        a.record.write_text(json.dumps(out, indent=1) + "\n")
        print(f"recorded {len(out)} commands in {a.record}")
    else:
        print(f"worst relative change: {worst:.1e} ({'OK' if worst <= 1e-10 else 'CHANGED'} at 1e-10)")
        sys.exit(0 if worst <= 1e-10 else 1)


if __name__ == "__main__":
    main()
