"""Provenance in results and cache keys, `smatrix --version`, and the longdouble precision guard."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import smatrix
from smatrix import cache, precision, provenance
from smatrix.amplitude import WaveletAmplitude
from smatrix.result import Result
from smatrix.grids import wavelet_centres


def _result(amplitude=None, **extra):
    return Result(method="primal-wavelet", model="zero-ddisc", objective="max-c0", c0=1.0, c2=0.5, value=1.0,
                  bound_kind="primal (achieved)", status="optimal", certified=True,
                  certificate={"max_unitarity_violation": 0.0}, solver="clarabel", seconds=0.1, config={"n": 1},
                  extra=extra, amplitude=amplitude)


def test_every_result_carries_provenance():
    d = _result().to_dict()
    p = d["provenance"]
    assert p["version"] == smatrix.__version__
    assert p["libraries"]["numpy"] == np.__version__
    assert p["host"]["node"] and p["python"] == ".".join(map(str, sys.version_info[:3]))
    rev = p["git_revision"]
    if rev is not None:   # a checkout: the revision git itself reports
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=provenance.__file__.rsplit("/", 2)[0]).stdout.strip()
        assert rev.split("-")[0] == head
    assert "provenance" not in d["config"] and d["config_hash"] == _result().config_hash


def test_cache_key_holds_the_library_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("SMATRIX_CACHE", str(tmp_path))
    calls = []
    build = lambda: calls.append(1) or {"K": np.ones(2)}
    cache.cached_arrays("prov", {"n": 1}, build)
    cache.cached_arrays("prov", {"n": 1}, build)
    assert len(calls) == 1
    other = {**provenance.cache_provenance(), "libraries": {"numpy": "0.0-other"}}
    monkeypatch.setattr(cache, "cache_provenance", lambda: other)
    cache.cached_arrays("prov", {"n": 1}, build)      # another numpy: another entry, rebuilt
    assert len(calls) == 2 and len(list(tmp_path.glob("prov-*.npz"))) == 2


def test_version_command():
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"smatrix-bootstrap {smatrix.__version__} (git ")
    assert f"numpy {np.__version__}" in p.stdout and "longdouble" in p.stdout


def test_longdouble_guard_marks_wavelet_results(monkeypatch):
    amp = WaveletAmplitude(wavelet_centres(2), 0.0, np.zeros(wavelet_centres(2).size))
    assert "precision_warning" not in _result(amplitude=amp).certificate or not precision.extended_precision_available()
    monkeypatch.setattr(precision, "longdouble_info", lambda: {"kind": "float64", "digits": 15, "extended": False})
    monkeypatch.setattr(precision, "_WARNED", False)
    with pytest.warns(RuntimeWarning, match="float64"):
        res = _result(amplitude=amp)
    assert res.certificate["precision_warning"] == precision.PRECISION_NOTE
    assert "float64" in res.message
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # warned once per process, not at every result
        again = _result(amplitude=amp)
    assert "precision_warning" in again.certificate
    assert "precision_warning" not in _result().certificate   # no longdouble amplitude: nothing to mark


def test_longdouble_info_matches_numpy():
    info = precision.longdouble_info()
    assert info["extended"] == (np.finfo(np.longdouble).eps < np.finfo(np.float64).eps)
    assert info["digits"] == np.finfo(np.longdouble).precision
