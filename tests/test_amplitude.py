"""Amplitudes: closed forms vs direct projection, sum rules vs derivatives, crossing symmetry."""
import numpy as np
import pytest
from scipy.integrate import quad

from smatrix.amplitude import SpectralAmplitude, WaveletAmplitude
from smatrix.dispersion import spectral_grid
from smatrix.partial_waves import project
from smatrix.grids import wavelet_centres
from smatrix.wavelets import rho_wavelet


@pytest.fixture(scope="module")
def wavelet_amp():
    rng = np.random.default_rng(7)
    c = wavelet_centres(5)
    return WaveletAmplitude(c, 0.4, rng.normal(size=c.size), beta=2.5)


@pytest.fixture(scope="module")
def spectral_amp():
    g = spectral_grid(120)
    s = g.nodes
    h = 1.2 + 0.3 * np.exp(-((np.log(s - 4 + 1e-300) - 1.0) ** 2) / 8)
    h[-1] = 0.0
    return SpectralAmplitude(3.0, g, h)


def _fd_c2(amp):
    e = 1e-2
    T = lambda s: complex(np.asarray(amp.T(np.array([s]), np.array([4 / 3]))).ravel()[0]).real
    # 4th-order central second difference
    d2 = (-T(4 / 3 + 2 * e) + 16 * T(4 / 3 + e) - 30 * T(4 / 3) + 16 * T(4 / 3 - e) - T(4 / 3 - 2 * e)) / (12 * e * e)
    return d2 / 4


@pytest.mark.parametrize("which", ["wavelet_amp", "spectral_amp"])
def test_f0_closed_form_equals_direct_projection(which, request):
    amp = request.getfixturevalue(which)
    s = np.array([4.01, 4.7, 30.0, 2e3, 1e7])
    direct = project(lambda s, t: np.asarray(amp.T(s, t), dtype=complex), 0, s)
    np.testing.assert_allclose(amp.f0(s).astype(complex), direct, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("which", ["wavelet_amp", "spectral_amp"])
def test_taylor_c0_c2_against_derivatives(which, request):
    amp = request.getfixturevalue(which)
    t0 = complex(np.asarray(amp.T(np.array([4 / 3]), np.array([4 / 3]))).ravel()[0])
    assert t0.real == pytest.approx(amp.c0, rel=1e-12)
    assert amp.c2 == pytest.approx(_fd_c2(amp), rel=1e-6)


@pytest.mark.parametrize("which", ["wavelet_amp", "spectral_amp"])
def test_crossing_symmetry(which, request, rng):
    amp = request.getfixturevalue(which)
    s, t = rng.uniform(-6, 3.9, 6), rng.uniform(-6, 3.9, 6)
    u = 4 - s - t
    base = np.asarray(amp.T(s, t), dtype=complex)
    for a, b in ((t, s), (s, u), (u, t)):
        np.testing.assert_allclose(np.asarray(amp.T(a, b), dtype=complex), base, rtol=1e-11)


def test_wavelet_sum_rule_equals_uv_condition():
    """With α0 = 3Σα (T → 0 at infinity) the sum rule (24) c0 = (3/π)∫Im T/(s−4/3) holds."""
    c = wavelet_centres(3)
    alpha = np.array([0.3, -0.2, 0.5, 0.1, 0.7][: c.size])
    amp = WaveletAmplitude(c, 3 * alpha.sum(), alpha, beta=1.3)
    f = lambda y: float(amp.spectral_density(np.array([4 + y * y]))[0]) / (4 + y * y - 4 / 3) * 2 * y
    sum_rule = 3 / np.pi * quad(f, 0, np.inf, limit=400, epsabs=0, epsrel=1e-11)[0]
    assert sum_rule == pytest.approx(amp.c0, rel=1e-8)


def test_spectral_c2_sum_rule_is_the_taylor_coefficient(spectral_amp):
    # eq. (27) as an explicit integral of ρ against 1/(s−4/3)³
    f = lambda y: float(spectral_amp.spectral_density(np.array([4 + y * y]))[0]) / (4 + y * y - 4 / 3) ** 3 * 2 * y
    ys = np.sqrt(spectral_amp.grid.nodes - 4)
    val = sum(quad(f, a, b, epsrel=1e-12)[0] for a, b in zip(ys[:-1], ys[1:])) / np.pi
    assert val == pytest.approx(spectral_amp.c2, rel=1e-9)


def test_s_channel_term_projects_on_spin_zero_only():
    """ρ_σ(s) alone is angle independent: f_J = 0 for J ≥ 2; ρ_σ(t) + ρ_σ(u) feeds J = 2."""
    c = np.array([9.0])
    amp = WaveletAmplitude(c, 0.0, np.array([1.0]))
    s = np.array([7.0, 300.0])
    s_only = lambda s, t: np.asarray(rho_wavelet(9.0, s), dtype=complex)
    assert np.max(np.abs(project(s_only, 2, s))) < 1e-13
    # t + u channels: f_2 = (1/16π) ∫_0^1 P_2(z) [ρ(t) + ρ(u)]/2·2 dz, by scipy quad
    for sk, f2 in zip(s, amp.f(2, s)):
        t = lambda z: -0.5 * (sk - 4) * (1 - z)
        g = lambda z: 0.5 * (3 * z * z - 1) * (rho_wavelet(9.0, np.array([t(z)])).real[0]
                                               + rho_wavelet(9.0, np.array([4 - sk - t(z)])).real[0])
        ref = quad(g, -1, 1, epsabs=0, epsrel=1e-12, limit=200)[0] / (32 * np.pi)
        assert f2.real == pytest.approx(ref, rel=1e-9) and abs(ref) > 1e-6


def test_free_theory_is_unitary():
    amp = WaveletAmplitude(wavelet_centres(2), 0.0, np.zeros(wavelet_centres(2).size))
    np.testing.assert_allclose(np.abs(amp.S(0, np.array([4.5, 100.0]))), 1.0)
