"""One point of a scan: (method, objective, c0, settings) → a store row. `compute_point` is the
task the executors run (in worker processes); it never raises — a failing method becomes a
'failed' row with its reason, so the scan goes on.

Files named by a point's settings (an inelasticity profile) travel by content: the coordinator
reads them (`make_point`: bytes and SHA-256 in point["files"], the hash also in the key), a
worker checks the hash and runs on its own copy (`worker_settings`), so workers need no shared
disk and cannot run on another version of the file. Each row records the worker (host:pid) that
computed it.

For primal amplitudes the task also records the boundary analysis that the figures need
(|S0| and δ0 on a fixed energy grid, zeros of S0: resonances above threshold by the argument
principle, real zeros below threshold, eqs. 68–69), so a resumed scan redraws them without
recomputing anything.
"""
from __future__ import annotations

import hashlib
import math
import os
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from smatrix.errors import BadInput
from smatrix.result import Result, config_hash

POINT_VERSION = 1                       # bump when a method's numbers change for the same settings
ANALYSIS_S = (1e-4, 1e3, 300)           # |S0|, δ0 at s − 4 = geomspace(*ANALYSIS_S)
ALL_SPIN_S = (1e-2, 1e5, 16)            # optical defect at s − 4 = geomspace(*ALL_SPIN_S) (T costs ~1 ms/point)
RESONANCE_WINDOW = (4.05, 20.0)         # where S0 zeros are searched above threshold
_FILE_SETTINGS = ("inelasticity",)      # settings naming a file: its content enters the key


def point_spec(model: str, method: str, objective: str, c0: float | None, settings: dict[str, Any],
               files: dict[str, dict] | None = None) -> dict:
    """The JSON description of a point; its hash is the store key. `files` (file_payloads of the
    settings): the short hash of each file's content enters it."""
    spec = {"model": model, "method": method, "objective": objective,
            "c0": None if c0 is None else float(c0), "settings": dict(sorted(settings.items())),
            "version": POINT_VERSION}
    files = file_payloads(settings) if files is None else files
    hashes = {k: files[k]["sha256"][:16] if k in files else "unreadable"    # the method reports the clear error
              for k in _FILE_SETTINGS if settings.get(k)}
    if hashes:
        spec["file_sha256"] = hashes
    return spec


def make_point(model: str, method: str, objective: str, c0: float | None, settings: dict[str, Any]) -> dict:
    """A point of a scan: method, key, objective, c0, spec, and the files its settings name (by content)."""
    files = file_payloads(settings)
    spec = point_spec(model, method, objective, c0, settings, files)
    point = {"method": method, "key": config_hash(spec), "objective": objective, "c0": spec["c0"], "spec": spec}
    if files:
        point["files"] = files
    return point


def file_payloads(settings: dict[str, Any]) -> dict[str, dict]:
    """{setting: {"name", "sha256", "data"}} for each readable file the settings name."""
    out = {}
    for k in _FILE_SETTINGS:
        if settings.get(k):
            try:
                data = Path(settings[k]).read_bytes()
            except OSError:
                continue
            out[k] = {"name": Path(settings[k]).name, "sha256": hashlib.sha256(data).hexdigest(), "data": data}
    return out


def worker_settings(point: dict) -> dict[str, Any]:
    """The settings a worker runs: each file of point["files"] hash-checked and written to a
    local content-addressed copy, whose path replaces the coordinator's (BadInput if altered)."""
    settings = dict(point["spec"]["settings"])
    for k, f in (point.get("files") or {}).items():
        if hashlib.sha256(f["data"]).hexdigest() != f["sha256"]:
            raise BadInput(f"the {k} file {f['name']} arrived altered (its SHA-256 differs from the coordinator's)")
        settings[k] = str(_local_copy(f))
    return settings


def _local_copy(f: dict) -> Path:
    """This host's copy of a sent file, named by its hash (and its own name: the suffix picks the reader)."""
    folder = Path(tempfile.gettempdir()) / "smatrix-files"
    folder.mkdir(exist_ok=True)
    path = folder / f"{f['sha256'][:32]}-{f['name']}"
    if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]):
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(f["data"])
        os.replace(tmp, path)              # atomic: concurrent workers never read half a file
    return path


def worker_id() -> str:
    """host:pid of this process (the `worker` column of a store row)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def base_row(point: dict, worker: str | None = None) -> dict:
    """The part of a store row that names the point, and the worker that computed it."""
    return {**{k: point[k] for k in ("method", "key", "objective", "c0", "spec")}, "worker": worker}


def compute_point(point: dict, run: Callable[[str, float | None, dict], Result]) -> dict:
    """Run the method of `point` and return its store row ('done' or 'failed', never raises)."""
    started, t0 = time.time(), time.perf_counter()
    spec = point["spec"]
    row = {**base_row(point, worker_id()), "started": started}
    try:
        settings = worker_settings(point)
        res = _as_sent(run(spec["objective"], spec["c0"], dict(settings)), settings, spec["settings"])
    except Exception as exc:  # noqa: BLE001 — any failure of one point is recorded, the scan goes on
        return {**row, "status": "failed", "reason": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - t0}
    result = result_dict(res)
    if res.value is None and res.status != "infeasible":
        return {**row, "status": "failed", "reason": res.message or f"status {res.status}", "result": result,
                "seconds": time.perf_counter() - t0}
    amplitude = res.amplitude
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


def _as_sent(res: Result, ran: dict, sent: dict) -> Result:
    """The result with the coordinator's file paths in its config (not the worker's local copies)."""
    fix = {k: sent[k] for k in _FILE_SETTINGS if ran.get(k) != sent.get(k) and res.config.get(k) == ran[k]}
    return replace(res, config={**res.config, **fix}, config_hash="") if fix else res


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
