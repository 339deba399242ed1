"""Amplitude analysis: the resonance zero of the max-c0 amplitude (argument principle), phase
shifts at threshold, and the spin-2 unitarity violation of the zero-ddisc model."""
import numpy as np
import pytest

from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.analysis import phase_shift, s0_zeros, spin2_violation


@pytest.fixture(scope="module")
def tip():
    return solve_grid("max-c0", None, GridConfig(nodes=200, spline=True, rounds=0)).amplitude


def test_max_c0_amplitude_has_one_narrow_resonance_zero(tip):
    zeros = s0_zeros(tip, 4.05, 8.0)
    assert len(zeros) == 1
    z = zeros[0]
    assert 4.8 < z.s.real < 5.1 and 0 < z.s.imag < 0.3       # near the phase winding of docs/dual.md
    assert z.abs_S0 < 1e-10 and z.winding == 1


def test_phase_shift_and_spin2(tip):
    # singular threshold S0(4) = −1: δ0 → π/2 (mod π); the narrow resonance makes δ0 rise steeply
    # (measured: 0.48π at s = 4.6, 1.26π at 5.5 on top of a slowly falling background)
    s = 4.0 + np.geomspace(1e-8, 16.0, 800)          # dense: the unwrapping follows the phase
    full = phase_shift(tip, s)
    d = np.interp([4.0 + 1e-8, 4.6, 5.5, 20.0], s, full)
    assert abs(np.cos(d[0])) < 1e-3
    assert d[2] - d[1] > 0.6 * np.pi and d[3] < d[2]
    v = spin2_violation(tip, [5.0, 10.0, 100.0])
    assert np.all(v >= 0) and np.max(v) > 1e-4               # eq. (13): f2 ≠ 0 violates |S2| ≤ 1
