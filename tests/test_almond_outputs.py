"""The almond's outputs from a scan dict (fast, no solver): one count of checks in the terminal,
--json and report.md; agreement needs every primal point certified; the figures are Figures
(no backend switch) whose dual outline closes through the dual max-c0 bound, with a log gap panel
and hollow uncertified points; progress lines when stderr is not a terminal."""
import math

import matplotlib
import numpy as np
import pytest

from smatrix.crosscheck.almond import AlmondConfig, run_almond
from smatrix.cli.almond import json_summary
from smatrix.crosscheck.executors import LocalExecutor
from smatrix.crosscheck.figures import draw_all, draw_almond
from smatrix.crosscheck.methods import METHODS, Method
from smatrix.crosscheck.report import evaluate, markdown_report, verdict_lines
from smatrix.crosscheck.store import ResultStore

C0MAX = 243.05
TIP_C2 = 7.0


def row(method, objective, c0, value, certified=True, c2=None, viol=0.0):
    cert = {"max_unitarity_violation": viol, "tolerance": 1e-6, "details": {"worst_s": 5.0}}
    return {"method": method, "key": f"{method}-{objective}-{c0}", "objective": objective, "c0": c0,
            "status": "done", "value": value, "certified": certified, "seconds": 1.0,
            "result": {"c2": c2 if c2 is not None else (value if objective != "max-c0" else None), "certificate": cert}}


def scan(uncertified_primal: bool) -> dict:
    """A 3-slice almond: dual bounds, primal values inside them by 1e-5 (one uncertified if asked)."""
    c0s = [0.1 * C0MAX, 0.5 * C0MAX, 0.9 * C0MAX]
    lower = lambda c0: 1e-4 * c0**1.5          # a convex-ish lower and a concave upper boundary
    upper = lambda c0: 3 * c0 / 64 * (1 - 0.3 * c0 / C0MAX)
    pts = [row("dual-sdp", "max-c0", None, C0MAX), row("primal-grid", "max-c0", None, C0MAX * (1 - 1e-5), c2=TIP_C2)]
    for c0 in c0s:
        for m, f in (("dual-sdp", 0.0), ("primal-grid", 1e-5), ("primal-nn", 2e-5)):
            pts.append(row(m, "min-c2", c0, lower(c0) * (1 + f)))
            pts.append(row(m, "max-c2", c0, upper(c0) * (1 - f)))
    if uncertified_primal:
        pts[-1].update(certified=False)
        pts[-1]["result"]["certificate"]["max_unitarity_violation"] = 3e-4
    meta = lambda m: {"kind": METHODS[m].kind, "settings": {}, "tolerance": 1e-4, "tip_tolerance": 1e-4, "atol": 0.0}
    return {"schema": "smatrix-almond/1", "model": "zero-ddisc", "labels": {},
            "methods": {m: meta(m) for m in ("primal-grid", "primal-nn", "dual-sdp")},
            "c0max_reference": C0MAX, "c0max_from": "dual-sdp", "c0_range": [0.1, 0.9], "slices": c0s,
            "points": pts, "executor": "test", "store": "none", "computed": len(pts), "reused": 0, "failed": 0,
            "seconds": 1.0}


@pytest.mark.parametrize("uncertified", [False, True])
def test_one_count_of_checks_everywhere_and_certified_primal_points(uncertified):
    almond = evaluate(scan(uncertified))
    n = almond["check_counts"]
    weak = [c for c in almond["checks"] if c["check"] == "weak duality"]
    assert all(c["ok"] for c in weak)            # the primal values lie inside the dual bounds
    # 1 uncertified amplitude: its certificate check fails (counted), its weak duality is not counted
    assert n["failed"] == (1 if uncertified else 0) and n["not_counted"] == (1 if uncertified else 0)
    assert almond["agreement"] is (not uncertified)
    line = f"{n['passed']}/{n['counted']} counted checks passed"
    assert line in verdict_lines(almond)[0]
    assert line in markdown_report(almond, {})
    assert json_summary(almond, {})["checks"] == n
    if uncertified:
        assert "UNCERTIFIED: max |S0|² − 1 = 3.0e-04" in markdown_report(almond, {})


def test_almond_figure_closes_the_dual_outline_through_its_max_c0(tmp_path):
    backend = matplotlib.get_backend()
    almond = evaluate(scan(True))
    fig = draw_almond(almond)
    assert isinstance(fig, matplotlib.figure.Figure) and matplotlib.get_backend() == backend
    ax, gx = fig.axes[:2]
    lines = {ln.get_label().split(":")[0]: np.asarray(ln.get_xydata()) for ln in ax.lines}
    dual, primal = lines["dual-sdp"], lines["primal-grid"]
    # the dual outline reaches c0max (at the primal tip amplitude's c2), beyond every primal point
    k = int(np.argmax(dual[:, 0]))
    assert dual[k, 0] == pytest.approx(C0MAX / math.pi) and dual[k, 1] == pytest.approx(TIP_C2)
    assert primal[:, 0].max() <= dual[:, 0].max()
    assert "3c0/64" in " ".join(ln.get_label() for ln in ax.lines)
    # gap panel: log scale, gaps 1e-5 … 2e-5 visible, one hollow (uncertified) marker
    assert gx.get_yscale() == "log"
    gaps = np.concatenate([c.get_offsets()[:, 1] for c in gx.collections])
    assert gaps.min() == pytest.approx(1e-5, rel=1e-3) and gaps.max() == pytest.approx(2e-5, rel=1e-3)
    hollow = [c for c in gx.collections if len(c.get_offsets()) and not (c.get_facecolor().size and c.get_facecolor()[0][3] > 0)]
    assert len(hollow) == 1
    files = draw_all(almond, tmp_path)
    assert (tmp_path / "almond.png").stat().st_size > 1000 and files["almond_plot"].endswith("almond.png")


def stub_dual(objective, c0, settings):
    from smatrix.result import Result
    value = C0MAX if objective == "max-c0" else (0.1 if objective == "min-c2" else 2.0)
    return Result(method="stub", model="zero-ddisc", objective=objective, c0=c0, c2=None, value=value,
                  bound_kind="dual (rigorous)", status="optimal", certified=True, certificate={}, solver="none",
                  seconds=0.0, config={})


def test_progress_is_one_line_per_point_when_stderr_is_not_a_terminal(tmp_path, capsys):
    stub = Method("dual-sdp", "dual", stub_dual, {}, {}, tolerance=0.0, tip_tolerance=0.0)
    cfg = AlmondConfig([stub], {"dual-sdp": {}}, slices=2)
    with ResultStore(tmp_path / "r.sqlite") as store, LocalExecutor(1) as ex:
        run_almond(cfg, ex, store, progress=True)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("almond points")]
    assert len(lines) == 1 + 2 * 2                      # max c0, then min/max c2 on 2 slices
    assert lines[-1].startswith("almond points: 4/4") and "certified" in lines[-1]


def stub_chain(objective, c0, settings):
    """A chained (hot-started) method: its cold min-c2 start waits (≤ 20 s) until the max-c2 chain
    has finished slice 3, which only a scheduler without wave barriers lets happen; writes its checkpoint."""
    import time
    from pathlib import Path
    from smatrix.result import Result
    init, checkpoint = settings.get("init"), Path(settings["checkpoint"])
    assert init is None or Path(init).read_text() == objective      # the previous link's own network
    flag = checkpoint.parent / "max-c2-chain-done"
    if objective == "min-c2" and init is None:
        deadline = time.monotonic() + 20.0
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    checkpoint.write_text(objective)
    if objective == "max-c2" and checkpoint.name.endswith("slice3.pt"):
        flag.write_text("done")
    waited_for_it = objective != "min-c2" or init is not None or flag.exists()
    return Result(method="stub-chain", model="zero-ddisc", objective=objective, c0=c0, c2=None,
                  value=(0.1 if objective == "min-c2" else 2.0) if waited_for_it else -1.0,
                  bound_kind="dual (rigorous)", status="optimal", certified=True, certificate={}, solver="none",
                  seconds=0.0, config={})


def test_slice_chains_have_no_wave_barrier(tmp_path):
    """A chain's next slice starts as soon as its previous slice is out, not when the slowest point of
    that slice (another chain's cold start) is: the max-c2 chain runs all 4 slices while the min-c2
    chain's first point is still running (it waits for that; with waves it would time out)."""
    ref = Method("dual-sdp", "dual", stub_dual, {}, {}, tolerance=0.0, tip_tolerance=0.0)
    chain = Method("stub-chain", "dual", stub_chain, {}, {}, tolerance=0.0, tip_tolerance=0.0,
                   hot={"epochs": 1}, objectives=("min-c2", "max-c2"))
    cfg = AlmondConfig([ref, chain], {"dual-sdp": {}, "stub-chain": {"epochs": 5}}, slices=4)
    with ResultStore(tmp_path / "r.sqlite") as store, LocalExecutor(2) as ex:
        almond = run_almond(cfg, ex, store, progress=False)
    rows = {(r["objective"], r["c0"]): r for r in almond["points"] if r["method"] == "stub-chain"}
    assert len(rows) == 8 and all(r["status"] == "done" for r in rows.values())
    by_slice = lambda obj: [rows[(obj, c0)] for c0 in almond["slices"]]
    for obj in ("min-c2", "max-c2"):
        inits = [r["spec"]["settings"].get("init") for r in by_slice(obj)]
        assert inits[0] is None and all(i.endswith(f"{obj}-slice{k}.pt") for k, i in enumerate(inits[1:]))
        assert all(r["spec"]["settings"]["epochs"] == 1 for r in by_slice(obj)[1:])   # hot settings
    assert by_slice("min-c2")[0]["value"] == 0.1       # it saw the other chain finish before it ended
