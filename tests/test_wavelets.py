"""Wavelet centres (P2 Table 4), the unitarity grid (eq. 92) and the ρ-map (eqs. 64, 91)."""
import numpy as np
import pytest

from smatrix.grids import MOTHER_CENTRE, unitarity_grid, wavelet_centres
from smatrix.wavelets import rho_wavelet, rho_wavelet_derivative, threshold_term, threshold_term_derivative

# P2 Table 4: first and last three centres
TABLE4 = {
    8: ([4.00599, 4.00955, 4.0162], [443.027, 748.304, 1190.86]),
    9: ([4.00394, 4.00599, 4.00955], [748.304, 1190.86, 1806.9]),
    10: ([4.0027, 4.00394, 4.00599], [1190.86, 1806.9, 2636.9]),
    11: ([4.00191, 4.0027, 4.00394], [1806.9, 2636.9, 3725.61]),
    12: ([4.00139, 4.00191, 4.0027], [2636.9, 3725.61, 5122.01]),
}


@pytest.mark.parametrize("nmax", sorted(TABLE4))
def test_centres_reproduce_p2_table4(nmax):
    c = wavelet_centres(nmax)
    first, last = TABLE4[nmax]
    np.testing.assert_allclose(c[:3], first, rtol=5e-6)  # table printed to 6 significant digits
    np.testing.assert_allclose(c[-3:], last, rtol=5e-6)  # table printed to 6 significant digits


def test_grid_lies_on_upper_half_circle_at_chebyshev_angles():
    n = 50
    s = unitarity_grid(n)
    r = rho_wavelet(MOTHER_CENTRE, s)
    np.testing.assert_allclose(np.abs(r), 1.0, atol=1e-12)
    theta = np.sort(np.angle(r))
    expected = np.sort(0.5 * np.pi * (1 + np.cos(np.pi * np.arange(1, n + 1) / (n + 1))))
    np.testing.assert_allclose(theta, expected, atol=1e-10)


def test_map_fixed_points():
    sigma = 9.0
    assert rho_wavelet(sigma, np.array([4.0]))[0] == pytest.approx(1.0)
    assert rho_wavelet(sigma, np.array([sigma]))[0] == pytest.approx(1j)
    assert rho_wavelet(sigma, np.array([8.0 - sigma]))[0] == pytest.approx(0.0, abs=1e-15)
    assert rho_wavelet(sigma, np.array([1e30]))[0] == pytest.approx(-1.0, abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_derivatives_against_finite_differences(n):
    sig = np.array([5.0, 20 / 3, 40.0])
    h = 1e-4
    fd = (rho_wavelet_derivative(sig, 4 / 3 + h, n - 1) - rho_wavelet_derivative(sig, 4 / 3 - h, n - 1)) / (2 * h)
    np.testing.assert_allclose(rho_wavelet_derivative(sig, 4 / 3, n), fd, rtol=1e-7)
    gd = (threshold_term_derivative(4 / 3 + h, n - 1) - threshold_term_derivative(4 / 3 - h, n - 1)) / (2 * h)
    assert threshold_term_derivative(4 / 3, n) == pytest.approx(gd, rel=1e-7)


def test_upper_lip_branch_matches_limit_from_above():
    s = np.array([5.0, 50.0])
    np.testing.assert_allclose(rho_wavelet(7.0, s), rho_wavelet(7.0, s + 1e-12j), atol=1e-9)
    np.testing.assert_allclose(threshold_term(s), threshold_term(s + 1e-12j), atol=1e-9)


def test_bad_sizes():
    with pytest.raises(ValueError):
        wavelet_centres(0)
    with pytest.raises(ValueError):
        unitarity_grid(0)
