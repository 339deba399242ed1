"""Where the points of a scan run: a local process pool (default) or a Dask distributed cluster.

Both yield (point, row) pairs as points finish, in completion order; the coordinator records
each row in the store at once, so a killed scan loses at most the points in flight. A task never
raises (crosscheck.points.compute_point); a worker that dies takes its points with it, and those
are returned as 'failed' rows with the reason.

    local            a pool of spawned processes, one per core (each single-threaded: BLAS/OpenMP/torch)
    local:N          N worker processes
    dask://HOST:PORT a running Dask scheduler (tcp://HOST:PORT); its workers need this package
                     installed; the store stays with the coordinator (workers never touch it)
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from smatrix.errors import BadInput

Task = Callable[[dict, Callable], dict]
_SINGLE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_executor(text: str) -> tuple[str, Any]:
    """'local' | 'local:N' | 'dask://HOST:PORT' → (kind, workers or address)."""
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
    if text.startswith("dask://"):
        host, _, port = text[7:].rpartition(":")
        if not host or not port.isdigit():
            raise BadInput(f"--executor {text!r}: expected dask://HOST:PORT (a running Dask scheduler)")
        return "dask", f"tcp://{host}:{port}"
    raise BadInput(f"unknown --executor {text!r}: local, local:N or dask://HOST:PORT")


class Executor:
    """Runs `task(point, run)` for many points; use as a context manager."""

    name = "executor"

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def run(self, task: Task, items: Iterable[tuple[dict, Callable]]) -> Iterator[tuple[dict, dict]]:
        raise NotImplementedError


@contextmanager
def _single_threaded_children():
    """Spawned workers inherit one BLAS/OpenMP/torch thread each (N workers on N cores)."""
    saved = {k: os.environ.get(k) for k in _SINGLE_THREAD_ENV}
    os.environ.update({k: "1" for k in _SINGLE_THREAD_ENV})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class LocalExecutor(Executor):
    """A pool of spawned worker processes (spawn: no inherited threads or file handles; workers
    exit when the coordinator dies)."""

    def __init__(self, workers: int):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        self.workers = workers
        self.name = f"local ({workers} process{'es' if workers > 1 else ''})"
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, task, items):
        from concurrent.futures import as_completed
        with _single_threaded_children():  # workers are spawned on submission
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

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise BadInput("--executor dask://… needs dask distributed: pip install 'smatrix-bootstrap[dask]'") from None
        try:
            self._client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BadInput(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.name = f"dask ({address}, {len(self._client.scheduler_info().get('workers', {}))} workers)"

    def close(self) -> None:
        self._client.close()

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


def make_executor(text: str) -> Executor:
    kind, arg = parse_executor(text)
    return LocalExecutor(arg) if kind == "local" else DaskExecutor(arg)


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
        self.n += n
        print(f"{self.desc}: {self.n}/{self.total} [{time.perf_counter() - self.t0:.0f} s] {self.text}",
              file=sys.stderr, flush=True)
