"""One point of a scan: (method, objective, c0, settings) → a store row. `compute_point` is the
task the executors run (in worker processes); it never raises — a failing method becomes a
'failed' row with its reason, so the scan goes on.

For primal amplitudes the task also records the boundary analysis that the figures need
(|S0| and δ0 on a fixed energy grid, zeros of S0: resonances above threshold by the argument
principle, real zeros below threshold, eqs. 68–69), so a resumed scan redraws them without
recomputing anything.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from smatrix.result import Result, config_hash

POINT_VERSION = 1                       # bump when a method's numbers change for the same settings
ANALYSIS_S = (1e-4, 1e3, 300)           # |S0|, δ0 at s − 4 = geomspace(*ANALYSIS_S)
ALL_SPIN_S = (1e-2, 1e5, 16)            # optical defect at s − 4 = geomspace(*ALL_SPIN_S) (T costs ~1 ms/point)
RESONANCE_WINDOW = (4.05, 20.0)         # where S0 zeros are searched above threshold
_FILE_SETTINGS = ("inelasticity",)      # settings naming a file: its content enters the key


def point_spec(model: str, method: str, objective: str, c0: float | None, settings: dict[str, Any]) -> dict:
    """The JSON description of a point; its hash is the store key."""
    spec = {"model": model, "method": method, "objective": objective,
            "c0": None if c0 is None else float(c0), "settings": dict(sorted(settings.items())),
            "version": POINT_VERSION}
    files = {k: _file_hash(settings[k]) for k in _FILE_SETTINGS if settings.get(k)}
    if files:
        spec["file_sha256"] = files
    return spec


def make_point(model: str, method: str, objective: str, c0: float | None, settings: dict[str, Any]) -> dict:
    spec = point_spec(model, method, objective, c0, settings)
    return {"method": method, "key": config_hash(spec), "objective": objective, "c0": spec["c0"], "spec": spec}


def _file_hash(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "unreadable"    # the method itself reports the clear error


def compute_point(point: dict, run: Callable[[str, float | None, dict], Result]) -> dict:
    """Run the method of `point` and return its store row ('done' or 'failed', never raises)."""
    started, t0 = time.time(), time.perf_counter()
    spec = point["spec"]
    row = {k: point[k] for k in ("method", "key", "objective", "c0", "spec")}
    row["started"] = started
    try:
        res = run(spec["objective"], spec["c0"], dict(spec["settings"]))
    except Exception as exc:  # noqa: BLE001 — any failure of one point is recorded, the scan goes on
        return {**row, "status": "failed", "reason": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - t0}
    result = result_dict(res)
    if res.value is None and res.status != "infeasible":
        return {**row, "status": "failed", "reason": res.message or f"status {res.status}", "result": result,
                "seconds": time.perf_counter() - t0}
    amplitude = (res.extra or {}).get("amplitude")
    if amplitude is not None and res.value is not None:
        try:
            result["analysis"] = boundary_analysis(amplitude)
        except Exception as exc:  # noqa: BLE001 — the bound stands; only the figure data is missing
            result["analysis"] = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            result["all_spin"] = all_spin_row(amplitude)
        except Exception as exc:  # noqa: BLE001 — a report row, not part of the bound
            result["all_spin"] = {"error": f"{type(exc).__name__}: {exc}"}
    value = None if res.value is None or not math.isfinite(res.value) else float(res.value)
    return {**row, "status": "done", "value": value, "certified": bool(res.certified), "result": result,
            "seconds": time.perf_counter() - t0}


def result_dict(res: Result) -> dict[str, Any]:
    """The result contract without the live objects of `extra` (JSON scalars of it are kept)."""
    d = replace(res, extra={}).to_dict()
    d["extra"] = {k: v for k, v in (res.extra or {}).items() if isinstance(v, (int, float, str, bool))}
    return d


def all_spin_row(amplitude) -> dict[str, Any]:
    """The optical defect Σ_J (2J+1) η_J on ALL_SPIN_S and its tail above spin 0 (smatrix.optical),
    not traced wave by wave (a report row: `passed` is False when the tail is below −tolerance)."""
    import numpy as np

    from smatrix.certify import DEFAULT_TOLERANCE
    from smatrix.grids import above_threshold
    from smatrix.optical import all_spin_check
    s = above_threshold(ALL_SPIN_S[0], ALL_SPIN_S[1], int(ALL_SPIN_S[2]))
    eta0 = 1.0 - np.abs(np.asarray(amplitude.S(0, s), dtype=complex)) ** 2
    return all_spin_check(amplitude, s, [0], eta0[None, :], DEFAULT_TOLERANCE, trace=False)


def boundary_analysis(amplitude) -> dict[str, Any]:
    """|S0| and δ0 on a fixed grid, resonance zeros of S0 (upper half plane) and real zeros below
    threshold — P1 Figs. 9 and the |S0| panels along the boundary."""
    import numpy as np

    from smatrix.analysis import phase_shift, s0_real_zeros, s0_zeros
    from smatrix.grids import above_threshold
    s = above_threshold(ANALYSIS_S[0], ANALYSIS_S[1], int(ANALYSIS_S[2]))
    S = amplitude.S(0, s)
    zeros = s0_zeros(amplitude, *RESONANCE_WINDOW)
    as_list = lambda a: np.asarray(a, dtype=float).tolist()   # longdouble (wavelets) → float
    return {"s": as_list(s), "abs_S0": as_list(np.abs(S)), "delta0": as_list(phase_shift(amplitude, s)),
            "resonance_zeros": [{"re": z.s.real, "im": z.s.imag, "abs_S0": z.abs_S0} for z in zeros],
            "real_zeros": s0_real_zeros(amplitude)}
