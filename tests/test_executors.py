"""Executors beyond the local pool (docs/clusters.md): scheduler-file and SLURM addresses,
per-point timeouts, the worker in each store row, version agreement before a scan, and η files
sent by content (hash-checked)."""
import hashlib
import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from smatrix.crosscheck import executors
from smatrix.crosscheck.executors import (LocalExecutor, SlurmOptions, check_agreement, make_executor,
                                          parse_executor, slurm_cluster, start_slurm, worker_task, worker_versions)
from smatrix.crosscheck.points import compute_point, make_point
from smatrix.crosscheck.store import ResultStore
from smatrix.errors import BadInput
from smatrix.result import Result

HOST = socket.gethostname()


def sleepy(objective, c0, settings):
    """A stand-in method: sleeps `sleep` seconds, returns c0 / 100 and the pid that computed it."""
    time.sleep(settings["sleep"])
    return Result(method="fake", model="zero-ddisc", objective=objective, c0=c0, c2=c0 / 100, value=c0 / 100,
                  bound_kind="primal (achieved)", status="optimal", certified=True, certificate={}, solver="sleep",
                  seconds=settings["sleep"], config={**settings, "pid": os.getpid()})


def eta_reader(objective, c0, settings):
    """A stand-in η method: the profile it reads, by the path it is given (as the full model does)."""
    from smatrix.inelasticity import load_profile
    profile = load_profile(settings["inelasticity"])
    value = float(sum(v.sum() for v in profile.eta.values()))
    return Result(method="fake", model="zero-ddisc", objective=objective, c0=c0, c2=value, value=value,
                  bound_kind="primal (achieved)", status="optimal", certified=True, certificate={}, solver="read",
                  seconds=0.0, config={**settings, "read_from": settings["inelasticity"]})


def _points(sleeps):
    return [make_point("zero-ddisc", "fake", "min-c2", float(i + 1), {"sleep": s}) for i, s in enumerate(sleeps)]


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("text, kind, result", [
    ("scheduler-file:/shared/sched.json", "scheduler-file", ("/shared/sched.json", False)),
    ("scheduler-file+insecure:s.json", "scheduler-file", ("s.json", True)),
    ("slurm", "slurm", None),
])
def test_cluster_addresses(text, kind, result):
    assert parse_executor(text) == (kind, result)


def test_bad_cluster_addresses_are_one_line_errors():
    with pytest.raises(BadInput, match="expected scheduler-file:PATH"):
        parse_executor("scheduler-file:")
    with pytest.raises(BadInput, match="scheduler-file:PATH or slurm"):
        parse_executor("pbs")
    with pytest.raises(BadInput, match="`point_timeout` must be > 0"):
        make_executor("local:1", point_timeout=0.0)


def test_local_timeout_stops_the_point_and_its_process_others_continue(tmp_path):
    """One point sleeps 60 s with a 1.5 s timeout: it is recorded failed ('timeout'), its lease
    released, its process ended and replaced; the other points finish, each row naming the worker
    process (not the coordinator); a --retry-failed scan claims it again."""
    points = _points([0.1, 60.0, 0.1, 0.1, 0.1])
    t0 = time.perf_counter()
    with ResultStore(tmp_path / "r.sqlite") as store, LocalExecutor(2, point_timeout=1.5) as ex:
        claimed, _ = store.claim(points)
        rows = {}
        for p, row in ex.run(compute_point, [(p, sleepy) for p in claimed]):
            store.record(row)
            rows[p["c0"]] = row
        seconds = time.perf_counter() - t0
        stored = {r["c0"]: r for r in store.rows()}
        assert store.claim(points)[0] == []                                   # failed rows are kept …
        assert [p["c0"] for p in store.claim(points, retry_failed=True)[0]] == [2.0]   # … and retried on request
    assert seconds < 20.0, seconds
    slow = stored[2.0]
    assert slow["status"] == "failed" and slow["reason"].startswith("timeout: still running after --point-timeout 1.5 s")
    assert slow["lease_until"] is None
    killed = int(slow["worker"].split(":")[1])
    assert not _alive(killed)
    fast = [stored[c] for c in (1.0, 3.0, 4.0, 5.0)]
    assert all(r["status"] == "done" and r["value"] == pytest.approx(r["c0"] / 100) for r in fast)
    for c in (1.0, 3.0, 4.0, 5.0):       # the worker column is the process that ran the method (its own pid)
        assert stored[c]["worker"] == f"{HOST}:{rows[c]['result']['config']['pid']}" != f"{HOST}:{os.getpid()}"


def test_a_worker_that_dies_is_replaced():
    points = _points([0.05, 0.05])
    with LocalExecutor(1) as ex:
        rows = [row for _, row in ex.run(compute_point, [(points[0], os_exit), (points[1], sleepy)])]
    assert rows[0]["status"] == "failed" and "worker process died (exit code 3)" in rows[0]["reason"]
    assert rows[1]["status"] == "done"


def os_exit(objective, c0, settings):
    """A method whose process dies."""
    os._exit(3)


def test_version_agreement_names_the_worker_and_the_versions():
    mine = worker_versions()
    assert set(mine) >= {"smatrix", "git", "python", "numpy", "scipy", "mpmath", "cvxpy", "torch"}
    assert mine["smatrix"] == __import__("smatrix").__version__
    other = {**mine, "numpy": "1.0.0", "git": "0123abc"}
    check_agreement(mine, {"tcp://10.0.0.7:4001": {"host": "node7", "versions": mine}})      # agree: silent
    with pytest.raises(BadInput) as e:
        check_agreement(mine, {"tcp://10.0.0.7:4001": {"host": "node7", "versions": mine},
                               "tcp://10.0.0.8:4001": {"host": "node8", "versions": other}})
    text = str(e.value)
    assert "\n" not in text and "worker tcp://10.0.0.8:4001 (host node8)" in text
    assert f"numpy 1.0.0 (coordinator {mine['numpy']})" in text and f"git 0123abc (coordinator {mine['git']})" in text
    # a worker that joins after the check (a late SLURM job) fails its points with the reason
    row = worker_task(compute_point, _points([0.0])[0], sleepy, {**mine, "scipy": "0.1"})
    assert row["status"] == "failed" and f"scipy {mine['scipy']} (coordinator 0.1)" in row["reason"]
    assert row["worker"] == f"{HOST}:{os.getpid()}"


def test_eta_file_travels_by_content_and_is_hash_checked(tmp_path):
    """The coordinator reads the η file into the point; a worker runs on its own checked copy, so
    the method gives the same number after the original is gone; altered bytes are refused."""
    from smatrix.inelasticity import demo_profile, load_profile
    path = demo_profile(spins=(0, 2), n=50).save(tmp_path / "eta.json")
    data = Path(path).read_bytes()
    expected = float(sum(v.sum() for v in load_profile(path).eta.values()))
    point = make_point("zero-ddisc", "fake", "min-c2", 1.0, {"inelasticity": str(path)})
    sent = point["files"]["inelasticity"]
    assert sent["sha256"] == hashlib.sha256(data).hexdigest() and sent["data"] == data
    assert point["spec"]["file_sha256"] == {"inelasticity": sent["sha256"][:16]}     # the key: content, as before
    Path(path).unlink()                                     # the worker cannot read it by path any more
    row = compute_point(point, eta_reader)
    assert row["status"] == "done" and row["value"] == pytest.approx(expected, rel=1e-15)
    with LocalExecutor(1) as ex:                            # the same across a process boundary
        [(_, pooled)] = list(ex.run(compute_point, [(point, eta_reader)]))
    assert pooled["status"] == "done" and pooled["value"] == row["value"] and pooled["worker"] != row["worker"]
    config = row["result"]["config"]
    assert config["inelasticity"] == str(path)              # the result names the coordinator's file …
    assert config["read_from"] != str(path) and Path(config["read_from"]).name.startswith(sent["sha256"][:32])
    altered = {**point, "files": {"inelasticity": {**sent, "data": data.replace(b"0", b"1", 1)}}}
    bad = compute_point(altered, eta_reader)
    assert bad["status"] == "failed" and "arrived altered" in bad["reason"]


@pytest.fixture
def scheduler_file(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "scheduler.json"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
                                  scheduler_kwargs={"scheduler_file": str(path)}) as cluster:
        yield path, cluster


def test_scheduler_file_runs_points_with_timeouts_and_worker_rows(scheduler_file):
    """A real LocalCluster writing a scheduler file: points run on its worker process (named in
    each row), a point past --point-timeout is returned as 'timeout' without waiting for it."""
    path, cluster = scheduler_file
    assert json.loads(path.read_text())["address"].startswith("tcp://127.0.0.1:")
    points = _points([0.1, 30.0, 0.1])
    t0 = time.perf_counter()
    with make_executor(f"scheduler-file:{path}", point_timeout=2.0) as ex:
        assert ex.name.startswith("dask (tcp://127.0.0.1:") and f"from {path}" in ex.name
        worker_pid = next(iter(ex._client.run(os.getpid).values()))
        rows = {p["c0"]: row for p, row in ex.run(compute_point, [(p, sleepy) for p in points])}
    seconds = time.perf_counter() - t0
    assert seconds < 15.0, seconds
    assert worker_pid != os.getpid()
    assert rows[2.0]["status"] == "failed" and rows[2.0]["reason"].startswith("timeout: still running after")
    for c in (1.0, 3.0):
        assert rows[c]["status"] == "done" and rows[c]["value"] == pytest.approx(c / 100)
    assert {rows[c]["worker"] for c in rows} == {f"{HOST}:{worker_pid}"}


def test_scheduler_file_security_policy(tmp_path):
    pytest.importorskip("distributed")
    remote = tmp_path / "remote.json"
    remote.write_text(json.dumps({"address": "tcp://10.0.0.5:8786"}))
    with pytest.raises(BadInput, match="plain TCP to another machine"):
        make_executor(f"scheduler-file:{remote}")
    tls = tmp_path / "tls.json"
    tls.write_text(json.dumps({"address": "tls://10.0.0.5:8786"}))
    with pytest.raises(BadInput, match="Dask TLS needs"):
        make_executor(f"scheduler-file:{tls}")
    with pytest.raises(BadInput, match="cannot read Dask scheduler file"):
        make_executor(f"scheduler-file:{tmp_path / 'missing.json'}")


def test_version_mismatch_refuses_the_scan_exit_2(scheduler_file, tmp_path, monkeypatch, capsys):
    """The workers report other versions (worker_report replaced on the worker side): `smatrix
    almond` stops before any point with one line naming the worker, exit 2, and an empty store."""
    from smatrix.cli import main
    path, cluster = scheduler_file
    mine = worker_versions()

    def other_report():
        return {"host": "node-x", "versions": {**mine, "smatrix": "0.0.1"}}
    monkeypatch.setattr(executors, "worker_report", other_report)
    store = tmp_path / "r.sqlite"
    rc = main(["almond", "--methods", "dual-sdp", "--executor", f"scheduler-file:{path}", "--store", str(store),
               "--out", str(tmp_path / "out"), "--no-plots"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith("error: worker tcp://127.0.0.1:") and "(host node-x)" in err[0]
    assert f"smatrix 0.0.1 (coordinator {mine['smatrix']})" in err[0]
    with ResultStore(store) as st:
        assert st.rows() == []


def fake_slurm(seen: dict):
    """A stand-in for SLURMCluster: takes its arguments (kept in `seen`), runs one in-process
    worker per job × process."""
    import distributed

    class FakeSlurm(distributed.LocalCluster):
        def __init__(self, **kwargs):
            seen.update(kwargs)
            super().__init__(n_workers=0, threads_per_worker=1, processes=False, dashboard_address=None)

        def scale(self, n=0, jobs=0, **kwargs):
            super().scale(jobs * seen["processes"] if jobs else n, **kwargs)
    return FakeSlurm


def test_slurm_executor_with_an_injected_cluster_runs_points(tmp_path):
    pytest.importorskip("distributed")
    opts = SlurmOptions(jobs=2, cores=1, walltime="00:10:00", queue="short", shared_dir=str(tmp_path))
    seen = {}
    with start_slurm(opts, point_timeout=30.0, factory=fake_slurm(seen)) as ex:
        assert ex.name == "slurm (2 jobs × 1 worker, 00:10:00)"
        rows = [row for _, row in ex.run(compute_point, [(p, sleepy) for p in _points([0.0, 0.0, 0.0])])]
    assert [r["status"] for r in rows] == ["done"] * 3
    assert seen["queue"] == "short" and seen["walltime"] == "00:10:00" and seen["security"] is True
    assert seen["cores"] == seen["processes"] == 1 and seen["shared_temp_directory"] == str(tmp_path)


def test_slurm_without_workers_times_out_and_without_jobqueue_says_what_to_install(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")

    def idle(**kwargs):
        cluster = distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None)
        cluster.scale = lambda jobs: None                        # jobs that stay queued
        return cluster
    with pytest.raises(BadInput, match="no SLURM worker started within `slurm_start_timeout` 1 s"):
        start_slurm(SlurmOptions(start_timeout=1.0), factory=idle)
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)
    with pytest.raises(BadInput, match=r"pip install 'smatrix-bootstrap\[cluster\]'"):
        slurm_cluster(SlurmOptions())


def test_slurm_job_script(tmp_path):
    """The batch script dask-jobqueue generates from the options: partition, account, wall time,
    memory, cores, one thread per worker process, TLS certificates, this interpreter."""
    pytest.importorskip("dask_jobqueue")
    pytest.importorskip("cryptography")
    opts = SlurmOptions(jobs=3, cores=4, memory="8GB", walltime="02:30:00", queue="long", account="bootstrap",
                        directives=("--constraint=cpu",), shared_dir=str(tmp_path))
    cluster = slurm_cluster(opts)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    lines = script.splitlines()
    for line in ("#SBATCH -p long", "#SBATCH -A bootstrap", "#SBATCH -t 02:30:00", "#SBATCH --cpus-per-task=4",
                 "#SBATCH --mem=8G", "#SBATCH --constraint=cpu", "export OMP_NUM_THREADS=1",
                 "export OPENBLAS_NUM_THREADS=1", "export MKL_NUM_THREADS=1"):
        assert line in lines, (line, script)
    command = lines[-1]
    assert command.startswith(sys.executable) and "--nworkers 4" in command and "--nthreads 1" in command
    assert "tls://" in command and "--tls-ca-file" in command and str(tmp_path) in command


def test_cli_refuses_slurm_options_for_other_executors(tmp_path, capsys):
    from smatrix.cli import main
    rc = main(["almond", "--methods", "dual-sdp", "--slurm-jobs", "4", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == ["error: --slurm-* options need --executor slurm (got --executor local)"]
