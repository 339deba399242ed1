"""Shared fixtures. Under pytest-xdist (`-n 2`, the default addopts) each worker process runs one
BLAS/OpenMP/torch thread, so the workers share the cores without oversubscription (docs/threads.md);
the variables are set before numpy, scipy or torch load."""
import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_name] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)
