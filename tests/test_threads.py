"""Thread counts (smatrix.threads): cores shared among workers, the override, torch follows."""
import os
import subprocess
import sys

import pytest

from smatrix.threads import THREAD_ENV, apply_threads, choose_threads, free_cores, threads_per_worker, usable_cores


def test_workers_share_the_cores():
    assert threads_per_worker(2, cores=2) == 1 and threads_per_worker(3, cores=16) == 5
    assert threads_per_worker(8, cores=2) == 1
    with pytest.raises(ValueError):
        threads_per_worker(0)
    assert 1 <= free_cores() <= usable_cores()


def test_override_and_user_environment(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert choose_threads(3) == 3 and choose_threads() == 4 and choose_threads(workers=2) == 2
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert choose_threads(workers=usable_cores()) == 1


def test_cli_threads_reach_torch_and_blas_env():
    """The CLI sets the count before torch loads: the neural dual's process runs with it."""
    code = ("import sys, os; from smatrix import cli; "
            "sys.argv = ['smatrix']; from smatrix.threads import apply_threads; apply_threads(1); "
            "import torch; print(torch.get_num_threads(), os.environ['OPENBLAS_NUM_THREADS'])")
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["1", "1"], out.stderr   # torch would take every core
    with pytest.raises(ValueError):
        apply_threads(0)
