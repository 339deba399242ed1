"""The kernel disk cache: hits return the stored arrays, corrupt entries are rebuilt."""
import numpy as np

from smatrix.cache import cached_arrays


def test_cache_roundtrip_and_corrupt_entry(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMATRIX_CACHE", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"K": np.arange(6.0).reshape(2, 3)}

    first = cached_arrays("test", {"n": 3}, build)
    again = cached_arrays("test", {"n": 3}, build)
    assert len(calls) == 1 and np.array_equal(first["K"], again["K"])
    cached_arrays("test", {"n": 4}, build)             # other parameters: other entry
    assert len(calls) == 2
    for f in tmp_path.glob("test-*.npz"):
        f.write_bytes(b"not a zip file")
    rebuilt = cached_arrays("test", {"n": 3}, build)
    assert len(calls) == 3 and np.array_equal(rebuilt["K"], first["K"])
    assert "unreadable" in capsys.readouterr().err
