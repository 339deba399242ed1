"""The defaults of `smatrix primal` (issue 19): max c0 and min/max c2 at 28π by the default (the
wavelet, routed to the grid where it stalls short of the dual bound: "default→grid"), the explicit
wavelet and the grid, each through the CLI as a user runs it; value, certificate, gap to the rigorous dual bound,
refinement rounds and wall seconds. Run: python benchmarks/primal_defaults.py [--rounds 0]"""
import json
import os
import subprocess
import sys
import time

DUAL = {"max-c0": 243.053019, "min-c2": 0.75060248, "max-c2": 3.53088349}   # docs/dual.md
CASES = [(m, o) for m in ("default", "wavelet", "grid") for o in ("max-c0", "min-c2", "max-c2")]


def main(extra: list[str]) -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; extra args {extra}")
    print(f"{'method':8s} {'objective':9s} {'value':>13s} {'rel. gap':>9s} {'certified':>9s} {'violation':>9s} "
          f"{'solves':>6s} {'wall s':>7s}")
    for method, obj in CASES:
        args = ["primal", *([] if method == "default" else ["--method", method]), "--objective", obj, *([] if obj == "max-c0" else ["--c0", "28pi"]),
                *extra, "--json"]
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "smatrix.cli", *args], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        d = json.loads(p.stdout.strip().splitlines()[-1])
        cert = d["certificate"] or {}
        gap = abs(d["value"] - DUAL[obj]) / DUAL[obj]
        solves = len((cert.get("refinement") or {}).get("rounds", [1]))
        used = "grid" if d["config"].get("route") == "grid" else ""
        print(f"{method + ('→' + used if used else ''):8s} {obj:9s} {d['value']:13.9f} {gap:9.1e} {str(d['certified']):>9s} "
              f"{cert.get('max_unitarity_violation', float('nan')):9.1e} {solves:6d} {wall:7.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
