"""Where the points of a scan run: a local process pool (default) or a Dask distributed cluster.

Both yield (point, row) pairs as points finish, in completion order; the coordinator records
each row in the store at once, so a killed scan loses at most the points in flight. A task never
raises (smatrix.crosscheck.points.compute_point); a worker that dies takes its points with it, and those
are returned as 'failed' rows with the reason.

    local                   a pool of spawned processes, one per core (each with cores // workers
                            BLAS/OpenMP/torch threads, i.e. one; --threads overrides); workers
                            ignore Ctrl-C (the coordinator handles it)
                            and exit within a second when the coordinator dies, even by SIGKILL
    local:N                 N worker processes
    dask+tls://HOST:PORT    a running Dask scheduler over TLS with mutual authentication
    (or tls://HOST:PORT)    (distributed.Security): CA, client certificate and key from
                            $SMATRIX_DASK_TLS_CA, $SMATRIX_DASK_TLS_CERT, $SMATRIX_DASK_TLS_KEY or
                            from Dask's own configuration (distributed.comm.tls.*)
    dask://HOST:PORT        plain TCP: accepted for this machine (localhost, 127.x, ::1) only
    dask+insecure://HOST:PORT  plain TCP to another machine, asked for explicitly

Dask moves pickles between the coordinator, the scheduler and the workers: whoever can reach the
scheduler can run code on the workers and send crafted results back. Use TLS on any network you
do not control entirely; the store stays with the coordinator (workers never touch it).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from smatrix.errors import BadInput
from smatrix.threads import THREAD_ENV, choose_threads

Task = Callable[[dict, Callable], dict]


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
TLS_ENV = {"ca": "SMATRIX_DASK_TLS_CA", "cert": "SMATRIX_DASK_TLS_CERT", "key": "SMATRIX_DASK_TLS_KEY"}


def parse_executor(text: str) -> tuple[str, Any]:
    """'local' | 'local:N' | 'dask[+tls|+insecure]://HOST:PORT' | 'tls://HOST:PORT' → (kind, workers or
    (address, tls)); plain TCP to another machine is refused unless asked for with dask+insecure://."""
    if text == "local":
        return "local", os.cpu_count() or 1
    if text.startswith("local:"):
        try:
            n = int(text[6:])
        except ValueError:
            n = 0
        if n < 1:
            raise BadInput(f"--executor {text!r}: expected local:N with N ≥ 1 workers")
        return "local", n
    scheme, sep, rest = text.partition("://")
    if sep and scheme in ("dask", "dask+tls", "tls", "dask+insecure"):
        host, _, port = rest.rpartition(":")
        if not host or not port.isdigit():
            raise BadInput(f"--executor {text!r}: expected {scheme}://HOST:PORT (a running Dask scheduler)")
        tls = scheme in ("dask+tls", "tls")
        if scheme == "dask" and not _is_loopback(host):
            raise BadInput(f"--executor {text!r}: plain TCP to another machine (Dask moves pickles: anyone on the "
                           f"path can run code on the workers); use dask+tls://{host}:{port} with "
                           f"${TLS_ENV['ca']}/${TLS_ENV['cert']}/${TLS_ENV['key']}, or dask+insecure://{host}:{port} "
                           "on a network you trust")
        return "dask", (f"{'tls' if tls else 'tcp'}://{host}:{port}", tls)
    raise BadInput(f"unknown --executor {text!r}: local, local:N, dask+tls://HOST:PORT or dask://localhost:PORT")


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


class Executor:
    """Runs `task(point, run)` for many points; use as a context manager."""

    name = "executor"

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(abort=exc_type is not None)

    def close(self, abort: bool = False) -> None:
        """Stop the workers; `abort` (an error or Ctrl-C in the coordinator): at once, dropping work."""

    def run(self, task: Task, items: Iterable[tuple[dict, Callable]]) -> Iterator[tuple[dict, dict]]:
        raise NotImplementedError


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


class LocalExecutor(Executor):
    """A pool of spawned worker processes (spawn: no inherited threads or file handles; workers
    exit when the coordinator dies)."""

    def __init__(self, workers: int, threads: int | None = None):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        self.workers = workers
        self.threads = choose_threads(threads, workers)   # cores // workers unless overridden
        self.name = (f"local ({workers} process{'es' if workers > 1 else ''}, "
                     f"{self.threads} thread{'s' if self.threads > 1 else ''} each)")
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                         initializer=_worker_init, initargs=(os.getpid(),))

    def close(self, abort: bool = False) -> None:
        if not abort:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:          # running tasks are not cancellable: end their processes
            proc.terminate()
        for proc in processes:
            proc.join(5)

    def run(self, task, items):
        from concurrent.futures import as_completed
        with _worker_threads(self.threads), _sigint_blocked():  # workers are spawned on submission
            futures = {self._pool.submit(task, point, fn): point for point, fn in items}
        for fut in as_completed(futures):
            point = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 — a dead worker (BrokenProcessPool) or unpicklable result
                row = _lost(point, f"worker process died: {type(exc).__name__}: {exc}")
            yield point, row


class DaskExecutor(Executor):
    """Points as futures on a Dask distributed scheduler."""

    def __init__(self, address: str, tls: bool = False):
        try:
            from distributed import Client
        except ImportError:
            raise BadInput("--executor dask://… needs dask distributed: pip install 'smatrix-bootstrap[dask]'") from None
        security = dask_security() if tls else None
        try:
            self._client = Client(address, timeout="20s", security=security)
        except (OSError, TimeoutError) as exc:
            raise BadInput(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.name = f"dask ({address}, {len(self._client.scheduler_info().get('workers', {}))} workers)"

    def close(self, abort: bool = False) -> None:
        self._client.close()      # its futures (the points in flight) are released with it

    def run(self, task, items):
        from distributed import as_completed
        futures = {}
        for point, fn in items:
            fut = self._client.submit(task, point, fn, key=f"smatrix-{point['method']}-{point['key']}-{time.time_ns()}",
                                      pure=False)
            futures[fut] = point
        for fut in as_completed(list(futures)):
            point = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 — KilledWorker, lost connection, …
                row = _lost(point, f"dask task failed: {type(exc).__name__}: {exc}")
            yield point, row


def make_executor(text: str, threads: int | None = None) -> Executor:
    kind, arg = parse_executor(text)
    return LocalExecutor(arg, threads) if kind == "local" else DaskExecutor(*arg)


def _lost(point: dict, reason: str) -> dict:
    return {**{k: point[k] for k in ("method", "key", "objective", "c0", "spec")}, "status": "failed",
            "reason": reason, "seconds": None}


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
