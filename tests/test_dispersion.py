"""Piecewise-linear dispersion integrals against an independent mpmath integration."""
import mpmath as mp
import numpy as np
import pytest

from smatrix.dispersion import SpectralGrid, froissart_gribov_kernel, spectral_grid, sum_rule_kernel


def reference_cauchy(nodes, h, x, dps=20):
    """∫ρ(s')/(s' − x) ds', ρ = 16π h/ϱ with h piecewise linear, upper lip, by mpmath quad."""
    mp.mp.dps = dps
    x = mp.mpc(x) if isinstance(x, complex) else mp.mpf(x)
    total = mp.mpc(0)
    for k in range(len(nodes) - 1):
        a, b = mp.mpf(nodes[k]), mp.mpf(nodes[k + 1])
        ha, hb = h[k], h[k + 1]
        hl = lambda sp, a=a, b=b, ha=ha, hb=hb: ha + (hb - ha) * (sp - a) / (b - a)
        if k == 0:  # s' = 4 + (b − 4)v²: 1/ϱ ds' = 2 sqrt(b − 4) sqrt(s') dv
            sv = lambda v, b=b: 4 + (b - 4) * v**2
            phi = lambda v, b=b, sv=sv, hl=hl: hl(sv(v)) * 16 * mp.pi * mp.sqrt(sv(v)) * 2 * mp.sqrt(b - 4)
            dd = lambda v, vx, b=b: (b - 4) * (v + vx)
            vx = mp.sqrt((x - 4) / (b - 4)) if not isinstance(x, mp.mpc) else None
        else:
            sv = lambda v, a=a, b=b: a + (b - a) * v
            phi = lambda v, a=a, b=b, sv=sv, hl=hl: hl(sv(v)) * 16 * mp.pi * mp.sqrt(sv(v) / (sv(v) - 4)) * (b - a)
            dd = lambda v, vx, a=a, b=b: (b - a)
            vx = (x - a) / (b - a) if not isinstance(x, mp.mpc) else None
        if vx is None or not (a <= x <= b):
            total += mp.quad(lambda v: phi(v) / (sv(v) - x), [0, 1])
            continue
        psi = phi(vx) / dd(vx, vx)
        total += mp.quad(lambda v: (phi(v) / dd(v, vx) - psi) / (v - vx) if v != vx else 0,
                         [0, vx, 1] if 0 < vx < 1 else [0, 1])
        l1 = mp.log(abs(1 - vx)) if b != x else -mp.log(abs(dd(vx, vx)))
        l0 = mp.log(abs(vx)) if a != x else -mp.log(abs(dd(vx, vx)))
        total += psi * (l1 - l0) + 1j * mp.pi * psi * (1 if a < x < b else mp.mpf(0.5))
    return complex(total)


@pytest.fixture(scope="module")
def small_grid():
    nodes = np.concatenate([[4.0], 4.0 + np.geomspace(1e-3, 1e5, 40)])
    return SpectralGrid(nodes)


def test_cauchy_matrix_against_mpmath(small_grid, rng):
    g = small_grid
    h = rng.uniform(0, 2, g.size)
    h[-1] = 0.0
    x = [4.0005, g.nodes[1], g.nodes[2], 4.1, g.nodes[17], 17.3, 5e3, -2.0, 3.9999, 2.0 + 0.5j,
         4.3 + 0.01j, 4 + 1e-9, 4 - 1e-9]
    C = g.cauchy_matrix(np.array(x)) @ h
    for xi, ci in zip(x, C):
        ref = reference_cauchy(g.nodes, h, xi)
        assert abs(ci - ref) <= 1e-10 * abs(ref), (xi, ci, ref)


def test_imaginary_part_is_pi_rho(small_grid, rng):
    g = small_grid
    h = rng.uniform(0, 2, g.size)
    h[-1] = 0.0
    s = np.array([4.01, 7.7, g.nodes[10], 1e3])
    rho = 16 * np.pi * (g.h_values(s) @ h) / np.sqrt((s - 4) / s)
    np.testing.assert_allclose((g.cauchy_matrix(s) @ h).imag, np.pi * rho, rtol=1e-12)


def test_smooth_weights_against_quad(small_grid, rng):
    g = small_grid
    h = rng.uniform(0, 2, g.size)
    h[-1] = 0.0
    mp.mp.dps = 20
    for p in (1, 3):
        ref = mp.mpf(0)
        for k in range(g.size - 1):
            a, b = g.nodes[k], g.nodes[k + 1]
            hl = lambda sp, a=a, b=b, k=k: h[k] + (h[k + 1] - h[k]) * (sp - a) / (b - a)
            f = lambda sp, hl=hl: hl(sp) * 16 * mp.pi * mp.sqrt(sp / (sp - 4)) / (sp - mp.mpf(4) / 3) ** p
            ref += mp.quad(f, [a, b])
        assert g.smooth_weights(sum_rule_kernel(p)) @ h == pytest.approx(float(ref), rel=1e-11)


def test_froissart_gribov_kernel_threshold_limit():
    sp = np.array([4.0, 10.0])
    np.testing.assert_allclose(froissart_gribov_kernel(4.0 + 1e-12, sp), 2 / sp, rtol=1e-9)


def test_spectral_grid_reaches_far_uv_and_rejects_small():
    g = spectral_grid(100)
    assert g.nodes[0] == 4.0 and g.nodes[-1] == pytest.approx(1e12) and np.all(np.diff(g.nodes) > 0)
    with pytest.raises(ValueError):
        spectral_grid(5)


def test_spline_elements_match_scipy_natural_spline(small_grid, rng):
    """Cubic-spline elements: h between nodes is scipy's natural cubic spline, and the sum-rule
    integral of the spline density agrees with adaptive quadrature of that independent spline."""
    from scipy.integrate import quad
    from scipy.interpolate import CubicSpline
    g = SpectralGrid(small_grid.nodes, spline=True)
    h = rng.uniform(0, 2, g.size)
    h[-1] = 0.0
    ref = CubicSpline(g.nodes, h, bc_type="natural")
    x = np.array([4.0004, 4.3, 17.3, 5e3, 9e4])
    np.testing.assert_allclose(g.h_values(x) @ h, ref(x), rtol=1e-10, atol=1e-12)
    rho = lambda s: 16 * np.pi * ref(s) / np.sqrt((s - 4) / s)
    total = 0.0
    for k in range(g.size - 1):
        a, b = g.nodes[k], g.nodes[k + 1]
        if k == 0:  # s = 4 + (b − 4)v² removes the 1/ϱ endpoint singularity
            f = lambda v: rho(4 + (b - 4) * v * v) * 2 * (b - 4) * v / (4 + (b - 4) * v * v - 4 / 3)
            total += quad(f, 0, 1, epsabs=0, epsrel=1e-11, limit=200)[0]
        else:
            total += quad(lambda s: rho(s) / (s - 4 / 3), a, b, epsabs=0, epsrel=1e-11, limit=200)[0]
    assert g.smooth_weights(sum_rule_kernel(1)) @ h == pytest.approx(total, rel=1e-10)
    s = np.array([4.01, 7.7, 1e3])
    np.testing.assert_allclose((g.cauchy_matrix(s) @ h).imag, np.pi * rho(s), rtol=1e-10)


def test_spline_is_fourth_order_and_exact_for_linear_data():
    f = lambda s: np.exp(-(s - 4) / 10.0) * (s - 4) / (s - 3)
    x = np.linspace(4.01, 60, 2000)
    err = []
    for n in (100, 200):
        g = SpectralGrid(spectral_grid(n).nodes, spline=True)
        hn = f(g.nodes)
        hn[-1] = 0.0
        err.append(np.max(np.abs(g.h_values(x) @ hn - f(x))))
    assert err[0] / err[1] > 10  # Δ⁴: 16 for halved spacing (piecewise linear gives 4)
    g = SpectralGrid(np.linspace(4, 20, 9), spline=True)
    lin = 2.0 - (g.nodes - 4) / 8
    np.testing.assert_allclose(g.curvature_map @ lin, 0.0, atol=1e-12)


@pytest.mark.parametrize("spline", [False, True])
def test_values_without_the_matrix_are_the_matrix_times_h(spline):
    """The amplitude's (and the certificate's) f0 sums the density first; it must be the same linear
    map as the matrix the solvers use — on the support, below threshold, off the axis, near nodes."""
    from smatrix.dispersion import SpectralGrid, f0_matrix, spectral_grid
    grid = SpectralGrid(spectral_grid(40).nodes, spline=spline)
    h = np.random.default_rng(3).random(grid.size)
    h[-1] = 0.0
    s = np.concatenate([np.geomspace(4.0 + 1e-6, 1e13, 301), grid.nodes[1:6] * (1 + 1e-12), [1.0, 2.5]])
    for x in (s, s + 0.5j):
        for real in ((False, True) if np.isrealobj(x) else (False,)):
            direct = f0_matrix(grid, x, real=real) @ h
            assert np.allclose(f0_matrix(grid, x, real=real, h=h), direct, rtol=1e-13, atol=1e-13 * np.abs(direct).max())
        assert np.allclose(grid.cauchy_matrix(x, h), grid.cauchy_matrix(x) @ h, rtol=1e-13, atol=1e-12)
