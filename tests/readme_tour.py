"""Run every command line of the README's tour (and its two main commands' smatrix parts) with
small settings, in a scratch directory, in README order (later lines use the files earlier ones
write, e.g. eta0.json). Each line must exit with the code its comment documents (0 unless it
says "exit N"; almond/crosscheck: 0 when the methods agree, 1 when they disagree, and the JSON
verdict must say the same), print no traceback, and, with --json, end with one JSON object.

    python tests/readme_tour.py [--full] [--only SUBSTRING]

--full runs the lines exactly as written (long); the default shrinks the expensive settings
(`small`). Lines needing what this machine lacks (the sdpb binary, a Dask scheduler) are
reported as skipped with the reason. Exit status: 0 when every line behaved as documented.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

# expensive settings → small ones (option value replaced, or options added per command)
_REPLACE = {"--slices": "2", "--nmax": "6", "--refine": "2", "--epochs": "60"}
_ADD = {
    "nn-dual": [("--epochs", "40"), ("--lbfgs", "0")],
    "nn-primal": [("--epochs", "300")],
    "almond": [("--methods", "primal-wavelet,dual-sdp"), ("--set", "primal-wavelet.nmax=6"), ("--no-plots", None)],
    "crosscheck": [("--methods", "primal-wavelet,dual-sdp"), ("--slices", "2"), ("--set", "primal-wavelet.nmax=6")],
}


def tour_lines(readme: Path = README) -> list[str]:
    """The command lines of the README's bash blocks that run smatrix (or python -c), in order."""
    lines, block = [], False
    for raw in readme.read_text().splitlines():
        if raw.startswith("```"):
            block = raw.strip() == "```bash"
            continue
        if block:
            cmd = raw.split("  #", 1)[0].strip()
            if cmd.startswith(("smatrix ", "python -c ")) or " && smatrix " in cmd:
                lines.append(raw.strip())
    return lines


def expected_codes(line: str) -> set[int]:
    comment = line.split("#", 1)[1] if "#" in line else ""
    m = re.search(r"exit (\d)", comment)
    if m:
        return {int(m.group(1))}
    argv = command(line)
    return {0, 1} if argv[:1] and argv[0] in ("almond", "crosscheck") else {0}


def command(line: str) -> list[str]:
    """The smatrix argv of a line (after `&&`, without the comment); [] for non-smatrix lines."""
    cmd = line.split("  #", 1)[0].strip()
    cmd = cmd.rsplit("&& ", 1)[-1]
    argv = shlex.split(cmd)
    return argv[1:] if argv and argv[0] == "smatrix" else []


def small(argv: list[str]) -> list[str]:
    """The same command with small settings (see _REPLACE/_ADD)."""
    out, name = list(argv), argv[0] if argv else ""
    if name in ("almond", "crosscheck"):                  # the method selection is replaced as a whole
        out = _without(out, ("--methods", "--set"))
    for i, a in enumerate(out[:-1]):
        if a in _REPLACE:
            out[i + 1] = _REPLACE[a]
    if name == "primal" and "grid" in out and "--refine" in out:
        out += ["--grid", "120"]
    if name == "primal" and "full" in out:
        out += ["--jmax", "4"] + ([] if "--nmax" in out else ["--nmax", "6"])
    for opt, value in _ADD.get(name, []):
        if opt not in out:
            out += [opt] + ([] if value is None else [value])
    return out


def _without(argv: list[str], options: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in options:
            skip = True
        else:
            out.append(a)
    return out


def skip_reason(argv: list[str]) -> str | None:
    if "sdpb" in argv and shutil.which("sdpb") is None and argv[:2] != ["sdpb", "export"]:
        return "the sdpb binary is not installed"
    if any(a.startswith("dask://") for a in argv):
        return "needs a running Dask scheduler (exit 2 with a one-line error without one)"
    return None


def run_line(line: str, cwd: Path, full: bool, timeout: float) -> dict:
    argv = command(line)
    t0 = time.perf_counter()
    if not argv:                                           # python -c …: the README's own helper lines
        cmd = line.split("  #", 1)[0].strip()
        p = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return {"line": line, "rc": p.returncode, "ok": p.returncode == 0, "seconds": time.perf_counter() - t0,
                "stderr": p.stderr[-400:]}
    reason = skip_reason(argv)
    if reason:
        return {"line": line, "skipped": reason, "ok": True}
    args = argv if full else small(argv)
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, env={**os.environ, "MPLBACKEND": "Agg"})
    want = expected_codes(line)
    ok = p.returncode in want and "Traceback" not in p.stdout + p.stderr
    info = {"line": line, "args": args, "rc": p.returncode, "expected": sorted(want), "seconds": time.perf_counter() - t0}
    if p.returncode not in (0, 1, 2, 3, 4):
        ok = False
    if p.returncode != 0:
        info["stderr"] = p.stderr.strip().splitlines()[-1:] if p.stderr.strip() else []
    if "--json" in args and p.returncode in (0, 1, 3, 4):
        try:
            d = json.loads(p.stdout.strip().splitlines()[-1])
            info["json_keys"] = sorted(d)[:8]
            if "agreement" in d:
                ok = ok and (p.returncode == 0) == bool(d["agreement"])
        except (ValueError, IndexError):
            ok = False
            info["json"] = "the last line of stdout is not one JSON object"
    info["ok"] = ok
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="run the lines exactly as written")
    ap.add_argument("--only", default=None, help="only lines containing this text")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args(argv)
    work = Path(a.workdir or tempfile.mkdtemp(prefix="readme-tour-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for line in tour_lines():
        if a.only and a.only not in line:
            continue
        if "pytest" in line:
            continue                                          # the test suite itself
        r = run_line(line, work, a.full, a.timeout)
        results.append(r)
        mark = "skip" if "skipped" in r else ("ok  " if r["ok"] else "FAIL")
        print(f"{mark} {r.get('seconds', 0):6.1f}s rc={r.get('rc', '-')} {line[:100]}"
              + (f"  [{r['skipped']}]" if "skipped" in r else "")
              + ("" if r["ok"] else f"\n      {r.get('stderr') or r.get('json') or ''}"), flush=True)
    bad = [r for r in results if not r["ok"]]
    print(json.dumps({"lines": len(results), "failed": len(bad), "skipped": sum("skipped" in r for r in results),
                      "workdir": str(work)}))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
