"""The kernel disk cache: hits return the stored arrays; unreadable, incomplete, re-parameterised,
altered (checksum) and well-formed-but-wrong (row recomputation) entries are rebuilt; a tampered
kernel never reaches a certified dual bound."""
import json
import math

import numpy as np
import pytest

from smatrix.cache import cached_arrays, entry_params, read_entry, rows_agree, write_entry
from smatrix.dual import dual_quadrature


def _builder(calls):
    def build():
        calls.append(1)
        return {"K": np.arange(6.0).reshape(2, 3), "v": np.linspace(0, 1, 4)}
    return build


def test_cache_roundtrip_and_corrupt_entry(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMATRIX_CACHE", str(tmp_path))
    calls = []
    build = _builder(calls)
    first = cached_arrays("test", {"n": 3}, build)
    again = cached_arrays("test", {"n": 3}, build)
    assert len(calls) == 1 and np.array_equal(first["K"], again["K"]) and sorted(again) == ["K", "v"]
    cached_arrays("test", {"n": 4}, build)             # other parameters: other entry
    assert len(calls) == 2
    for f in tmp_path.glob("test-*.npz"):
        f.write_bytes(b"not a zip file")
    rebuilt = cached_arrays("test", {"n": 3}, build)
    assert len(calls) == 3 and np.array_equal(rebuilt["K"], first["K"])
    assert "unreadable" in capsys.readouterr().err


@pytest.mark.parametrize("fault, reason", [
    ("scaled, checksum kept", "does not match its checksum"),
    ("array missing", "holds arrays"),
    ("other parameters", "built from other parameters"),
    ("no checksum (old format)", "no __params__"),
    ("scaled, checksum recomputed", "recomputed rows disagree"),
])
def test_altered_entries_are_detected_and_rebuilt(tmp_path, monkeypatch, capsys, fault, reason):
    monkeypatch.setenv("SMATRIX_CACHE", str(tmp_path))
    calls = []
    build = _builder(calls)
    check = lambda A: rows_agree(A["K"], lambda i: build()["K"][i])
    cached_arrays("test", {"n": 3}, build, check)
    (path,) = tmp_path.glob("test-*.npz")
    good = read_entry(path, entry_params("test", {"n": 3}))
    if fault == "scaled, checksum kept":
        with np.load(path) as z:
            stored = {k: z[k] for k in z.files}
        stored["K"] = stored["K"] * 0.99
        np.savez(path, **stored)
    elif fault == "array missing":
        write_entry(path, entry_params("test", {"n": 3}), {"K": good["K"]})
        with np.load(path) as z:        # names list claims both: as if one array was dropped
            stored = {k: z[k] for k in z.files}
        stored["__names__"] = np.array(["K", "v"])
        np.savez(path, **stored)
    elif fault == "other parameters":
        write_entry(path, entry_params("test", {"n": 99}), good)
    elif fault == "no checksum (old format)":
        np.savez(path, **good)
    else:                                # a well-formed entry, valid checksum, wrong numbers
        write_entry(path, entry_params("test", {"n": 3}), {**good, "K": good["K"] * 0.99})
    n_before = len(calls)
    out = cached_arrays("test", {"n": 3}, build, check)
    assert reason in capsys.readouterr().err
    assert np.array_equal(out["K"], good["K"]) and np.array_equal(out["v"], good["v"])
    assert len(calls) > n_before
    assert np.array_equal(read_entry(path, entry_params("test", {"n": 3}))["K"], good["K"])   # repaired on disk


def test_rows_agree_catches_scaling_and_accepts_the_truth(rng):
    A = rng.normal(size=(50, 7))
    assert rows_agree(A, lambda i: A[i])
    assert not rows_agree(A * 0.99, lambda i: A[i])
    B = A.copy()
    B[:, 3] *= 1.001                       # one column altered: every row sees it
    assert not rows_agree(B, lambda i: A[i])
    C = np.stack([A, A])
    assert not rows_agree(C * 1.1, lambda i: C[:, i], axis=1)


def test_tampered_dual_kernels_do_not_reach_a_certified_bound(tmp_path, monkeypatch, capsys):
    """The issue's fault: solve and certification kernels scaled (0.9 and 0.99) and rewritten as
    well-formed entries with valid checksums; the entries are rejected, rebuilt, and c2 ≥ … at
    c0 = 28π is the true bound again (not 0.7535821, not a false infeasibility)."""
    from smatrix.sdp.zero_ddisc_dual import dual_operators, solve_dual
    monkeypatch.setenv("SMATRIX_CACHE", str(tmp_path))
    fresh = lambda: (dual_quadrature.cache_clear(), dual_operators.cache_clear())   # as in a new process
    fresh()
    truth = solve_dual("min-c2", 28 * math.pi)
    assert truth.certified and truth.value == pytest.approx(0.7506025, abs=2e-6)
    entries = sorted(tmp_path.glob("zero-ddisc-dual-kernel-*.npz"))
    assert len(entries) >= 2                           # the solve's and the certificate's quadratures
    for k, path in enumerate(entries):
        with np.load(path) as z:
            params = json.loads(str(z["__params__"]))
            arrays = {n: z[n] for n in z.files if not n.startswith("__")}
        scale = 0.9 if k == 0 else 0.99
        write_entry(path, params, {n: a * scale for n, a in arrays.items()})
    fresh()
    capsys.readouterr()
    again = solve_dual("min-c2", 28 * math.pi)
    err = capsys.readouterr().err
    assert err.count("recomputed rows disagree") == len(entries)
    assert again.status != "infeasible" and again.certified
    assert again.value == pytest.approx(truth.value, rel=1e-9)
    fresh()
