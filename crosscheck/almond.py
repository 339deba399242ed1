"""The (c0, c2) almond of the zero-ddisc model by several methods side by side (P1 Fig. 2a).

Plan: (1) the reference maximum c0 — the rigorous dual-sdp bound when dual-sdp is among the
methods (0.2 s), else the smallest max c0 of the methods; (2) every method's max c0 and, on each
of `slices` values c0 = f·c0max (f evenly spaced in `c0_range`), its min c2 and max c2. Every
point goes through the results store: finished points are reused, failed ones are kept with
their reason (and retried only with `retry_failed`), the rest run on the executor and are
recorded one by one as they finish. Methods with `hot` settings (the neural dual and primal)
run their slices in order on a local executor, each hot-started from the previous slice's
network with fewer epochs (checkpoints in STORE_DIR/hot-start/): a chain's slice i + 1 is queued,
ahead of the other points, as soon as its slice i is finished, and the other points fill the
workers the chains leave idle (no wave waits for its slowest point).

Outputs (`write_outputs`): almond.json (every point with its certificate, the checks and the
verdict), report.md (smatrix.crosscheck.report) and the figures (smatrix.crosscheck.figures).
"""
from __future__ import annotations

import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from smatrix.errors import BadInput
from smatrix.provenance import provenance

from .executors import Executor, LocalExecutor, progress_bar
from .methods import REFERENCE_DUAL, Method
from .points import compute_point, make_point
from .store import LeaseKeeper, ResultStore

ALMOND_SCHEMA = "smatrix-almond/1"
DEFAULT_RANGE = (0.02, 0.95)   # fractions of c0max: from near the free theory to near the tip
C2_OBJECTIVES = ("min-c2", "max-c2")


class AlmondFailed(RuntimeError):
    """The scan cannot go on (no reference maximum c0)."""


@dataclass
class AlmondConfig:
    methods: list[Method]
    settings: dict[str, dict[str, Any]]       # resolved settings per method name
    slices: int = 10
    c0_range: tuple[float, float] = DEFAULT_RANGE
    model: str = "zero-ddisc"
    retry_failed: bool = False
    labels: dict[str, Any] = field(default_factory=dict)   # e.g. {"preset": "quick"}
    hot_start: bool = True   # methods with `hot` settings run their slices in order, each from the previous

    def validate(self) -> None:
        if self.model != "zero-ddisc":
            raise BadInput(f"the almond runs for `model` zero-ddisc only (got {self.model!r})")
        if not self.methods:
            raise BadInput("no methods selected")
        lo, hi = self.c0_range
        if self.slices < 1:
            raise BadInput(f"empty slice range: `slices` must be ≥ 1, got {self.slices}")
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi <= 1) or (self.slices > 1 and lo == hi):
            raise BadInput(f"empty slice range: `range` {lo:g},{hi:g} must satisfy 0 < FROM < TO ≤ 1 "
                           "(fractions of the maximal c0)")


def slice_c0(c0max: float, slices: int, c0_range: tuple[float, float]) -> list[float]:
    return [float(f * c0max) for f in np.linspace(c0_range[0], c0_range[1], slices)]


def run_almond(cfg: AlmondConfig, executor: Executor, store: ResultStore, progress: bool = True) -> dict[str, Any]:
    """Scan the almond (see the module docstring); returns the almond dict (without checks)."""
    cfg.validate()
    t0 = time.perf_counter()
    by_name = {m.name: m for m in cfg.methods}
    counts = {"computed": 0, "reused": 0, "failed": 0}
    point = lambda m, obj, c0: make_point(cfg.model, m, obj, c0, cfg.settings[m])
    ref_name = REFERENCE_DUAL if REFERENCE_DUAL in by_name else None
    tip_methods = [m for m in cfg.methods if "max-c0" in m.objectives]   # primal-nn: c2 boundaries only
    first = [point(ref_name, "max-c0", None)] if ref_name else [point(m.name, "max-c0", None) for m in tip_methods]
    rows = _execute(first, by_name, executor, store, cfg.retry_failed, progress, counts)
    c0max, ref_from = _reference_c0max(rows, by_name)
    c0s = slice_c0(c0max, cfg.slices, cfg.c0_range)
    rest = [p for p in (point(m.name, "max-c0", None) for m in tip_methods) if p["key"] not in rows]
    # checkpoints live next to the store: only local workers share that disk
    chained = [m for m in cfg.methods if m.hot and cfg.hot_start and isinstance(executor, LocalExecutor)]
    chain_dir = Path(store.path).parent / "hot-start"
    if chained:
        chain_dir.mkdir(parents=True, exist_ok=True)
    # the chains' slice 0 first, then every other point by slice; slice i + 1 of a chain is queued
    # (ahead of the rest, by slice) as soon as its slice i finishes: no wave waits for its slowest point
    links: dict[str, tuple[Method, str, int]] = {}      # chained point key → (method, objective, slice)

    def link(m: Method, obj: str, i: int) -> dict:
        p = _hot_point(cfg, m, obj, c0s[i], chain_dir, i)
        links[p["key"]] = (m, obj, i)
        return p

    heads = [link(m, obj, 0) for m in chained for obj in C2_OBJECTIVES]
    rest = heads + rest + [point(m.name, obj, c0) for c0 in c0s for obj in C2_OBJECTIVES for m in cfg.methods
                           if obj in m.objectives and m not in chained]

    def follow(p: dict) -> dict | None:
        """The next slice of p's chain (hot-started from p's network), or None."""
        m, obj, i = links.get(p["key"], (None, None, len(c0s)))
        return link(m, obj, i + 1) if i + 1 < len(c0s) else None

    def rank(p: dict) -> float:
        """Queue order: the chains' links by slice (the chains advance together), then the rest."""
        return links[p["key"]][2] if p["key"] in links else math.inf

    total = len(rest) + len(heads) * (len(c0s) - 1)
    rows.update(_execute(rest, by_name, executor, store, cfg.retry_failed, progress, counts, follow, rank, total))
    counts["failed"] = sum(r["status"] == "failed" for r in rows.values())   # this run's and kept ones
    return {"schema": ALMOND_SCHEMA, "model": cfg.model, "labels": cfg.labels,
            "methods": {m.name: {"kind": m.kind, "settings": cfg.settings[m.name], "tolerance": m.tolerance,
                                 "tip_tolerance": m.tip_tolerance, "atol": m.atol, "objectives": list(m.objectives)}
                        for m in cfg.methods},
            "c0max_reference": c0max, "c0max_from": ref_from, "c0_range": list(cfg.c0_range),
            "slices": c0s, "points": list(rows.values()), "executor": executor.name, "store": str(store.path),
            **counts, "seconds": time.perf_counter() - t0, "provenance": provenance()}


def _chain_file(method: str, objective: str, i: int) -> str:
    return f"{method}-{objective}-slice{i}.pt"


def _hot_point(cfg: AlmondConfig, m: Method, objective: str, c0: float, chain_dir: Path, i: int) -> dict:
    """Slice i of a chained method: hot-started from slice i − 1's saved network when it exists
    (its path enters the settings, hence the store key), from scratch otherwise."""
    prev = chain_dir / _chain_file(m.name, objective, i - 1)
    base = cfg.settings[m.name]
    hot = {k: min(v, base.get(k, v)) for k, v in m.hot.items()}    # never more work than the cold settings
    settings = {**base, **(hot if prev.exists() else {})}
    if prev.exists():
        settings["init"] = str(prev)
    p = make_point(cfg.model, m.name, objective, c0, settings)
    p["spec"]["settings"]["checkpoint"] = str(chain_dir / _chain_file(m.name, objective, i))
    return p


def _execute(points: list[dict], methods: dict[str, Method], executor: Executor, store: ResultStore,
             retry_failed: bool, progress: bool, counts: dict[str, int],
             follow: Callable[[dict], dict | None] = lambda p: None,
             rank: Callable[[dict], float] = lambda p: 0.0, total: int | None = None) -> dict[str, dict]:
    """Claim the points to compute (the store's lease), run them, record each as it finishes; wait
    for points another scan is computing (taking them over if that scan dies); the store's rows.
    `follow(p)` is the point to run once p is finished (a slice chain's next link): it joins the
    queue while the executor runs, which takes points by `rank` (lowest first; ties in order).
    Interrupted (Ctrl-C), the scan releases its claims so that any rerun takes them at once."""
    pending, wait, seen = list(points), 0.0, list(points)
    with progress_bar(total or len(points), progress, "almond points") as bar, LeaseKeeper(store):
        while pending:
            time.sleep(wait)
            queue, later = deque(), []

            def admit(ps: list[dict]) -> None:
                """Claim ps: queue the claimed by rank, keep the busy for later, follow the finished."""
                todo, busy = store.claim(ps, retry_failed)
                later.extend(busy)
                taken = {id(p) for p in todo + busy}
                reused = [p for p in ps if id(p) not in taken]
                counts["reused"] += len(reused)
                bar.update(len(reused))
                for p in todo:
                    at = next((k for k, (q, _) in enumerate(queue) if rank(q) > rank(p)), len(queue))
                    queue.insert(at, (p, methods[p["method"]].run))
                successors = [q for q in map(follow, reused) if q is not None]
                if successors:
                    seen.extend(successors)
                    admit(successors)

            admit(pending)
            try:
                for p, row in executor.run(compute_point, queue):    # the deque is consumed in place
                    store.record(row)
                    counts["computed"] += 1
                    bar.set_postfix_str(_point_line(row), refresh=False)
                    bar.update(1)
                    nxt = follow(p)
                    if nxt is not None:
                        seen.append(nxt)
                        admit([nxt])
            except BaseException as exc:
                store.release("interrupted" if isinstance(exc, KeyboardInterrupt) else f"scan stopped: {type(exc).__name__}")
                raise
            pending, wait = later, min(2.0, store.lease_s / 4.0)
    return {p["key"]: store.get(p["method"], p["key"]) for p in seen}


def _point_line(row: dict) -> str:
    """method objective c0/π → value (certified or not, seconds), or the failure."""
    where = "" if row.get("c0") is None else f" c0/π = {row['c0'] / math.pi:.4f}"
    head = f"{row['method']} {row['objective']}{where}"
    if row["status"] != "done" or row.get("value") is None:
        return f"{head}: {row['status']} {row.get('reason') or ''}".rstrip()
    cert = "certified" if row.get("certified") else "UNCERTIFIED"
    return f"{head} = {row['value']:.10g} ({cert}, {row.get('seconds') or 0:.1f} s)"


def _reference_c0max(rows: dict[str, dict], methods: dict[str, Method]) -> tuple[float, str]:
    """dual-sdp's bound if it is there, else the smallest max c0 (primal methods first)."""
    done = [r for r in rows.values() if r["status"] == "done" and r["value"] is not None]
    for kind in ("dual", "primal") if REFERENCE_DUAL in methods else ("primal", "dual"):
        vals = [(r["value"], r["method"]) for r in done if methods[r["method"]].kind == kind]
        if vals:
            return min(vals)
    reasons = "; ".join(f"{r['method']}: {r.get('reason') or r['status']}" for r in rows.values())
    raise AlmondFailed(f"no maximal c0 to place the slices on ({reasons})")


def write_outputs(almond: dict[str, Any], out: str | Path, figures: bool = True) -> dict[str, str]:
    """almond.json, report.md and the figures in `out` (the almond dict must carry its checks)."""
    from .report import markdown_report
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"almond": str(out / "almond.json"), "report": str(out / "report.md")}
    if figures:
        from .figures import draw_all
        files.update(draw_all(almond, out))
    slim = {**almond, "points": [_slim(r) for r in almond["points"]], "files": files}
    Path(files["almond"]).write_text(json.dumps(slim, indent=1, default=_json_default))
    Path(files["report"]).write_text(markdown_report(almond, files))
    return files


def _slim(row: dict) -> dict:
    """A point for almond.json: its result with the certificate; analysis without the S0 arrays."""
    result = dict(row.get("result") or {})
    analysis = result.get("analysis")
    if isinstance(analysis, dict):
        result["analysis"] = {k: v for k, v in analysis.items() if k not in ("s", "abs_S0", "delta0")}
    return {**row, "result": result}


def _json_default(x):
    return x.tolist() if hasattr(x, "tolist") else str(x)
