"""Formulas written once (issue 13), each checked a second way: F(s) of eq. (80) in numpy, torch,
mpmath and cvxpy and against a direct quadrature; the residual Φ against |S0|² − 1 of the
amplitude; θ(s) against s(θ) and mpmath; the Re f0 matrix against a direct principal-value
integral (both subtraction conventions); the grids and the quadrature rules against exact values."""
import math

import cvxpy as cp
import mpmath as mp
import numpy as np
import pytest

from smatrix.dispersion import SpectralGrid, f0_matrix, spectral_grid
from smatrix.dual import AuxiliaryF, DualGrid, dual_grid
from smatrix.errors import BadInput
from smatrix.grids import (MOTHER_CENTRE, dense_check_points, dual_nodes, log_subdivide, primal_nodes,
                           product_grid, s_of_theta, spectral_nodes, subdivided_points, theta_nodes, theta_of_s,
                           unitarity_grid)
from smatrix.inelasticity import demo_profile, load_profile
from smatrix.kinematics import phase_space, t_of_z, u_of
from smatrix.quadrature import angular_rule, gauss_legendre, legendre_rule, panel_rule
from smatrix.unitarity import GridSpec, UnitarityEquations, operators_on, spin0_residual

torch = pytest.importorskip("torch")
MPF = np.vectorize(lambda v: mp.mpf(float(v)), otypes=[object])


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --- F(s) of eq. (80) -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_dual():
    grid = dual_grid(60.0, 10)
    s = np.concatenate([4.0 + np.geomspace(1e-4, 50.0, 9), [75.0, 400.0, 1e4]])
    w = np.sin(np.linspace(0.0, 3.0, grid.size)) * np.linspace(1.0, 0.0, grid.size)   # w(Λ) = 0
    return grid, s, w, AuxiliaryF.at(s, grid.kernel_matrix(s))


def test_F_numpy_torch_mpmath_cvxpy_agree(small_dual):
    """One formula, four array libraries: torch float64, mpmath at 30 digits from the same float64
    coefficients, and a cvxpy expression evaluated at the same point."""
    grid, s, w, F = small_dual
    nu, mu = 0.37, -1.0
    ref = F(w, nu, mu)
    t = F.converted(torch.as_tensor)(torch.as_tensor(w), torch.tensor(nu, dtype=torch.float64), mu)
    with mp.workdps(30):
        m = F.converted(MPF)(MPF(w), mp.mpf(nu), mp.mpf(mu))
    x, n = cp.Variable(grid.size), cp.Variable()
    expr = F(x, n, mu)
    x.value, n.value = w, nu
    for other in (t.numpy(), np.array([float(v) for v in m]), expr.value):
        assert _rel(other, ref) < 1e-12


def test_F_against_direct_quadrature(small_dual):
    """F = (16π/ϱ)[(3ν/π)/(s − 4/3) + (μ/π)/(s − 4/3)³ + (1/16π²)∫w K̃] with the integral done by
    mpmath (principal value by subtraction where s lies on the support of w)."""
    grid, s, w, F = small_dual
    nu, mu = 0.37, -1.0
    got = F(w, nu, mu)
    mp.mp.dps = 25
    nodes = [mp.mpf(float(v)) for v in grid.nodes]
    wn = [mp.mpf(float(v)) for v in w]

    def w_of(sp):
        k = max(0, min(len(nodes) - 2, int(np.searchsorted(grid.nodes, float(sp), side="right")) - 1))
        u = (sp - nodes[k]) / (nodes[k + 1] - nodes[k])
        return (1 - u) * wn[k] + u * wn[k + 1] if nodes[0] <= sp <= nodes[-1] else mp.mpf(0)

    for j, sj in enumerate(s):
        x = mp.mpf(float(sj))
        fg = lambda sp: 2 / x if sp == 4 else 2 / (sp - 4) * mp.log(1 + (sp - 4) / x)
        smooth = mp.quad(lambda sp: w_of(sp) * (fg(sp) - 3 / (x - mp.mpf(4) / 3)), nodes)
        if x < nodes[-1]:
            wx = w_of(x)
            pole = mp.quad(lambda sp: (w_of(sp) - wx) / (x - sp) if sp != x else 0, sorted(set(nodes + [x])))
            pole += wx * mp.log((x - 4) / (nodes[-1] - x))
        else:
            pole = mp.quad(lambda sp: w_of(sp) / (x - sp), nodes)
        G = (smooth + pole) / (16 * mp.pi**2)
        s0 = x - mp.mpf(4) / 3
        ref = 16 * mp.pi / mp.sqrt((x - 4) / x) * (3 * nu / mp.pi / s0 + mu / mp.pi / s0**3 + G)
        assert abs(got[j] - float(ref)) <= 1e-10 * abs(float(ref)), float(x)


# --- the residual Φ (eq. 56) ----------------------------------------------------------------------

def test_residual_in_three_array_libraries_and_as_S_matrix(rng):
    h, X, eta = rng.uniform(0, 2, 50), rng.uniform(-1, 1, 50), rng.uniform(0, 0.5, 50)
    ref = spin0_residual(h, X, eta)
    S = (1.0 - h) + 1j * X                                             # Re S0 = 1 − h, Im S0 = X
    assert np.max(np.abs(ref - (np.abs(S) ** 2 - 1.0 + eta))) < 1e-14
    t = spin0_residual(torch.as_tensor(h), torch.as_tensor(X), torch.as_tensor(eta)).numpy()
    with mp.workdps(30):
        m = spin0_residual(MPF(h), MPF(X), MPF(eta))
    assert np.max(np.abs(t - ref)) < 1e-14 and np.max(np.abs(np.array(m, dtype=float) - ref)) < 1e-14


def test_residual_of_the_equations_is_unitarity_of_their_amplitude(rng):
    """Φ of UnitarityEquations (real Re f0 matrix, c0 fixed) equals |S0|² − 1 of the amplitude it
    describes (complex f0 of SpectralAmplitude) at the imposed nodes."""
    grid = spectral_grid(40)
    eq = UnitarityEquations(operators_on(grid))
    h = 0.05 * np.abs(rng.normal(size=eq.size))
    c0 = 3.0
    S = eq.amplitude(h, c0).S(0, eq.points)
    assert np.max(np.abs(eq.residual(h, c0) - (np.abs(S) ** 2 - 1.0))) < 1e-12


# --- θ(s), the wavelet angle (eq. 91) ------------------------------------------------------------

def test_theta_is_the_inverse_of_s_of_theta_and_agrees_with_mpmath():
    """θ(s(θ)) = θ to rounding; s(θ(s)) = s to ε/(π − θ), the conditioning of s ∝ (π − θ)⁻²."""
    grid = np.linspace(0.5, math.pi - 1e-6, 200)          # (s − 4 itself is rounded near s = 4)
    assert np.max(np.abs(theta_of_s(s_of_theta(grid)) - grid)) < 4e-16 * math.pi
    s = np.concatenate([4.0 + np.geomspace(1e-10, 0.5, 20), np.geomspace(5.0, 1e14, 40)])
    th = theta_of_s(s)
    assert np.all(np.abs(s_of_theta(th) - s) / (s - 4.0) < 1e-15 + 4e-15 / (math.pi - th))
    assert np.all(np.diff(th) > 0) and th[-1] < math.pi
    with mp.workdps(30):
        ref = [2 * mp.atan(mp.sqrt((mp.mpf(float(x)) - 4) / (mp.mpf(20) / 3 - 4))) for x in s]
    assert np.max(np.abs(th - np.array(ref, dtype=float)) / np.array(ref, dtype=float)) < 1e-14
    assert s_of_theta(theta_of_s(MOTHER_CENTRE)) == pytest.approx(MOTHER_CENTRE, rel=1e-15)
    assert theta_of_s(MOTHER_CENTRE) == pytest.approx(math.pi / 2, rel=1e-15)   # s* sits at θ = π/2


# --- the Re f0 matrix (eq. 16), both subtraction conventions --------------------------------------

@pytest.fixture(scope="module")
def pv_reference():
    """Re f0(x) − c0/16π = (1/16π²)[PV∫ρ/(s'−x) − 3∫ρ/(s'−4/3) + ∫ρ K⁽⁴⁾] by mpmath, ρ = 16πh/ϱ with
    h piecewise linear (PV by subtraction of ρ(x) over the whole support), and (3/π)∫ρ/(s'−4/3)."""
    grid = SpectralGrid(np.array([4.0, 4.3, 5.0, 7.0, 12.0, 30.0, 80.0]))
    h = np.array([0.0, 0.4, 0.9, 0.6, 0.3, 0.1, 0.0])
    mp.mp.dps = 20
    nodes = [mp.mpf(float(v)) for v in grid.nodes]

    def rho(sp):
        if not nodes[0] < sp < nodes[-1]:
            return mp.mpf(0)
        k = min(int(np.searchsorted(grid.nodes, float(sp), side="right")) - 1, len(nodes) - 2)
        u = (sp - nodes[k]) / (nodes[k + 1] - nodes[k])
        return 16 * mp.pi * ((1 - u) * h[k] + u * h[k + 1]) / mp.sqrt((sp - 4) / sp)

    xs = [4.1, 6.0, 20.0, 79.0, 200.0]
    sub = mp.quad(lambda sp: rho(sp) / (sp - mp.mpf(4) / 3), nodes)
    out = []
    for x in xs:
        x = mp.mpf(x)
        fg = mp.quad(lambda sp: rho(sp) * 2 / (x - 4) * mp.log(1 + (x - 4) / sp), nodes)
        if x < nodes[-1]:
            rx = rho(x)
            pv = mp.quad(lambda sp: (rho(sp) - rx) / (sp - x), sorted(set(nodes + [x])))
            pv += rx * mp.log((nodes[-1] - x) / (x - 4))
        else:
            pv = mp.quad(lambda sp: rho(sp) / (sp - x), nodes)
        out.append(float((pv - 3 * sub + fg) / (16 * mp.pi**2)))
    return grid, h, np.array(xs), np.array(out), float(3 * sub / mp.pi)


def test_re_f0_matrix_against_principal_value_integral(pv_reference):
    grid, h, xs, ref, _ = pv_reference
    got = f0_matrix(grid, xs, real=True) @ h
    assert np.max(np.abs(got - ref)) < 1e-9 * np.max(np.abs(ref))
    full = f0_matrix(grid, xs) @ h                                    # complex: Im f0 = ρ/16π on the cut
    assert np.max(np.abs(full.real - got)) < 1e-14 * np.max(np.abs(got))
    assert np.max(np.abs(full.imag - grid.h_values(xs) @ h / phase_space(xs))) < 1e-12


def test_sum_rule_convention_is_the_fixed_c0_one_with_c0_from_eq_24(pv_reference):
    """With c0 = (3/π)∫ρ/(s'−4/3) (sum rule 24), the grid SDP's matrix (c0 eliminated) and the
    fixed-c0 matrix of the elastic problems give the same Re f0."""
    grid, h, xs, ref, c0 = pv_reference
    eliminated = f0_matrix(grid, xs, sum_rule=True, real=True) @ h
    assert np.max(np.abs(eliminated - (c0 / (16 * np.pi) + ref))) < 1e-9 * np.max(np.abs(eliminated))


# --- grids ----------------------------------------------------------------------------------------

def test_theta_uniform_grids_are_uniform_in_theta():
    for s in (theta_nodes(1e4, 30), theta_nodes(300.0, 25, 4.05)):
        d = np.diff(theta_of_s(s))
        assert np.max(np.abs(d - d.mean())) < 1e-12 * d.mean()
    nodes = spectral_nodes(40)
    n_bulk = int(round(0.75 * 39))
    assert nodes[0] == 4.0 and nodes[n_bulk] == pytest.approx(1e4, rel=1e-13)
    tail = np.log(nodes[n_bulk:] - 4.0)
    assert np.allclose(np.diff(tail), np.diff(tail)[0], rtol=1e-10)         # geometric in s − 4
    assert nodes[-1] == pytest.approx(1e12, rel=1e-13)


def test_dual_nodes_split_long_segments_and_keep_the_ends():
    nodes = dual_nodes(1e5, 40, 1.15)
    assert nodes[0] == 4.0 and nodes[-1] == 1e5 and np.all(np.diff(nodes) > 0)
    assert np.max(nodes[2:] / nodes[1:-1]) <= 1.15 * (1 + 1e-12)
    assert np.array_equal(DualGrid(nodes).nodes, dual_grid(1e5, 40).nodes)


def test_log_subdivision_and_certificate_points():
    y = np.array([0.0, 1.0, 3.0])
    assert np.allclose(log_subdivide(y, 4), [0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5])
    pts = np.array([4.5, 6.0, 20.0, 100.0])
    sub = subdivided_points(pts, 3)
    assert sub.size == 9 and np.allclose(np.diff(np.log(sub[:3] - 4.0)), np.log(2.0 / 0.5) / 3)
    dense = dense_check_points(pts, 4, 1e16)
    assert dense[0] - 4.0 == pytest.approx(1e-12) and dense[-1] == pytest.approx(1e16)
    assert np.all(np.min(np.abs(dense[None, :] - pts[:, None]), axis=1) < 1e-14 * pts) and np.all(np.diff(dense) > 0)


def test_primal_grid_regions():
    g = GridSpec()
    s = primal_nodes(g.threshold_min, g.threshold_max, g.threshold_density, g.bulk, g.s_bulk, g.regge_step,
                     g.regge_max_step, g.s_max)
    assert np.array_equal(s, g.nodes()) and np.all(np.diff(s) > 0)
    assert s[1] - 4.0 == pytest.approx(g.threshold_min) and s[-1] == pytest.approx(g.s_max, rel=1e-12)
    L = np.log(s[s > g.s_bulk * 1.0001])
    steps = np.diff(np.concatenate([[math.log(g.s_bulk)], L]))
    assert np.all(steps <= g.regge_max_step * (1 + 1e-12))


def test_unitarity_grid_is_the_chebyshev_angles_of_eq_92():
    n = 7
    with mp.workdps(30):
        th = [mp.pi / 2 * (1 + mp.cos(mp.pi * k / (n + 1))) for k in range(1, n + 1)]
        ref = sorted(float(4 + (mp.mpf(20) / 3 - 4) * mp.tan(t / 2) ** 2) for t in th)
    assert np.allclose(unitarity_grid(n), ref, rtol=1e-13)


def test_product_grid():
    S, T = product_grid([4.5, 10.0], [5.0, 6.0, 7.0])
    assert S.shape == T.shape == (2, 3) and S[1, 2] == 10.0 and T[1, 2] == 7.0


# --- quadrature -----------------------------------------------------------------------------------

def test_gauss_legendre_rules_are_exact_for_polynomials():
    v, w = gauss_legendre(6)
    assert sum(w * v**11) == pytest.approx(1 / 12, rel=1e-14)
    x, wx = legendre_rule(6)
    assert sum(wx * x**10) == pytest.approx(2 / 11, rel=1e-14)
    pts, wts, p, vv = panel_rule(np.array([0.0, 0.5, 2.0, 3.0]), 8)
    assert np.sum(wts * np.exp(pts)) == pytest.approx(math.expm1(3.0), rel=1e-14)
    assert np.array_equal(np.unique(p), [0, 1, 2]) and np.all((vv > 0) & (vv < 1))


@pytest.mark.parametrize("s", [4.5, 20.0, 1e4, 1e8])
def test_angular_rule_physical_half_and_full_range(s):
    """∫_0^1 P_2(z)² dz = 1/5, and a forward-peaked integrand ∫_0^1 dz/(1 − t)² = (2/(s−4))(1 − 2/(s−2));
    on z ∈ [−1, 1] (full) ∫ z³ = 0, ∫ z² = 2/3."""
    z, w = angular_rule(s)
    p2 = 0.5 * (3 * z**2 - 1)
    assert np.sum(w * p2**2) == pytest.approx(0.2, rel=1e-12)
    t = t_of_z(s, z)
    assert np.sum(w / (1 - t) ** 2) == pytest.approx(2 / (s - 4) * (1 - 2 / (s - 2)), rel=1e-12)
    zf, wf = angular_rule(s, full=True)
    assert abs(np.sum(wf * zf**3)) < 1e-14 and np.sum(wf * zf**2) == pytest.approx(2 / 3, rel=1e-12)


def test_angular_rule_off_the_physical_region():
    """Complex s and s ≤ 4: Gauss–Legendre in z (exact for polynomials); mixing kinds is an error."""
    for s in (np.array([5.0 + 0.5j, 30.0 - 2j]), np.array([1.0, 3.9])):
        z, w = angular_rule(s, full=True)
        assert z.shape[0] == 2 and np.allclose(np.sum(w * z**4, axis=1), 2 / 5, rtol=1e-14)
    with pytest.raises(ValueError, match="threshold"):
        angular_rule(np.array([3.0, 5.0]))


def test_t_of_z_kinematics():
    s = 10.0
    assert t_of_z(s, 1.0) == 0.0 and t_of_z(s, -1.0) == pytest.approx(4.0 - s)
    assert t_of_z(s, 0.3) + u_of(s, t_of_z(s, 0.3)) == pytest.approx(4.0 - s)
    assert t_of_z(s, -0.3) == pytest.approx(u_of(s, t_of_z(s, 0.3)))       # z → −z swaps t and u


# --- η profiles: one loader -----------------------------------------------------------------------

def test_one_profile_loader(tmp_path):
    path = demo_profile(spins=(0, 2)).save(tmp_path / "eta.json")
    assert load_profile(None) is None
    prof = load_profile(path, "error", [0, 2])
    with pytest.raises(BadInput, match=r"needs η_J for J = \[4\]"):
        load_profile(path, "error", [0, 4])
    s = np.array([4.0 + 1e-14, 20.0, 1e18])
    assert list(prof.covers(s)) == [False, True, False]
    assert load_profile(path, "zero").covers(s).all()
