"""The main job, `smatrix crosscheck --quick --json`, of two commits back to back in one run (issue 19:
"≤ 1/3 of today's time measured side by side"), at idle and with busy-loop processes occupying
the cores ("2 busy cores", as the issue's 11 min were measured). Each commit is staged as it
installs (pyproject's package-dir: smatrix/, sdp/ → smatrix.sdp, …) in a temporary folder and run
with PYTHONPATH, a fresh store each; the kernel cache is shared (warm). Prints one table row
per (load, commit): wall and CPU seconds, slices, points, primal points certified, verdict.

Run: python benchmarks/crosscheck_side_by_side.py [--base 05d0c3c] [--now HEAD] [--loads 0,2]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

from smatrix.threads import THREAD_ENV

REPO = Path(__file__).resolve().parents[1]


def stage(commit: str, root: Path) -> Path:
    """The commit's packages laid out as installed (the folder to put on PYTHONPATH), under root."""
    tree = root / f"tree-{commit}"
    tar = subprocess.run(["git", "-C", str(REPO), "archive", commit], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(tree, filter="data")
    setup = tomllib.loads((tree / "pyproject.toml").read_text())["tool"]["setuptools"]
    if not isinstance(setup.get("packages"), list):   # packages found in place (the base: sdp, neural, … top level)
        return tree
    dirs = setup.get("package-dir", {})
    site = root / f"site-{commit}"
    for package in sorted(setup["packages"], key=len):
        src = tree / dirs.get(package, package.replace(".", "/"))
        if package in dirs or "." not in package:
            shutil.copytree(src, site / package.replace(".", "/"), dirs_exist_ok=True)
    return site


def run_job(site: Path, out: Path) -> dict:
    """One quick crosscheck with PYTHONPATH = site; wall, CPU and the verdict of its JSON line."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}   # each commit chooses its threads
    env["PYTHONPATH"] = str(site)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", "crosscheck", "--quick", "--json", "--out", str(out)],
                       capture_output=True, text=True, env=env, cwd=site.parent)   # not the checkout: its folders would shadow the site
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        d = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        d = {}
    return {"wall": wall, "cpu": cpu, "rc": p.returncode, "agreement": d.get("agreement"),
            "slices": len(d["slices"]) if isinstance(d.get("slices"), list) else d.get("slices"),
            "points": (d.get("computed", 0) or 0) + (d.get("reused", 0) or 0),
            "certified": f"{d['primal_certified']}/{d['primal_points']}" if "primal_points" in d else "not reported"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="05d0c3c", help="the issue's base commit")
    ap.add_argument("--now", default="HEAD")
    ap.add_argument("--loads", default="0,2", help="busy-loop processes running during each pair of jobs")
    a = ap.parse_args()
    now = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", a.now], capture_output=True, text=True,
                         check=True).stdout.strip()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; base {a.base}, now {now}")
    print(f"{'busy loops':>10s} {'commit':>8s} {'wall s':>7s} {'cpu s':>7s} {'slices':>6s} {'points':>6s} "
          f"{'primal certified':>16s} {'agreement':>9s} {'rc':>3s}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sites = {c: stage(c, root) for c in (a.base, now)}
        for load in (int(x) for x in a.loads.split(",")):
            hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(load)]
            try:
                time.sleep(2 if load else 0)
                for commit, site in sites.items():
                    r = run_job(site, root / f"out-{commit}-{load}")
                    print(f"{load:10d} {commit:>8s} {r['wall']:7.1f} {r['cpu']:7.1f} {str(r['slices']):>6s} "
                          f"{r['points']:6d} {r['certified']:>16s} {str(r['agreement']):>9s} {r['rc']:3d}", flush=True)
            finally:
                for h in hogs:
                    h.kill()
                    h.wait()


if __name__ == "__main__":
    main()
