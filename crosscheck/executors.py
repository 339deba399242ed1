"""Where the points of a scan run: a local process pool (default), a Dask distributed cluster, or
a SLURM cluster started through dask-jobqueue (docs/clusters.md).

All yield (point, row) pairs as points finish, in completion order; the coordinator records
each row in the store at once, so a killed scan loses at most the points in flight. A task never
raises (smatrix.crosscheck.points.compute_point); a worker that dies takes its points with it, and those
are returned as 'failed' rows with the reason. With a per-point timeout, a point still running
after it is returned as a 'failed' row whose reason starts with "timeout" (the scan goes on).

    local                   a pool of spawned processes, one per core (each with cores // workers
                            BLAS/OpenMP/torch threads, i.e. one; --threads overrides); workers
                            ignore Ctrl-C (the coordinator handles it)
                            and exit within a second when the coordinator dies, even by SIGKILL;
                            a point past its timeout is stopped with its process (a new one replaces it)
    local:N                 N worker processes
    dask+tls://HOST:PORT    a running Dask scheduler over TLS with mutual authentication
    (or tls://HOST:PORT)    (distributed.Security): CA, client certificate and key from
                            $SMATRIX_DASK_TLS_CA, $SMATRIX_DASK_TLS_CERT, $SMATRIX_DASK_TLS_KEY or
                            from Dask's own configuration (distributed.comm.tls.*)
    dask://HOST:PORT        plain TCP: accepted for this machine (localhost, 127.x, ::1) only
    dask+insecure://HOST:PORT  plain TCP to another machine, asked for explicitly
    scheduler-file:PATH     the scheduler named in a Dask scheduler file (`dask scheduler
                            --scheduler-file PATH`); its address decides as above (tls:// needs the
                            certificates; plain TCP to another machine: scheduler-file+insecure:PATH)
    slurm                   a SLURM cluster of `jobs` batch jobs (dask-jobqueue, SlurmOptions), TLS
                            with certificates made for this scan

Before a scan starts every worker reports its versions (worker_versions); a worker that differs
from the coordinator refuses the scan (BadInput, exit 2), and a worker that joins later and
differs fails its points with the reason.

Dask moves pickles between the coordinator, the scheduler and the workers: whoever can reach the
scheduler can run code on the workers and send crafted results back. Use TLS on any network you
do not control entirely; the store stays with the coordinator (workers never touch it).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from smatrix.errors import BadInput
from smatrix.provenance import library_versions, provenance
from smatrix.threads import THREAD_ENV, choose_threads

from .points import base_row, worker_id

Task = Callable[[dict, Callable], dict]

_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
TLS_ENV = {"ca": "SMATRIX_DASK_TLS_CA", "cert": "SMATRIX_DASK_TLS_CERT", "key": "SMATRIX_DASK_TLS_KEY"}
AGREEMENT_LIBRARIES = ("numpy", "scipy", "mpmath", "cvxpy", "clarabel", "scs", "torch")  # those computing points
SCHEDULER_FILE = ("scheduler-file:", "scheduler-file+insecure:")


def parse_executor(text: str) -> tuple[str, Any]:
    """'local' | 'local:N' | 'dask[+tls|+insecure]://HOST:PORT' | 'tls://HOST:PORT' |
    'scheduler-file[+insecure]:PATH' | 'slurm' → (kind, workers | (address, tls) | (path, insecure) | None);
    plain TCP to another machine is refused unless asked for with dask+insecure://."""
    if text == "local":
        return "local", os.cpu_count() or 1
    if text.startswith("local:"):
        try:
            n = int(text[6:])
        except ValueError:
            n = 0
        if n < 1:
            raise BadInput(f"`executor` {text!r}: expected local:N with N ≥ 1 workers")
        return "local", n
    if text == "slurm":
        return "slurm", None
    for prefix in SCHEDULER_FILE:
        if text.startswith(prefix):
            if not text[len(prefix):]:
                raise BadInput(f"`executor` {text!r}: expected {prefix}PATH (a Dask scheduler file)")
            return "scheduler-file", (text[len(prefix):], prefix == SCHEDULER_FILE[1])
    scheme, sep, rest = text.partition("://")
    if sep and scheme in ("dask", "dask+tls", "tls", "dask+insecure"):
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise BadInput(f"`executor` {text!r}: expected {scheme}://HOST:PORT (a running Dask scheduler)")
        tls = scheme in ("dask+tls", "tls")
        if scheme == "dask" and not _is_loopback(host):
            raise BadInput(f"`executor` {text!r}: plain TCP to another machine (Dask moves pickles: anyone on the "
                           f"path can run code on the workers); use dask+tls://{host}:{port} with "
                           f"${TLS_ENV['ca']}/${TLS_ENV['cert']}/${TLS_ENV['key']}, or dask+insecure://{host}:{port} "
                           "on a network you trust")
        return "dask", (f"{'tls' if tls else 'tcp'}://{host}:{port}", tls)
    raise BadInput(f"unknown `executor` {text!r}: local, local:N, dask+tls://HOST:PORT, dask://localhost:PORT, "
                   "scheduler-file:PATH or slurm")


def _is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")


def dask_security(env: dict[str, str] | None = None):
    """distributed.Security for TLS with mutual authentication: files from TLS_ENV, else Dask's
    configuration; BadInput when no CA/certificate is configured or a file is missing."""
    from distributed import Security
    env = os.environ if env is None else env
    files = {k: env.get(v) for k, v in TLS_ENV.items()}
    if any(files.values()):
        missing = [TLS_ENV[k] for k, f in files.items() if not f and k != "key"]
        unreadable = [f for f in files.values() if f and not os.path.isfile(f)]
        if missing or unreadable:
            raise BadInput(f"Dask TLS: set {', '.join(missing)}" if missing else
                           f"Dask TLS: no such file {unreadable[0]}")
        return Security(tls_ca_file=files["ca"], tls_client_cert=files["cert"], tls_client_key=files["key"],
                        require_encryption=True)
    sec = Security(require_encryption=True)     # distributed.comm.tls.* from Dask's configuration
    if not sec.tls_ca_file or not sec.tls_client_cert:
        raise BadInput(f"Dask TLS needs a CA and a client certificate: set {TLS_ENV['ca']}, {TLS_ENV['cert']} "
                       f"(and {TLS_ENV['key']}) or distributed.comm.tls.ca-file / .client.cert in Dask's configuration")
    return sec


# ---------------------------------------------------------------- versions and the worker-side task

def worker_versions() -> dict[str, str | None]:
    """What every worker must share with the coordinator: smatrix's version and git revision, the
    Python minor version (pickles) and the libraries that compute points (smatrix.provenance)."""
    p = provenance()
    return {"smatrix": p["version"], "git": p["git_revision"], "python": ".".join(p["python"].split(".")[:2]),
            **library_versions(AGREEMENT_LIBRARIES)}


def worker_report() -> dict[str, Any]:
    """A worker's answer to the version check: its host and worker_versions()."""
    return {"host": socket.gethostname(), "versions": worker_versions()}


def version_differences(expected: dict, found: dict) -> str | None:
    """'numpy 2.1.0 (coordinator 2.2.0), …' for every item that differs; None when all agree."""
    diff = [f"{k} {found.get(k)} (coordinator {v})" for k, v in expected.items() if found.get(k) != v]
    return ", ".join(diff) or None


def check_agreement(expected: dict, reports: dict[str, dict]) -> None:
    """BadInput (one line) naming the first worker whose versions differ from `expected`."""
    for who, report in sorted(reports.items()):
        diff = version_differences(expected, report["versions"])
        if diff:
            raise BadInput(f"worker {who} (host {report['host']}) runs other versions than the coordinator: {diff}; "
                           f"install the same smatrix and libraries everywhere ({len(reports)} workers checked)")


def worker_task(task: Task, point: dict, fn: Callable, expected: dict) -> dict:
    """Runs on a worker: the point, unless this worker's versions differ from the coordinator's
    (a worker that joined after the check) — then a 'failed' row saying which."""
    diff = version_differences(expected, worker_versions())
    if diff:
        return lost_row(point, f"worker runs other versions than the coordinator: {diff}", worker_id())
    return task(point, fn)


def lost_row(point: dict, reason: str, worker: str | None = None) -> dict:
    """The 'failed' row of a point that returned no row of its own (dead worker, timeout, versions)."""
    return {**base_row(point, worker), "status": "failed", "reason": reason, "seconds": None}


def _timeout_reason(seconds: float) -> str:
    return f"timeout: still running after --point-timeout {seconds:g} s, stopped"


class Executor:
    """Runs `task(point, run)` for many points; use as a context manager (entering checks that
    every worker runs the coordinator's versions)."""

    name = "executor"
    point_timeout: float | None = None

    def __enter__(self) -> "Executor":
        try:
            self.check_versions()
        except BaseException:
            self.close(abort=True)
            raise
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(abort=exc_type is not None)

    def check_versions(self) -> None:
        """BadInput when a worker's worker_versions() differ from the coordinator's."""

    def close(self, abort: bool = False) -> None:
        """Stop the workers; `abort` (an error or Ctrl-C in the coordinator): at once, dropping work."""

    def run(self, task: Task, items: Iterable[tuple[dict, Callable]]) -> Iterator[tuple[dict, dict]]:
        raise NotImplementedError


# ---------------------------------------------------------------- local process pool

@contextmanager
def _worker_threads(threads: int):
    """Spawned workers start with `threads` BLAS/OpenMP/torch threads each (smatrix.threads)."""
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update({k: str(threads) for k in THREAD_ENV})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _sigint_blocked():
    """Workers are born with SIGINT blocked (the mask survives fork + exec), so a Ctrl-C that
    reaches the process group while one is still starting up cannot kill it mid-import; the
    initializer then ignores SIGINT for good. A Ctrl-C meanwhile reaches the coordinator after."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """Worker side: exit as soon as the coordinator is gone (the worker is re-parented)."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


def _worker_init(parent: int) -> None:
    """Each pool worker: Ctrl-C is the coordinator's business (no traceback from every worker), and
    a thread ends the worker when the coordinator dies (SIGKILL included: no orphans)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="smatrix-parent-watch", daemon=True).start()


def _serve(conn, parent: int) -> None:
    """A pool worker's loop: (function, args) in, ('ok', value) or ('error', text) out; None ends it."""
    _worker_init(parent)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args = job
        try:
            out = ("ok", fn(*args))
        except Exception as exc:  # noqa: BLE001 — reported to the coordinator as the point's failure
            out = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(out)
        except Exception as exc:  # noqa: BLE001 — an unpicklable result
            conn.send(("error", f"result could not be sent: {type(exc).__name__}: {exc}"))


@dataclass(eq=False)
class _Proc:
    """One pool worker: its process and the coordinator's end of its pipe."""
    process: Any
    conn: Any
    job: tuple[dict, float] | None = field(default=None)    # (point, monotonic start) while busy

    @property
    def ident(self) -> str:
        return f"{socket.gethostname()}:{self.process.pid}"

    def stop(self) -> None:
        """End the process (SIGTERM, SIGKILL after 5 s) and close its pipe."""
        self.process.terminate()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalExecutor(Executor):
    """A pool of spawned worker processes, one point at a time each (spawn: no inherited threads
    or file handles; workers exit when the coordinator dies). A point past `point_timeout`
    seconds is stopped with its process, which a fresh one replaces."""

    def __init__(self, workers: int, threads: int | None = None, point_timeout: float | None = None):
        import multiprocessing as mp
        self.workers = workers
        self.threads = choose_threads(threads, workers)   # cores // workers unless overridden
        self.point_timeout = point_timeout
        self.name = (f"local ({workers} process{'es' if workers > 1 else ''}, "
                     f"{self.threads} thread{'s' if self.threads > 1 else ''} each)")
        self._ctx = mp.get_context("spawn")
        self._idle: list[_Proc] = []
        self._busy: list[_Proc] = []
        self._expected = worker_versions()

    def _spawn(self) -> _Proc:
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(theirs, os.getpid()), name="smatrix-worker")
        with _worker_threads(self.threads), _sigint_blocked():
            process.start()
        theirs.close()
        return _Proc(process, ours)

    def check_versions(self) -> None:
        while len(self._idle) < self.workers:
            self._idle.append(self._spawn())
        reports = {}
        for proc in self._idle:
            proc.conn.send((worker_report, ()))
        for proc in self._idle:
            try:
                kind, report = proc.conn.recv()
            except (EOFError, OSError):
                kind, report = "error", "it died"
            if kind != "ok":
                raise BadInput(f"local worker {proc.ident} could not report its versions: {report}")
            reports[proc.ident] = report
        check_agreement(self._expected, reports)

    def close(self, abort: bool = False) -> None:
        for proc in self._idle:
            try:
                proc.conn.send(None)
            except OSError:
                pass
        for proc in self._busy + (self._idle if abort else []):
            proc.process.terminate()          # a running point cannot be cancelled: end its process
        for proc in self._idle + self._busy:
            proc.process.join(5)
            proc.stop()
        self._idle, self._busy = [], []

    def run(self, task, items):
        """Run the items; a deque is consumed in place, so the caller may add items (at either
        end) while iterating: a slice chain's next link joins as soon as its previous one is out."""
        from multiprocessing.connection import wait
        queue = items if isinstance(items, deque) else deque(items)
        while queue or self._busy:
            while queue and len(self._busy) < self.workers:
                proc = self._idle.pop() if self._idle else self._spawn()
                point, fn = queue.popleft()
                try:
                    proc.conn.send((worker_task, (task, point, fn, self._expected)))
                except OSError as exc:
                    proc.stop()
                    yield point, lost_row(point, f"worker process died: {type(exc).__name__}: {exc}", proc.ident)
                    continue
                except Exception as exc:  # noqa: BLE001 — the point cannot be pickled (nothing was sent)
                    self._idle.append(proc)
                    yield point, lost_row(point, f"cannot send the point to a worker: {type(exc).__name__}: {exc}")
                    continue
                proc.job = (point, time.monotonic())
                self._busy.append(proc)
            if not self._busy:
                continue
            handles = {h: proc for proc in self._busy for h in (proc.conn, proc.process.sentinel)}
            ready = {id(handles[h]) for h in wait(list(handles), timeout=self._wait_s())}
            for proc in list(self._busy):
                point, started = proc.job
                if id(proc) in ready:
                    row = self._collect(proc, point)
                elif self.point_timeout is not None and time.monotonic() - started > self.point_timeout:
                    proc.stop()
                    row = lost_row(point, _timeout_reason(self.point_timeout), proc.ident)
                else:
                    continue
                self._busy.remove(proc)
                yield point, row

    def _collect(self, proc: _Proc, point: dict) -> dict:
        """The row a ready worker sent, or a 'failed' row when it died (it is then replaced)."""
        try:
            kind, value = proc.conn.recv()
        except (EOFError, OSError):
            proc.process.join(5)
            code = proc.process.exitcode
            proc.stop()
            return lost_row(point, f"worker process died (exit code {code})", proc.ident)
        proc.job = None
        self._idle.append(proc)
        return value if kind == "ok" else lost_row(point, value, proc.ident)

    def _wait_s(self) -> float | None:
        """Until the first running point reaches its timeout (None: no timeout)."""
        if self.point_timeout is None:
            return None
        now = time.monotonic()
        return max(0.0, min(started + self.point_timeout - now for _, started in (p.job for p in self._busy)))


# ---------------------------------------------------------------- Dask (address, scheduler file, SLURM)

def _dask_task(task: Task, point: dict, fn: Callable, expected: dict, topic: str | None, key: str) -> dict:
    """Runs on a Dask worker: tells the coordinator that the point starts (for its timeout), then
    worker_task."""
    if topic is not None:
        from distributed import get_worker
        get_worker().log_event(topic, {"key": key, "host_pid": worker_id()})   # ("worker": Dask adds its address)
    return worker_task(task, point, fn, expected)


class DaskExecutor(Executor):
    """Points as futures on a Dask distributed scheduler (a Client; `cluster`, when given, is
    closed with the executor). A point's timeout counts from its start on a worker; Dask cannot
    stop a running task, so the worker finishes it in the background and its result is dropped."""

    def __init__(self, client, name: str, point_timeout: float | None = None, cluster=None):
        self._client, self._cluster = client, cluster
        self.point_timeout = point_timeout
        self.name = name
        self._expected = worker_versions()

    def check_versions(self) -> None:
        reports = self._client.run(worker_report)
        if not reports:
            raise BadInput(f"{self.name}: no workers connected to the scheduler")
        check_agreement(self._expected, reports)

    def close(self, abort: bool = False) -> None:
        self._client.close()      # its futures (the points in flight) are released with it
        if self._cluster is not None:
            self._cluster.close()

    def run(self, task, items):
        from distributed import wait
        topic = f"smatrix-start-{uuid.uuid4().hex}" if self.point_timeout is not None else None
        started: dict[str, tuple[float, str]] = {}
        if topic is not None:       # receipt time on the coordinator's clock: no clock skew between hosts
            self._client.subscribe_topic(topic, lambda event: started.setdefault(
                event[1]["key"], (time.monotonic(), event[1]["host_pid"])))
        futures = {}
        for point, fn in items:
            key = f"smatrix-{point['method']}-{point['key']}-{time.time_ns()}"
            futures[self._client.submit(_dask_task, task, point, fn, self._expected, topic, key, key=key,
                                        pure=False)] = point
        pending = set(futures)
        try:
            while pending:
                try:
                    done, pending = wait(pending, timeout=self._wait_s(pending, started), return_when="FIRST_COMPLETED")
                except TimeoutError:
                    done = set()
                for fut in done:
                    yield futures[fut], self._row(fut, futures[fut], started)
                for fut in [f for f in pending if self._expired(f, started)]:
                    fut.cancel()
                    pending.discard(fut)
                    yield futures[fut], lost_row(futures[fut], _timeout_reason(self.point_timeout), started[fut.key][1])
        finally:
            if topic is not None:
                self._client.unsubscribe_topic(topic)

    @staticmethod
    def _row(fut, point: dict, started: dict) -> dict:
        try:
            return fut.result()
        except Exception as exc:  # noqa: BLE001 — KilledWorker, lost connection, …
            return lost_row(point, f"dask task failed: {type(exc).__name__}: {exc}", started.get(fut.key, (0, None))[1])

    def _expired(self, fut, started: dict) -> bool:
        return fut.key in started and time.monotonic() - started[fut.key][0] > self.point_timeout

    def _wait_s(self, pending: set, started: dict) -> float | None:
        """Until the first started point reaches its timeout; a second while none has started."""
        if self.point_timeout is None:
            return None
        now = time.monotonic()
        ends = [started[f.key][0] + self.point_timeout - now for f in pending if f.key in started]
        return max(0.05, min(ends + [1.0]))


def _client(**kwargs):
    try:
        from distributed import Client
    except ImportError:
        raise BadInput("`executor` dask/scheduler-file needs dask distributed: pip install "
                       "'smatrix-bootstrap[dask]'") from None
    return Client(timeout="20s", **kwargs)


def connect_dask(address: str, tls: bool = False, point_timeout: float | None = None) -> DaskExecutor:
    """A running scheduler at `address` (tcp:// or tls://, parse_executor)."""
    security = dask_security() if tls else None
    try:
        client = _client(address=address, security=security)
    except (OSError, TimeoutError) as exc:
        raise BadInput(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    return DaskExecutor(client, f"dask ({address}, {len(client.scheduler_info().get('workers', {}))} workers)",
                        point_timeout)


def connect_scheduler_file(path: str, insecure: bool = False, point_timeout: float | None = None) -> DaskExecutor:
    """The scheduler a Dask scheduler file names: tls:// with the certificates of dask_security,
    plain TCP on this machine, or to another one only when `insecure`."""
    try:
        address = json.loads(Path(path).read_text())["address"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"cannot read Dask scheduler file {path}: {type(exc).__name__}: {exc}") from None
    scheme, _, rest = str(address).partition("://")
    host = rest.rpartition(":")[0]
    if scheme not in ("tcp", "tls"):
        raise BadInput(f"Dask scheduler file {path}: address {address!r} is neither tcp:// nor tls://")
    if scheme == "tcp" and not insecure and not _is_loopback(host):
        raise BadInput(f"Dask scheduler file {path} names {address}: plain TCP to another machine (Dask moves "
                       "pickles); start the scheduler with TLS, or use scheduler-file+insecure:PATH on a network "
                       "you trust")
    security = dask_security() if scheme == "tls" else None
    try:
        client = _client(scheduler_file=path, security=security)
    except (OSError, TimeoutError) as exc:
        raise BadInput(f"cannot reach the Dask scheduler of {path} ({address}): {exc}") from None
    return DaskExecutor(client, f"dask ({address} from {path}, {len(client.scheduler_info().get('workers', {}))} "
                                "workers)", point_timeout)


@dataclass
class SlurmOptions:
    """A SLURM cluster for one scan (dask-jobqueue's SLURMCluster): `jobs` batch jobs of `cores`
    single-threaded worker processes each, sharing `memory`, for `walltime`."""
    jobs: int = 1
    cores: int = 1
    memory: str = "4GB"
    walltime: str = "01:00:00"
    queue: str | None = None
    account: str | None = None
    directives: tuple[str, ...] = ()           # more #SBATCH lines, e.g. "--constraint=haswell"
    shared_dir: str | None = None              # where the workers find this scan's TLS certificates
    start_timeout: float = 3600.0              # seconds to wait for the first worker (the queue)

    def validate(self) -> None:
        if self.jobs < 1 or self.cores < 1:
            raise BadInput(f"`slurm_jobs` and `slurm_cores` must be ≥ 1 (got {self.jobs}, {self.cores})")
        if not (self.start_timeout > 0):
            raise BadInput(f"`slurm_start_timeout` must be > 0 seconds, got {self.start_timeout}")

    def cluster_kwargs(self) -> dict[str, Any]:
        """The SLURMCluster arguments: TLS with certificates made for this scan (written to
        `shared_dir` for the jobs), one BLAS thread per worker process, no dashboard."""
        return {"cores": self.cores, "processes": self.cores, "memory": self.memory, "walltime": self.walltime,
                "queue": self.queue, "account": self.account, "job_extra_directives": list(self.directives),
                "job_script_prologue": [f"export {k}=1" for k in THREAD_ENV], "security": True,
                "shared_temp_directory": self.shared_dir or os.getcwd(), "name": "smatrix",
                "scheduler_options": {"dashboard_address": None}, "python": sys.executable}


def slurm_cluster(options: SlurmOptions, factory: Callable | None = None):
    """The (not yet scaled) cluster: `factory(**options.cluster_kwargs())`, dask-jobqueue's
    SLURMCluster unless another factory is given (tests inject a local one)."""
    options.validate()
    if factory is None:
        try:
            from dask_jobqueue import SLURMCluster
        except ImportError:
            raise BadInput("`executor` slurm needs dask-jobqueue: pip install 'smatrix-bootstrap[cluster]'") from None
        factory = SLURMCluster
    try:
        return factory(**options.cluster_kwargs())
    except ImportError as exc:        # TLS certificates for the scan need `cryptography`
        raise BadInput(f"`executor` slurm: {exc}; pip install 'smatrix-bootstrap[cluster]'") from None


def start_slurm(options: SlurmOptions, point_timeout: float | None = None,
                factory: Callable | None = None) -> DaskExecutor:
    """Submit the jobs, connect, and wait for the first worker (BadInput after start_timeout)."""
    cluster = slurm_cluster(options, factory)
    try:
        cluster.scale(jobs=options.jobs)
        client = _client(address=cluster)
        try:
            client.wait_for_workers(1, timeout=options.start_timeout)
        except TimeoutError:
            raise BadInput(f"no SLURM worker started within `slurm_start_timeout` {options.start_timeout:g} s "
                           "(jobs still queued? see squeue)") from None
    except BaseException:
        cluster.close()
        raise
    return DaskExecutor(client, f"slurm ({options.jobs} job{'s' if options.jobs > 1 else ''} × {options.cores} "
                                f"worker{'s' if options.cores > 1 else ''}, {options.walltime})", point_timeout,
                        cluster=cluster)


def make_executor(text: str, threads: int | None = None, point_timeout: float | None = None,
                  slurm: SlurmOptions | None = None) -> Executor:
    """The executor an --executor address names (parse_executor)."""
    if point_timeout is not None and not point_timeout > 0:
        raise BadInput(f"`point_timeout` must be > 0 seconds, got {point_timeout}")
    kind, arg = parse_executor(text)
    if kind == "local":
        return LocalExecutor(arg, threads, point_timeout)
    if kind == "scheduler-file":
        return connect_scheduler_file(*arg, point_timeout=point_timeout)
    if kind == "slurm":
        return start_slurm(slurm or SlurmOptions(), point_timeout)
    return connect_dask(*arg, point_timeout=point_timeout)


# ---------------------------------------------------------------- progress

def progress_bar(total: int, enabled: bool, desc: str):
    """Progress over points on stderr: a tqdm bar on a terminal, else (logs, pipes, batch jobs) one
    line per finished point; a no-op object when disabled."""
    from tqdm import tqdm
    if enabled and total and not sys.stderr.isatty():
        return _LineProgress(total, desc)
    return tqdm(total=total, desc=desc, unit="pt", file=sys.stderr, disable=not enabled or total == 0,
                dynamic_ncols=True, leave=False)


class _LineProgress:
    """The tqdm calls the scan makes (set_postfix_str, update), as one flushed line per point."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.n, self.text, self.t0 = total, desc, 0, "", time.perf_counter()

    def __enter__(self) -> "_LineProgress":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        self.text = text

    def update(self, n: int = 1) -> None:
        if n <= 0:            # the scan's bookkeeping calls (points reused or claimed elsewhere: none)
            return
        self.n += n
        print(f"{self.desc}: {self.n}/{self.total} [{time.perf_counter() - self.t0:.0f} s] {self.text}",
              file=sys.stderr, flush=True)
