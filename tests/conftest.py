"""Shared fixtures. Under pytest-xdist (the default addopts: two worker processes) each worker runs
one BLAS/OpenMP/torch thread, so the workers share the cores without oversubscription
(smatrix.threads, docs/threads.md); set before numpy, scipy or torch load (smatrix.threads
imports none of them)."""
import os

from smatrix.threads import apply_threads

if os.environ.get("PYTEST_XDIST_WORKER"):
    apply_threads(1)

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)
