"""Thread counts set deliberately (issue 19): BLAS/OpenMP and torch intra-op threads competing
with other work on a few shared cores slowed the neural dual 27× (699 s against 26 s with one
thread on 2 busy cores).

- a single run uses the cores that are free: usable cores minus the current load (at least 1);
- each of N worker processes gets cores // N threads;
- `--threads N` overrides both (and OMP_NUM_THREADS set by the user is respected).

`apply_threads` sets the environment (read by BLAS/OpenMP when they load, and inherited by worker
processes) and torch's intra-op pool if torch is already loaded; the CLI calls it before numpy,
scipy or torch are imported, so every library starts with the chosen count.
"""
from __future__ import annotations

import os
import sys

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def free_cores() -> int:
    """Usable cores not taken by the current load (1-minute load average), at least 1."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return max(1, min(usable_cores(), int(usable_cores() - load + 0.5)))


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """cores // workers (at least 1): N worker processes share the cores without oversubscription."""
    if workers < 1:
        raise ValueError(f"need ≥ 1 worker, got {workers}")
    return max(1, (usable_cores() if cores is None else cores) // workers)


def apply_threads(threads: int) -> int:
    """Use `threads` BLAS/OpenMP/torch threads in this process and its children; returns it."""
    if threads < 1:
        raise ValueError(f"`threads` must be ≥ 1, got {threads}")
    os.environ.update({k: str(threads) for k in THREAD_ENV})
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return threads


def choose_threads(override: int | None = None, workers: int | None = None) -> int:
    """The count for this run: `override`, else OMP_NUM_THREADS when the user set it, else
    cores // workers for a pool of `workers` processes, else the free cores."""
    if override is not None:
        return override
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) >= 1:
        return int(env) if not workers else max(1, int(env) // workers)
    return threads_per_worker(workers) if workers else free_cores()


__all__ = ["THREAD_ENV", "apply_threads", "choose_threads", "free_cores", "threads_per_worker", "usable_cores"]
