"""Optical defect Σ_J (2J+1) η_J(s) from T without projection (smatrix.optical): exact trees,
unitary partial-wave sums, the φ³ tree against independent (Legendre-Q) partial waves, the spin-0
term against the spin-0 certificate, and the all-spin row of the full-model certificate."""
import math

import mpmath
import numpy as np
import pytest

from smatrix.certify import certify_spin0, dense_check_points
from smatrix.kinematics import phase_space
from smatrix.optical import optical_defect, spin_sum
from smatrix.partial_waves import project
from smatrix.quadrature import PROJECTION_RULE
from smatrix.simple_amplitudes import PartialWaveSum, Phi3Tree, Phi4Tree

S_POINTS = np.array([4.0 + 1e-9, 4.001, 4.5, 7.0, 20.0, 1e3, 1e6, 1e12])


def test_phi4_tree_defect_is_minus_rho2_lambda2_over_256pi2():
    lam = 2.7
    D = optical_defect(Phi4Tree(lam), S_POINTS)
    exact = -phase_space(S_POINTS) ** 2 * lam**2 / (256 * math.pi**2)
    assert np.max(np.abs(D.total - exact)) < 1e-12
    assert np.all(D.forward == 0)


def test_unitary_partial_wave_sum_has_zero_defect_and_inelastic_one_its_sum(rng):
    spins = range(0, 15, 2)
    phases = {J: np.exp(2j * rng.uniform(0, math.pi)) for J in spins}
    s = S_POINTS[2:6]
    D = optical_defect(PartialWaveSum(phases), s, jmax=14)
    assert np.max(np.abs(D.total)) < 1e-12
    assert np.max(np.abs(D.tail)) < 1e-12
    # |S_J|² = 1 − η_J chosen: the defect is Σ(2J+1)η_J with no projection
    eta = {J: rng.uniform(0, 0.5) for J in spins}
    inel = PartialWaveSum({J: math.sqrt(1 - eta[J]) * phases[J] for J in spins})
    want = sum((2 * J + 1) * eta[J] for J in spins)
    assert np.max(np.abs(optical_defect(inel, s).total - want)) < 1e-11


def _phi3_wave(J: int, s: float, g2: float) -> float:
    """f_J of the φ³ tree in closed form: ∫P_J(z)/(t − 1) dz = −(4/(s−4)) Q_J(z0), z0 = 1 + 2/(s−4)."""
    q = float(mpmath.legenq(J, 0, 1 + 2 / (s - 4), type=3).real)
    return -g2 / (32 * math.pi) * (2 * (J == 0) / (s - 1) - (1 + (-1) ** J) * 4 / (s - 4) * q)


@pytest.mark.parametrize("s", [4.05, 5.0, 8.0, 12.0])
def test_phi3_tree_equals_sum_of_independent_partial_waves(s):
    g = 3.0
    ref = sum((2 * J + 1) * -(phase_space(s) ** 2) * _phi3_wave(J, s, g * g) ** 2 for J in range(0, 25, 2))
    D = optical_defect(Phi3Tree(g), [s], jmax=24)
    assert abs(D.total[0] - ref) < 1e-9 * abs(ref)
    assert abs(D.tail[0]) < 1e-9 * abs(ref)  # nothing left above J = 24 at these energies
    # the amplitude's own projections agree with the closed form
    for J in (0, 2, 8):
        assert abs(Phi3Tree(g).f(J, s)[0] - _phi3_wave(J, s, g * g)) < 1e-13


@pytest.mark.parametrize("s", [3e4, 1e7])
def test_high_spin_waves_are_resolved_by_their_projection_rule(s):
    """f_J of the φ³ tree against Legendre Q for J up to 200 (the all-spin row traces that far):
    projection_rule(J) to ≤ 1e-7 relative; the default rule alone is off by up to 5e-2 at J = 200,
    so the test sees the rule. The full amplitude's waves use the same rule (and the recurrence
    for P_J agrees with scipy's)."""
    from scipy.special import eval_legendre

    from smatrix.partial_waves import legendre
    from smatrix.quadrature import angular_rule
    from smatrix.kinematics import t_of_z
    tree = Phi3Tree(1.0)
    for J in (100, 160, 200):
        exact = _phi3_wave(J, s, 1.0)
        assert abs(tree.f(J, s)[0] - exact) < 1e-7 * abs(exact)
        z, w = angular_rule(s, PROJECTION_RULE)
        default = np.sum(w[0] * eval_legendre(J, z[0]) * tree.T(s, t_of_z(s, z[0]))) / (16 * math.pi)
        assert J < 160 or abs(default - exact) > 1e-5 * abs(exact)
    z = np.linspace(-1, 1, 2001)
    assert np.max(np.abs(legendre([66, 130, 200], z) - [eval_legendre(J, z) for J in (66, 130, 200)])) < 1e-12


@pytest.fixture(scope="module")
def zero_ddisc_max():
    from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet
    return solve_wavelet("max-c0", None, WaveletConfig(nmax=6, grid=100))


def test_spin0_term_agrees_with_spin0_certificate(zero_ddisc_max):
    amp = zero_ddisc_max.amplitude
    imposed = np.geomspace(4.01, 1e4, 30)
    s = dense_check_points(imposed, 2)
    cert = certify_spin0(amp, imposed, factor=2)
    D = optical_defect(amp, s, jmax=2, rule=PROJECTION_RULE, crossing_symmetric=True)
    eta0 = D.eta[0]
    assert abs(max(-np.min(eta0), 0.0) - cert.max_unitarity_violation) < 1e-12
    # η0 from the closed-form f0 vs a direct projection of T: the defect's inputs are consistent
    eta0_direct = 1 - np.abs(1 + 1j * phase_space(s) * project(amp.T, 0, s)) ** 2
    assert np.max(np.abs(eta0 - eta0_direct)[s < 1e8]) < 1e-7
    # the tail is the total minus the spins it names
    assert np.allclose(D.tail, D.total - spin_sum([0, 2], D.eta))


def test_all_spin_row_traces_a_negative_tail_to_the_waves_above_the_checked_spins():
    """Per-wave checks up to J = 20 pass. A super-unitary J = 30 wave shows only in the tail and is
    traced to J = 30 (fails); many waves J = 22…60 each 5e-7 over unitarity give a tail far below
    −tolerance, yet every wave is within tolerance (passes: the sum alone proves no per-wave excess)."""
    from smatrix.optical import all_spin_check
    waves = {J: np.exp(0.3j * (J + 1)) for J in range(0, 21, 2)}
    s = np.geomspace(4.5, 1e3, 20)
    spins = list(range(0, 21, 2))
    ok = PartialWaveSum(waves)
    eta = np.array([1 - np.abs(ok.S(J, s)) ** 2 for J in spins])
    row = all_spin_check(ok, s, spins, eta, 1e-6)
    assert row["passed"] and row["traced"] is None
    bad = all_spin_check(PartialWaveSum({**waves, 30: 1.001}), s, spins, eta, 1e-6)
    assert abs(bad["min_tail"] + 61 * (1.001**2 - 1)) < 1e-9
    assert not bad["passed"] and bad["traced"]["spin"] == 30
    assert abs(bad["traced"]["max_violation"] - (1.001**2 - 1)) < 1e-12
    many = {**waves, **{J: math.sqrt(1 + 5e-7) for J in range(22, 61, 2)}}
    within = all_spin_check(PartialWaveSum(many), s, spins, eta, 1e-6)
    assert within["min_tail"] < -1e-4 and within["passed"]
    assert within["traced"]["max_violation"] < 1e-6 and within["traced"]["spins_up_to"] == 60


def test_full_max_c0_certificate_carries_the_all_spin_row():
    """The elastic maximum (Nmax 6): D(s) ≥ 0 on every check point; the tail above J = 20 it
    reports equals Σ_{22 ≤ J ≤ 120} (2J+1) η_J from the amplitude's own partial waves."""
    from smatrix.sdp.full_wavelet import FullConfig, solve_full
    res = solve_full("max-c0", None, FullConfig(nmax=6))
    row = res.certificate["all_spin"]
    assert res.certified and row["passed"] and row["tail_above_spin"] == 20
    assert row["min_defect"] > 0 and row["min_tail"] > -1e-6
    amp = res.amplitude
    s = np.array([row["worst_s_tail"], 100.0, 300.0])
    total = optical_defect(amp, s).total
    high = list(range(22, 121, 2))
    eta = 1 - np.abs(1 + 1j * phase_space(s) * amp.partial_waves(s, list(range(0, 21, 2)))) ** 2
    eta_high = 1 - np.abs(1 + 1j * phase_space(s) * amp.partial_waves(s, high)) ** 2
    tail = total - spin_sum(range(0, 21, 2), eta)
    assert np.max(np.abs(tail - spin_sum(high, eta_high))) < 1e-11
    assert abs(tail[0] - row["min_tail"]) < 1e-12


def test_crosscheck_all_spin_row_on_a_zero_ddisc_amplitude(zero_ddisc_max):
    """The report row: spin 0 is all the zero-ddisc model imposes; the tail D − η0 it reports is
    Σ_{J ≥ 2} (2J+1) η_J of direct projections, and is negative (higher waves super-unitary)."""
    from smatrix.crosscheck.points import all_spin_row
    from smatrix.crosscheck.report import all_spin_lines
    amp = zero_ddisc_max.amplitude
    row = all_spin_row(amp)
    assert not row["passed"] and row["min_tail"] < -1e-4
    s = row["worst_s_tail"]
    eta = [1 - abs(1 + 1j * phase_space(s) * project(amp.T, J, s)[0]) ** 2 for J in range(2, 41, 2)]
    assert abs(spin_sum(range(2, 41, 2), np.array(eta)[:, None])[0] - row["min_tail"]) < 1e-6 * abs(row["min_tail"])
    lines = all_spin_lines({"points": [{"method": "primal-wavelet", "result": {"all_spin": row}}]})
    assert any(line.startswith("| primal-wavelet | 1 |") and line.endswith("| 1 |") for line in lines)
