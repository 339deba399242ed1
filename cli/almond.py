"""`smatrix almond` and `smatrix crosscheck` (subcommands of smatrix.cli).

Exit codes: 0 the methods agree, 1 they disagree (the report says which check failed),
2 bad input, 4 the scan could not run (no reference maximum c0).
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from smatrix.outputs import check_output_dir

from smatrix.crosscheck.executors import SlurmOptions
from smatrix.crosscheck.methods import DEFAULT_METHODS
from smatrix.errors import BadInput

QUICK_SLICES = 10
EXIT_DISAGREE = 1
EXIT_FAILED = 4


def _range(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FROM,TO (two fractions of the maximal c0), got {text!r}") from None
    return lo, hi


def add_parsers(sub) -> None:
    """The almond and crosscheck subcommands (options shared)."""
    al = sub.add_parser("almond", help="the (c0, c2) almond by several methods: store, report, figures")
    cc = sub.add_parser("crosscheck", help="the README's main job: almond by all methods + agreement verdict "
                                           "(--quick: a few slices, cheap settings, minutes on 2 cores)")
    cc.add_argument("--quick", action="store_true", help=f"{QUICK_SLICES} slices, cheap neural settings (hot-started slice to slice)")
    for p, out in ((al, "almond-results"), (cc, "crosscheck-results")):
        p.add_argument("--model", default="zero-ddisc", choices=["zero-ddisc"])
        p.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                       help="comma-separated: primal-wavelet, primal-grid, dual-sdp, dual-nn, primal-nn")
        p.add_argument("--slices", type=int, default=None, help=f"c0 slices (default 10; --quick {QUICK_SLICES})")
        p.add_argument("--range", type=_range, default=None, metavar="FROM,TO",
                       help="slices at these fractions of the maximal c0 (default 0.02,0.95)")
        p.add_argument("--executor", default="local",
                       help="local | local:N | dask+tls://HOST:PORT | dask://localhost:PORT | scheduler-file:PATH | "
                            "slurm (docs/clusters.md)")
        p.add_argument("--point-timeout", type=float, default=None, metavar="SECONDS",
                       help="a point still running after this is stopped and recorded as failed ('timeout: …')")
        _add_slurm_options(p)
        p.add_argument("--threads", type=int, default=None,
                       help="BLAS/OpenMP/torch threads per local worker (default: cores // workers)")
        p.add_argument("--store", default=None, help="SQLite results store (default OUT/results.sqlite)")
        p.add_argument("--out", default=out, help=f"output directory (default {out})")
        p.add_argument("--set", action="append", default=None, metavar="METHOD.KEY=VALUE",
                       help="override a method setting, e.g. primal-grid.nodes=400 (repeatable)")
        p.add_argument("--retry-failed", action="store_true", help="recompute points recorded as failed")
        p.add_argument("--no-plots", action="store_true", help="skip the figures")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress on stderr (default on: a bar on a terminal, one line per finished point otherwise)")
        p.add_argument("--json", action="store_true")


_SLURM = {"jobs": (int, "N", "batch jobs"), "cores": (int, "N", "worker processes per job, one thread each"),
          "memory": (str, "SIZE", "memory per job"), "walltime": (str, "HH:MM:SS", "wall time per job"),
          "queue": (str, "NAME", "partition (-p)"), "account": (str, "NAME", "account (-A)"),
          "shared_dir": (str, "DIR", "a directory the jobs can read, for this scan's TLS certificates (default --out)"),
          "start_timeout": (float, "SECONDS", "how long to wait for the first worker")}


def _add_slurm_options(p) -> None:
    """--slurm-* options (defaults: smatrix.crosscheck.executors.SlurmOptions)."""
    defaults = SlurmOptions()
    for name, (kind, metavar, text) in _SLURM.items():
        default = getattr(defaults, name)
        p.add_argument(f"--slurm-{name.replace('_', '-')}", type=kind, default=None, metavar=metavar,
                       help=f"--executor slurm: {text}" + (f" (default {default})" if default is not None else ""))
    p.add_argument("--slurm-directive", action="append", default=None, metavar="OPTION",
                   help="--executor slurm: one more #SBATCH option, e.g. --constraint=cpu (repeatable)")


def slurm_options(a, out) -> SlurmOptions | None:
    """The SlurmOptions of --executor slurm (None for other executors, which refuse --slurm-*)."""
    given = {name: getattr(a, f"slurm_{name}") for name in _SLURM if getattr(a, f"slurm_{name}") is not None}
    if a.slurm_directive:
        given["directives"] = tuple(a.slurm_directive)
    if a.executor != "slurm":
        if given:
            raise BadInput(f"--slurm-* options need --executor slurm (got --executor {a.executor})")
        return None
    return SlurmOptions(**{"shared_dir": str(out.resolve()), **given})


def run_command(a) -> int:
    from smatrix.crosscheck.almond import DEFAULT_RANGE, AlmondConfig, AlmondFailed, run_almond, write_outputs
    from smatrix.crosscheck.executors import make_executor
    from smatrix.crosscheck.methods import parse_methods, parse_overrides
    from smatrix.crosscheck.report import console_table, evaluate, summary_table, verdict_lines
    from smatrix.crosscheck.store import ResultStore
    quick = getattr(a, "quick", False)
    methods = parse_methods(a.methods)
    overrides = parse_overrides(a.set, methods)
    settings = {m.name: m.settings_for(quick, overrides.get(m.name)) for m in methods}
    cfg = AlmondConfig(methods, settings, slices=a.slices if a.slices is not None else (QUICK_SLICES if quick else 10),
                       c0_range=a.range or DEFAULT_RANGE, model=a.model, retry_failed=a.retry_failed,
                       labels={"command": a.command, "preset": "quick" if quick else "default"})
    cfg.validate()
    out = check_output_dir(a.out, "--out")          # before any point is computed
    progress = True if a.progress is None else a.progress    # a bar on a terminal, a line per point in logs
    slurm = slurm_options(a, out)
    with ResultStore(a.store or out / "results.sqlite") as store, \
            make_executor(a.executor, a.threads, a.point_timeout, slurm) as executor:
        if not a.json:
            print(f"{a.command}: {', '.join(settings)} on {cfg.slices} slices, executor {executor.name}, "
                  f"store {store.path}", flush=True)
        try:
            almond = evaluate(run_almond(cfg, executor, store, progress=progress))
        except AlmondFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    files = write_outputs(almond, out, figures=not a.no_plots)
    if a.json:
        print(json.dumps(json_summary(almond, files), default=float))
    else:
        print(f"\n{summary_table(almond)}\n\n{console_table(almond)}\n")
        print("\n".join(verdict_lines(almond)))
        print(f"points: {almond['computed']} computed, {almond['reused']} reused, {almond['failed']} failed; "
              f"{almond['seconds']:.1f} s; report {files['report']}"
              + (f", plot {files['almond_plot']}" if "almond_plot" in files else ""))
    return 0 if almond["agreement"] else EXIT_DISAGREE


def json_summary(almond: dict, files: dict[str, str]) -> dict:
    """The last line of `--json`: verdict, per-method values (with certificates' flags) and files."""
    methods = {}
    for m, s in almond["summary"].items():
        pts = sorted((r for r in almond["points"] if r["method"] == m),
                     key=lambda r: (r["objective"] != "max-c0", r["objective"], r["c0"] or 0.0))
        methods[m] = {**s, "values": [{"objective": r["objective"], "c0": r["c0"], "value": r.get("value"),
                                       "c2": (r.get("result") or {}).get("c2"), "certified": r.get("certified"),
                                       "gap": r.get("gap"), "status": r["status"], "reason": r.get("reason")}
                                      for r in pts]}
    primal = [c for c in almond["checks"] if c["check"] == "primal certified"]
    return {"agreement": almond["agreement"], "checks": almond["check_counts"], "primal_certified": sum(c["ok"] for c in primal),
            "primal_points": len(primal), "model": almond["model"], "c0max_reference": almond["c0max_reference"],
            "c0max_over_pi": almond["c0max_reference"] / math.pi, "slices": almond["slices"], "methods": methods,
            "failed_checks": [c for c in almond["checks"] if c["counts"] and not c["ok"]],
            "computed": almond["computed"], "reused": almond["reused"], "failed": almond["failed"],
            "seconds": almond["seconds"], "files": files}
