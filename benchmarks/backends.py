"""Per-point wall time of the defaults and a 3-slice almond, before and after the back-end redesign
(issue 13: one solve for Clarabel, SCS and SDPB; c0 and the objective direction as cvxpy Parameters,
one compiled problem per structure), run back to back on the same machine load. The "before" tree
is `git archive REV` laid out as the installed namespace (smatrix.{sdp,neural,crosscheck,cli}).

    python benchmarks/backends.py [--before 526b96f] [--repeat 1] [--only dual]

Prints, per case: the value (before / after, and |Δ|, which must be ≤ 1e-10 where deterministic —
here it is 0: the solver data are bit-identical), the wall seconds of the command (imports included)
and the seconds the result records.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "grid min-c2 28π": ["primal", "--method", "grid", "--objective", "min-c2", "--c0", "28pi", "--json"],
    "wavelet min-c2 28π": ["primal", "--objective", "min-c2", "--c0", "28pi", "--json"],
    "dual min-c2 28π": ["dual", "--objective", "min-c2", "--c0", "28pi", "--json"],
    "dual 7 points, one process": ["-c", (
        "import json, time; from smatrix.sdp.zero_ddisc_dual import solve_dual; t = time.perf_counter(); "
        "v = [solve_dual('max-c0').value]; v += [solve_dual(o, f * v[0]).value for f in (0.3, 0.6, 0.9) "
        "for o in ('min-c2', 'max-c2')]; print(json.dumps({'values': v, 'seconds': time.perf_counter() - t}))")],
    "almond grid+dual 3 slices": ["almond", "--methods", "primal-grid,dual-sdp", "--slices", "3", "--no-plots",
                                  "--no-progress", "--json"],
}


def before_tree(rev: str, where: Path) -> Path:
    """`git archive rev` with the method packages and the command layer placed under smatrix/."""
    src, pkg = where / "src", where / "pkg"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    shutil.copytree(src / "smatrix", pkg / "smatrix")
    for folder in ("sdp", "neural", "crosscheck", "cli"):
        shutil.copytree(src / folder, pkg / "smatrix" / folder)
    return pkg


def run(args: list[str], pythonpath: str | None, out: Path) -> tuple[float, dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    if args[0] == "almond":
        shutil.rmtree(out, ignore_errors=True)
        args = [*args, "--out", str(out)]
    t0 = time.perf_counter()
    cmd = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "smatrix.cli", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    if not p.stdout.strip():
        raise SystemExit(f"{' '.join(args)} failed: {p.stderr.strip()[-400:]}")
    return wall, json.loads(p.stdout.strip().splitlines()[-1])


def values(d: dict) -> list[float]:
    if "methods" in d:   # almond: every point's value, in a fixed order
        return [v["value"] for m in sorted(d["methods"]) for v in d["methods"][m]["values"]]
    if "values" in d:
        return d["values"]
    return [d["value"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="526b96f", help="git revision of the 'before' tree")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this text")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; before = {a.before}, after = working tree")
    print(f"{'case':27s} {'value before':>19s} {'value after':>19s} {'max |Δ|':>8s} "
          f"{'wall before':>11s} {'wall after':>10s} {'in-run before':>13s} {'in-run after':>12s}")
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as tmp:
        pkg = str(before_tree(a.before, Path(tmp) / "before"))
        for name, args in CASES.items():
            if a.only and a.only not in name:
                continue
            for _ in range(a.repeat):
                wb, db = run(args, pkg, Path(tmp) / "almond-before")
                wa, da = run(args, None, Path(tmp) / "almond-after")
                vb, va = values(db), values(da)
                delta = max(abs(x - y) for x, y in zip(vb, va)) if len(vb) == len(va) else float("nan")
                sb, sa = db.get("seconds"), da.get("seconds")
                print(f"{name:27s} {vb[0]:19.15g} {va[0]:19.15g} {delta:8.1e} {wb:11.1f} {wa:10.1f} "
                      f"{sb:13.1f} {sa:12.1f}", flush=True)


if __name__ == "__main__":
    main()
