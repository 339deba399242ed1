"""Results saved to a directory and restored (`--out DIR`, `Result.load`, `smatrix show DIR`).

DIR/result.json — the result contract (`Result.to_dict`, provenance included) plus `extra_scalars`
and a `data` note; DIR/data.npz — the amplitude or multiplier arrays and a `meta` JSON string,
read back with allow_pickle=False (no file can execute code). Numbers that carry more digits
than float64 (longdouble wavelet coefficients, mpmath coefficients of an SDPB run) are stored
as decimal strings with all their digits, so a reloaded amplitude is the same amplitude.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np

from .amplitude import SpectralAmplitude, WaveletAmplitude
from .dispersion import SpectralGrid
from .errors import BadInput
from .full_amplitude import FullAmplitude, FullBasis
from .result import Result

FORMAT = "smatrix-result/1"
RESULT_FILE, DATA_FILE = "result.json", "data.npz"
_DERIVED = ("c0_over_pi", "c0_over_32pi")   # to_dict adds them; not Result fields


def check_out_dir(directory: str | Path) -> Path:
    """Create `directory` (or accept an existing one) and make sure it is writable — before the
    computation starts (BadInput otherwise)."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise BadInput(f"`out` {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"`out` {out}: cannot create the directory ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise BadInput(f"`out` {out}: directory is not writable")
    return out


def _longdouble_text(values) -> np.ndarray:
    """Shortest decimal strings that read back to the same longdouble numbers."""
    return np.array([np.format_float_scientific(np.longdouble(v), unique=True) for v in np.ravel(values)])


def _longdouble_values(text) -> np.ndarray:
    return np.array([np.longdouble(str(t)) for t in np.ravel(text)], dtype=np.longdouble)


def _mp_text(x: mp.mpf) -> str:
    """All the digits of an mpmath number's mantissa (bit count × log10 2, plus guard digits)."""
    return mp.nstr(x, max(17, int(x._mpf_[3] * 0.30103) + 3), strip_zeros=False)


def _mp_value(text: str) -> mp.mpf:
    with mp.workdps(len(text)):
        return mp.mpf(text)


def amplitude_arrays(amp) -> dict[str, np.ndarray]:
    """The arrays that define an amplitude (keys prefixed `amplitude_`)."""
    if isinstance(amp, WaveletAmplitude):
        return {"amplitude_kind": np.array("wavelet"), "amplitude_centres": amp.centres,
                "amplitude_coefficients": _longdouble_text(amp.coefficients)}
    if isinstance(amp, SpectralAmplitude):
        return {"amplitude_kind": np.array("spectral"), "amplitude_c0": np.array(amp.c0),
                "amplitude_nodes": amp.grid.nodes, "amplitude_spline": np.array(amp.grid.spline),
                "amplitude_h_nodes": amp.h_nodes}
    if isinstance(amp, FullAmplitude):
        return {"amplitude_kind": np.array("full"), "amplitude_nmax": np.array(amp.basis.nmax),
                "amplitude_threshold": np.array(amp.basis.threshold),
                "amplitude_coefficients": _longdouble_text(amp.coefficients)}
    raise TypeError(f"cannot save an amplitude of type {type(amp).__name__}")


def amplitude_from_arrays(data) -> WaveletAmplitude | SpectralAmplitude | FullAmplitude:
    kind = str(data["amplitude_kind"])
    if kind == "wavelet":
        coef = _longdouble_values(data["amplitude_coefficients"])
        return WaveletAmplitude(data["amplitude_centres"], coef[0], coef[1:-1], coef[-1])
    if kind == "spectral":
        grid = SpectralGrid(np.asarray(data["amplitude_nodes"], dtype=float), spline=bool(data["amplitude_spline"]))
        return SpectralAmplitude(float(data["amplitude_c0"]), grid, data["amplitude_h_nodes"])
    if kind == "full":
        basis = FullBasis(int(data["amplitude_nmax"]), bool(data["amplitude_threshold"]))
        return FullAmplitude(basis, _longdouble_values(data["amplitude_coefficients"]))
    raise BadInput(f"unknown amplitude kind {kind!r} in {DATA_FILE}")


def _split_extra(extra: dict) -> tuple[dict, dict[str, np.ndarray], dict[str, str], list[str]]:
    """extra → (JSON scalars, arrays, {key: "mp" | "float"} for the arrays, keys not saved)."""
    scalars, arrays, kinds, skipped = {}, {}, {}, []
    for key, v in (extra or {}).items():
        if isinstance(v, (bool, int, float, str, np.floating, np.integer)):
            scalars[key] = v.item() if isinstance(v, np.generic) else v
        elif isinstance(v, np.ndarray) and v.dtype == object and v.size and isinstance(v.flat[0], mp.mpf):
            arrays[f"extra_{key}"] = np.array([_mp_text(x) for x in v.ravel()])
            kinds[key] = "mp"
        elif isinstance(v, (np.ndarray, list, tuple)) and np.asarray(v).dtype.kind in "fiub":
            arrays[f"extra_{key}"] = np.asarray(v)
            kinds[key] = "array"
        else:   # live objects (a DualDirection, an η profile, a fit): rebuilt from config/certificate
            skipped.append(key)
    return scalars, arrays, kinds, skipped


def save_result(res: Result, directory: str | Path) -> Path:
    """Write DIR/result.json and DIR/data.npz; returns DIR."""
    out = check_out_dir(directory)
    scalars, arrays, kinds, skipped = _split_extra(res.extra)
    amp = res.amplitude
    if amp is not None:
        arrays.update(amplitude_arrays(amp))
    meta = {"format": FORMAT, "method": res.method, "model": res.model, "objective": res.objective,
            "value": res.value, "config_hash": res.config_hash, "extra_kinds": kinds,
            "provenance": res.provenance}
    d = dataclasses.replace(res, extra={}).to_dict()
    d.pop("extra")
    d.update({"format": FORMAT, "extra_scalars": scalars, "extra_not_saved": skipped,
              "data": {"file": DATA_FILE, "amplitude": amp is not None, "arrays": sorted(arrays)}})
    _atomic_write(out / RESULT_FILE, lambda fh: fh.write(json.dumps(d, default=_jsonable, indent=1).encode()))
    arrays["meta"] = np.array(json.dumps(meta, default=_jsonable))
    _atomic_write(out / DATA_FILE, lambda fh: np.savez(fh, **arrays))
    return out


def load_result(directory: str | Path) -> Result:
    """The Result saved in DIR, with its `amplitude` and the multiplier arrays restored."""
    root = Path(directory)
    path = root / RESULT_FILE
    if not path.is_file():
        raise BadInput(f"{root}: no {RESULT_FILE} (not a directory written by `out`)")
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: unreadable ({exc})") from None
    if d.get("format") != FORMAT:
        raise BadInput(f"{path}: format {d.get('format')!r}, expected {FORMAT!r}")
    extra: dict[str, Any] = dict(d.get("extra_scalars") or {})
    amplitude = None
    data_path = root / DATA_FILE
    if data_path.is_file():
        try:
            with np.load(data_path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                for key, kind in meta.get("extra_kinds", {}).items():
                    arr = data[f"extra_{key}"]
                    extra[key] = np.array([_mp_value(str(t)) for t in arr], dtype=object) if kind == "mp" else arr
                if "amplitude_kind" in data.files:
                    amplitude = amplitude_from_arrays(data)
        except (OSError, ValueError, KeyError) as exc:
            raise BadInput(f"{data_path}: unreadable ({exc})") from None
    fields = {f.name for f in dataclasses.fields(Result)}
    kwargs = {k: v for k, v in d.items() if k in fields and k not in ("extra", "amplitude")}
    return Result(**kwargs, extra=extra, amplitude=amplitude)


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        write(fh)
    os.replace(tmp, path)


def _jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.asdict(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)


__all__ = ["save_result", "load_result", "check_out_dir", "amplitude_arrays", "amplitude_from_arrays"]
