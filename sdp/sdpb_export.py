"""SDPB runs elsewhere: `smatrix sdpb export` writes an SDP of the toolkit as SDPB input plus a
chart, `smatrix sdpb import RUN_DIR` maps the run's y back to a certified Result.

Problems: the zero-ddisc wavelet primal (60-digit data), the zero-ddisc Chebyshev dual, the
full-model primal with an optional η_J profile. chart.json records what was exported (kind,
objective, c0, configuration, digits) and the SHA-256 of the problem it describes; import rebuilds
that problem from the same code, refuses it if the hash differs (other code or data: the y would
belong to another problem), maps y back and re-certifies — unitarity re-measured in high
precision for the wavelet primal, D[w] re-evaluated for the dual, the direct-summation
certificate for the full model. For the wavelet primal the chart also holds the map
y → coefficients itself (g0, G, B), for use outside the toolkit.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import mpmath as mp
import numpy as np

from smatrix.errors import BadInput
from smatrix.result import Result

from .sdpb import SDPBProblem, read_run, write_json_pmp, write_xml

CHART_FORMAT = "smatrix-sdpb-chart/1"
KINDS = ("wavelet", "dual", "full")


def problem_hash(problem: SDPBProblem) -> str:
    """SHA-256 of every entry of the problem with all its digits (the strings the writers use)."""
    objective, blocks = problem.texts
    h = hashlib.sha256(",".join(objective).encode())
    for blk in blocks:
        h.update(f"|{blk.shape}|".encode() + ",".join(blk.ravel()).encode())
    return h.hexdigest()


def _config_class(kind: str):
    if kind == "wavelet":
        from .zero_ddisc_wavelet import WaveletConfig
        return WaveletConfig
    if kind == "dual":
        from .zero_ddisc_dual import DualConfig
        return DualConfig
    from .full_wavelet import FullConfig
    return FullConfig


def build(kind: str, objective: str, c0: float | None, config, digits: int, direction=None):
    """The SDPB problem of `kind` and what maps its y back (problem, handle)."""
    if kind == "wavelet":
        from .zero_ddisc_wavelet import wavelet_sdpb_problem
        hp = wavelet_sdpb_problem(objective, c0, config, digits)
        return hp.problem, hp
    if kind == "dual":
        from smatrix.dual import DualDirection

        from .zero_ddisc_dual import _check_config, _operators, _Q_SOLVE, dual_sdpb_problem
        _check_config(config)
        d = DualDirection.from_objective(objective, c0, direction)
        if d.c0_fixed is not None and d.c0_fixed < 0:
            raise BadInput("c0 < 0 admits no unitary amplitude (sum rule (24)): nothing to export")
        sd = dual_sdpb_problem(d, config, _operators(config, _Q_SOLVE), digits)
        return sd.problem, (sd, d)
    if kind == "full":
        from .full_wavelet import full_sdpb_problem
        fs = full_sdpb_problem(objective, c0, config, digits)
        return fs.rs.problem, fs
    raise BadInput(f"unknown SDPB problem {kind!r}; choose from {', '.join(KINDS)}")


def export(kind: str, objective: str, c0: float | None, config, out_dir: str | Path, digits: int,
           formats=("xml", "json"), direction=None) -> dict:
    """Write problem.xml (SDPB 1.0, also read by pmp2sdp) and/or problem.json (pmp2sdp of SDPB ≥ 2.7)
    and chart.json into `out_dir`; returns {"files", "variables", "blocks", "seconds"}."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BadInput(f"`out` {out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    problem, handle = build(kind, objective, c0, config, digits, direction)
    seconds = time.perf_counter() - t0
    files = {}
    if "xml" in formats:
        files["xml"] = str(write_xml(problem, out / "problem.xml"))
    if "json" in formats:
        files["json"] = str(write_json_pmp(problem, out / "problem.json"))
    chart = {"format": CHART_FORMAT, "kind": kind, "objective": objective, "c0": c0,
             "direction": None if direction is None else [float(x) for x in direction],
             "config": dataclasses.asdict(config), "digits": digits, "problem_sha256": problem_hash(problem),
             "variables": problem.variables, "blocks": len(problem.blocks), "meta": problem.meta,
             "convention": "maximise b0 + b.y subject to M0_j + sum_n y_n Mn_j >= 0 (SDPB 1.0 XML); "
                           "the JSON PMP has normalization (1, 0, ..., 0), so its y is the same y"}
    if kind == "wavelet":
        chart.update(_wavelet_mapping(handle, digits))
    files["chart"] = str(out / "chart.json")
    Path(files["chart"]).write_text(json.dumps(chart, default=str))
    return {"files": files, "variables": problem.variables, "blocks": len(problem.blocks), "seconds": seconds}


def _wavelet_mapping(hp, digits: int) -> dict:
    def text(a):
        with mp.workdps(digits + 5):
            return np.vectorize(lambda v: mp.nstr(v, digits + 5))(a).astype(str).tolist()
    return {"mapping": "gamma = g0 + G y; (alpha0, alpha_sigma..., beta) = B gamma; "
                       "c0 = c0_row . gamma, c2 = c2_row . gamma",
            "centres": [float(c) for c in hp.centres], "unitarity_grid": [float(x) for x in hp.s_grid],
            "g0": text(hp.g0), "G": text(hp.G), "B": text(hp.B),
            "c0_row": text(hp.c0_row), "c2_row": text(hp.c2_row)}


def read_chart(path: str | Path) -> dict:
    path = Path(path)
    try:
        chart = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BadInput(f"chart {path}: unreadable ({exc})") from None
    if chart.get("format") != CHART_FORMAT or chart.get("kind") not in KINDS:
        raise BadInput(f"chart {path}: not a chart written by `smatrix sdpb export` ({CHART_FORMAT})")
    return chart


def import_run(run_dir: str | Path, chart_path: str | Path | None = None) -> Result:
    """The certified Result of an SDPB run of an exported problem: `run_dir` holds the run's output
    (SDPB ≥ 2: out/ or out.txt + y.txt; SDPB 1.0: one .out file) and chart.json, unless
    `chart_path` points elsewhere."""
    run_dir = Path(run_dir)
    chart = read_chart(chart_path if chart_path is not None else run_dir / "chart.json")
    t0 = time.perf_counter()
    kind, objective, c0, digits = chart["kind"], chart["objective"], chart["c0"], int(chart["digits"])
    cls = _config_class(kind)
    config = cls(**{k: v for k, v in chart["config"].items() if k in cls.__dataclass_fields__})
    problem, handle = build(kind, objective, c0, config, digits, chart.get("direction"))
    if problem_hash(problem) != chart["problem_sha256"]:
        raise BadInput(f"{run_dir}: the problem rebuilt from chart.json differs from the exported one "
                       "(other code version or data): its y cannot be mapped back")
    res = read_run(run_dir, digits)
    if len(res.y) != problem.variables:
        raise BadInput(f"{run_dir}: y has {len(res.y)} entries, the exported problem {problem.variables}")
    with mp.workdps(digits):   # SDPB's own objective must be b0 + b·y of this problem
        mine = problem.objective[0] + sum(b * y for b, y in zip(problem.objective[1:], res.y))
        if abs(mine - res.primal_objective) > mp.mpf(10) ** (-digits // 3) * max(1, abs(mine)):
            raise BadInput(f"{run_dir}: SDPB's primal objective {mp.nstr(res.primal_objective, 12)} is not "
                           f"b0 + b·y = {mp.nstr(mine, 12)} of the exported problem: the output belongs to another run")
    cfg = {"model": "full" if kind == "full" else "zero-ddisc", "objective": objective, "c0": c0,
           **chart["config"], "solver": "sdpb", "digits": digits, "imported_from": str(run_dir),
           "problem_sha256": chart["problem_sha256"]}
    if kind == "wavelet":
        from .zero_ddisc_wavelet import wavelet_result_from_sdpb
        return wavelet_result_from_sdpb(handle, res, objective, config, digits,
                                        {**cfg, "method": "primal-wavelet", "float64_data": False}, t0)
    if kind == "dual":
        from .zero_ddisc_dual import _operators, _Q_SOLVE, dual_result_from_sdpb
        sd, d = handle
        cfg = {**cfg, "method": "dual-sdp", "direction": chart.get("direction")}
        return dual_result_from_sdpb(sd, res, d, config, _operators(config, _Q_SOLVE), objective, c0, cfg, t0)
    from .full_wavelet import full_result_from_sdpb
    return full_result_from_sdpb(handle, res, objective, c0, config, {**cfg, "method": "primal-wavelet"}, t0)


__all__ = ["export", "import_run", "read_chart", "problem_hash", "KINDS"]
