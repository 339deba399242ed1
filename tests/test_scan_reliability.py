"""Scans under faults: two scans sharing a store compute every point once (even when one is
killed), workers die with their coordinator, Ctrl-C leaves a consistent store (exit 130), and
finished rows are verified by their checksum."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smatrix.crosscheck.executors import dask_security, parse_executor
from smatrix.crosscheck.store import SCHEMA, ResultStore, row_checksum
from smatrix.errors import BadInput

HERE = Path(__file__).parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), str(HERE)])}
POINTS = 1 + 2 * 4          # max c0 and two c2 objectives on 4 slices


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state        # a zombie has exited


def _scan(store, log, lease_s=3.0, sleep_s=1.5):
    return subprocess.Popen([sys.executable, str(HERE / "scan_helper.py"), str(store), str(log), str(lease_s),
                             str(sleep_s)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _store_rows(store):
    with sqlite3.connect(store, timeout=30) as db:
        return db.execute("SELECT status, worker, lease_until FROM points").fetchall()


def test_two_scans_share_a_store_one_killed_every_point_computed_once(tmp_path):
    store, log = tmp_path / "shared.sqlite", tmp_path / "log.txt"
    a = _scan(store, log)
    time.sleep(0.5)
    b = _scan(store, log)
    deadline = time.time() + 120
    while time.time() < deadline:                   # kill scan a while it computes points
        time.sleep(0.1)
        if not store.exists():
            continue
        try:
            mine = [r for r in _store_rows(store) if r[0] == "running" and r[1] and f":{a.pid}:" in r[1]]
            done = [r for r in _store_rows(store) if r[0] == "done"]
        except sqlite3.OperationalError:
            continue
        if mine and done:
            break
    assert mine, "scan a never held a running point"
    lines = log.read_text().splitlines() if log.exists() else []
    a_workers = {int(l.split()[1]) for l in lines if l.startswith("start")}
    a.send_signal(signal.SIGKILL)
    a.wait()
    out_b, err_b = b.communicate(timeout=180)
    assert b.returncode == 0, err_b
    time.sleep(1.0)
    rows = _store_rows(store)
    assert len(rows) == POINTS and all(r[0] == "done" for r in rows)
    done = [l.split(maxsplit=2)[2] for l in log.read_text().splitlines() if l.startswith("done")]
    assert len(done) == POINTS and len(set(done)) == POINTS, done        # every point computed exactly once
    # scan a's workers did not outlive it (the pool watches its coordinator)
    b_workers = {int(l.split()[1]) for l in log.read_text().splitlines()} - a_workers
    orphans = [pid for pid in a_workers - b_workers if _alive(pid)]
    assert not orphans
    assert "Traceback" not in err_b


def test_concurrent_scans_without_kill_share_the_work(tmp_path):
    store, log = tmp_path / "shared.sqlite", tmp_path / "log.txt"
    scans = [_scan(store, log, lease_s=5.0, sleep_s=0.5) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in scans]
    assert all(p.returncode == 0 for p in scans), outs
    done = [l.split(maxsplit=2)[2] for l in log.read_text().splitlines() if l.startswith("done")]
    assert sorted(done) == sorted(set(done)) and len(done) == POINTS
    computed = sum(int(o.split()[1]) for o, _ in outs)
    assert computed == POINTS                      # and the other scan reused them


def test_workers_die_with_a_killed_coordinator(tmp_path):
    store, log = tmp_path / "s.sqlite", tmp_path / "log.txt"
    a = _scan(store, log, lease_s=30.0, sleep_s=30.0)
    deadline = time.time() + 60
    while time.time() < deadline and not (log.exists() and log.read_text().count("start") >= 1):
        time.sleep(0.1)
    workers = {int(l.split()[1]) for l in log.read_text().splitlines() if l.startswith("start")}
    assert workers and all(_alive(p) for p in workers)
    a.send_signal(signal.SIGKILL)
    a.wait()
    time.sleep(2.0)
    assert not [p for p in workers if _alive(p)]


def test_ctrl_c_in_a_scan_exits_130_and_leaves_the_store_consistent(tmp_path):
    store, out = tmp_path / "r.sqlite", tmp_path / "o"
    args = [sys.executable, "-m", "smatrix.cli", "almond", "--methods", "dual-sdp", "--slices", "3",
            "--executor", "local:2", "--set", "dual-sdp.nodes=200", "--no-plots", "--store", str(store),
            "--out", str(out), "--json"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 200
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            rows = _store_rows(store) if store.exists() else []
        except sqlite3.OperationalError:
            continue
        if any(r[0] == "done" for r in rows) and any(r[0] == "running" for r in rows):
            break
    os.killpg(p.pid, signal.SIGINT)                 # as a terminal's Ctrl-C: the whole process group
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip().splitlines()[-1] == "interrupted", err
    assert "Traceback" not in err
    with ResultStore(store) as st:
        rows = st.rows()
        running = [r for r in rows if r["status"] == "running"]
        assert all(r["lease_until"] == 0 and r["reason"] == "interrupted" for r in running)   # released
        assert all("problem" not in r for r in rows if r["status"] == "done")
        n_done = sum(r["status"] == "done" for r in rows)
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert rerun.returncode in (0, 1), rerun.stderr
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["reused"] == n_done and summary["computed"] == 7 - n_done


class _InterruptAfter:
    """The store's connection, raising KeyboardInterrupt right after the n-th statement starting
    with `prefix` ran: a Ctrl-C landing between two statements of a write."""

    def __init__(self, db, prefix, n=1):
        self._db, self._prefix, self._left = db, prefix, n

    def execute(self, sql, *args):
        cur = self._db.execute(sql, *args)
        if sql.startswith(self._prefix):
            self._left -= 1
            if self._left == 0:
                raise KeyboardInterrupt
        return cur

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.mark.parametrize("prefix", ["BEGIN", "INSERT", "COMMIT"])
def test_ctrl_c_inside_a_write_leaves_no_open_transaction(tmp_path, prefix):
    """A Ctrl-C right after BEGIN, inside the write or right after COMMIT: the write happened
    entirely or not at all, and the scan's release (the next write) still works (this once failed
    with 'cannot start a transaction within a transaction', exit 4 instead of 130)."""
    with ResultStore(tmp_path / "r.sqlite") as store:
        first, second = _point(1), _point(2)
        store.mark_running([first, second])
        store.record({**first, "status": "done", "value": 1.0, "certified": True, "result": {"v": 1}})
        db = store._db
        store._db = _InterruptAfter(db, prefix)
        with pytest.raises(KeyboardInterrupt):
            store.record({**second, "status": "done", "value": 2.0, "certified": True, "result": {"v": 2}})
        store._db = db
        assert not db.in_transaction
        done = prefix == "COMMIT"                       # committed before the interrupt, else rolled back
        assert (store.get("m", "k2")["status"] == "done") is done
        assert store.release("interrupted") == (0 if done else 1)
        assert store.get("m", "k1")["result"] == {"v": 1}
        store.mark_running([_point(3)])
        running = sum(r["status"] == "running" for r in store.rows())
        left_open = store._write()          # a Ctrl-C after BEGIN, before the with-body: left open
        left_open.__enter__()
        assert db.in_transaction
        assert store.release("interrupted") == running and not db.in_transaction
        assert store.get("m", "k3")["reason"] == "interrupted"
        del left_open                       # its generator closes with nothing left to roll back


def _point(i):
    return {"method": "m", "key": f"k{i}", "objective": "min-c2", "c0": float(i), "spec": {"i": i}}


def test_altered_and_malformed_rows_are_detected_and_recomputed(tmp_path, capsys):
    path = tmp_path / "r.sqlite"
    with ResultStore(path) as store:
        for i in range(3):
            store.mark_running([_point(i)])
            store.record({**_point(i), "status": "done", "value": float(i), "certified": True, "result": {"v": i}})
        assert store.claim([_point(i) for i in range(3)]) == ([], [])          # intact: reused
    with sqlite3.connect(path) as db:
        db.execute("UPDATE points SET value = 0.99 * value WHERE key = 'k1'")      # a tampered value
        db.execute("UPDATE points SET result = '{not json' WHERE key = 'k2'")      # a malformed row
    with ResultStore(path) as store:
        assert "checksum" in store.get("m", "k1")["problem"] and "malformed result JSON" in store.get("m", "k2")["problem"]
        claimed, busy = store.claim([_point(i) for i in range(3)])
        assert sorted(p["key"] for p in claimed) == ["k1", "k2"] and not busy
    err = capsys.readouterr().err
    assert f"results store {path}: row (m, k2) has malformed result JSON" in err and "(m, k1) does not match its checksum" in err


def test_store_messages_name_the_real_problem(tmp_path, monkeypatch):
    wrong = tmp_path / "wrong.sqlite"
    with sqlite3.connect(wrong) as db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
        db.execute("CREATE TABLE points (method TEXT, key TEXT)")
    with pytest.raises(BadInput, match="its points table has columns method, key; expected") as e:
        ResultStore(wrong)
    assert f"not {SCHEMA!r}" not in str(e.value)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE points (x INTEGER)")
    with pytest.raises(BadInput, match="not a smatrix results store"):
        ResultStore(foreign)
    ro = tmp_path / "ro.sqlite"
    ResultStore(ro).close()
    import smatrix.crosscheck.store as store_module     # root ignores file modes: open it read-only instead
    monkeypatch.setattr(store_module, "_connect",
                        lambda p: sqlite3.connect(f"file:{p}?mode=ro", uri=True, isolation_level=None))
    with pytest.raises(BadInput, match="is read-only"):
        ResultStore(ro)


def test_version_1_store_is_migrated_with_checksums(tmp_path):
    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', 'smatrix-results/1')")
        db.execute("CREATE TABLE points (method TEXT NOT NULL, key TEXT NOT NULL, objective TEXT NOT NULL, c0 REAL, "
                   "spec TEXT NOT NULL, status TEXT NOT NULL, value REAL, certified INTEGER, result TEXT, reason TEXT, "
                   "attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, started REAL, finished REAL, seconds REAL, "
                   "PRIMARY KEY (method, key))")
        db.execute("INSERT INTO points (method, key, objective, c0, spec, status, value, certified, result, attempts) "
                   "VALUES ('m', 'k', 'min-c2', 1.0, '{}', 'done', 0.75, 1, '{\"v\": 1}', 1)")
    with ResultStore(path) as store:
        row = store.get("m", "k")
        assert row["value"] == 0.75 and "problem" not in row
        assert row["checksum"] == row_checksum({"method": "m", "key": "k", "status": "done", "value": 0.75,
                                                "certified": 1, "result": '{"v": 1}', "reason": None})


@pytest.mark.parametrize("text, kind, result", [
    ("dask://127.0.0.1:8786", "dask", ("tcp://127.0.0.1:8786", False)),
    ("dask://localhost:8786", "dask", ("tcp://localhost:8786", False)),
    ("dask+insecure://10.0.0.5:8786", "dask", ("tcp://10.0.0.5:8786", False)),
    ("dask+tls://scheduler:8786", "dask", ("tls://scheduler:8786", True)),
    ("tls://scheduler:8786", "dask", ("tls://scheduler:8786", True)),
])
def test_executor_addresses(text, kind, result):
    assert parse_executor(text) == (kind, result)


def test_plain_remote_dask_is_refused_and_tls_needs_certificates(tmp_path):
    with pytest.raises(BadInput, match="plain TCP to another machine"):
        parse_executor("dask://scheduler.example.org:8786")
    pytest.importorskip("distributed")
    with pytest.raises(BadInput, match="set SMATRIX_DASK_TLS_CERT"):
        dask_security({"SMATRIX_DASK_TLS_CA": str(tmp_path / "ca.pem")})
    with pytest.raises(BadInput, match="no such file"):
        dask_security({"SMATRIX_DASK_TLS_CA": str(tmp_path / "ca.pem"), "SMATRIX_DASK_TLS_CERT": str(tmp_path / "c.pem")})


def test_dask_over_tls_runs_points(tmp_path, monkeypatch):
    """A TLS LocalCluster with temporary certificates: the executor connects with the files of
    SMATRIX_DASK_TLS_* and computes points; without them the connection is refused."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    from smatrix.crosscheck.executors import make_executor
    from smatrix.crosscheck.points import compute_point, make_point
    sec = distributed.Security.temporary()
    files = {}
    for name, pem in (("ca", sec.tls_ca_file), ("cert", sec.tls_client_cert), ("key", sec.tls_client_key)):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_text(pem)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tls://",
                                  security=sec, dashboard_address=None) as cluster:
        address = cluster.scheduler_address.removeprefix("tls://")
        with pytest.raises(BadInput, match="Dask TLS needs"):
            make_executor(f"dask+tls://{address}")
        for k, f in files.items():
            monkeypatch.setenv(f"SMATRIX_DASK_TLS_{k.upper()}", str(f))
        point = make_point("zero-ddisc", "fake", "max-c0", None, {"sleep": 0.0, "log": str(tmp_path / "log")})
        from scan_helper import slow_point
        with make_executor(f"dask+tls://{address}") as ex:
            rows = [row for _, row in ex.run(compute_point, [(point, slow_point)])]
    assert rows[0]["status"] == "done" and rows[0]["value"] == 100.0
