"""Aks screening (P2 §5.1–5.2): the quasi-elastic amplitude, ρ_MP-screened partial waves, the
exact Jacobian of the screened system, the Landau-curve bounds R(s), B(s), bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from smatrix.cli import main
from smatrix.kinematics import phase_space
from smatrix.twoprr.aks_bounds import P2_FIG28_SCALE, b_maximum, bound_b, chi, ratio_r, t_mp
from smatrix.twoprr.grid import NodeGrid, planar_cross
from smatrix.twoprr.kernel import build_kernel
from smatrix.twoprr.screening import (ScreenConfig, ScreenedSystem, check_points, mp_norm, mp_support, screen,
                                     screen_positive)
from smatrix.twoprr.solver import SolverConfig, solve
from smatrix.twoprr.system import TwoPRRSystem

C0 = 20 * math.pi


@pytest.fixture(scope="module")
def ladder():
    """2PRR → quasi-elastic → J_max = 2 at c0 = 20π on a small grid (n = 20, s_max = 1e4)."""
    grid = NodeGrid(20, 1e4)
    kernel = build_kernel(grid)
    base = TwoPRRSystem(grid, kernel=kernel)
    sol = solve(C0, SolverConfig(n=20, s_max=1e4), system=base)
    assert sol.status == "converged"
    qe = ScreenedSystem(grid, 0, kernel=kernel)
    r0 = screen(qe, sol.u, C0)
    assert r0.status == "converged"
    sc = ScreenedSystem(grid, 2, kernel=kernel)
    r2 = screen(sc, np.concatenate([r0.x, np.zeros(sc.n3)]), C0)
    assert r2.status == "converged"
    return grid, kernel, base, sol, qe, r0, sc, r2


def test_quasi_elastic_amplitude_is_elastic_in_spin_0(ladder):
    """η0 = 0 (eq. 70): |S0| = 1 at every node, also above s = 16 where the 2PRR amplitude has
    η_2PRR > 0; the implied η_MP equals −η_2PRR of the same amplitude (eq. 24a)."""
    grid, kernel, base, sol, qe, r0, *_ = ladder
    amp2, amp0 = sol.amplitude(base), qe.amplitude(r0.x, C0)
    s = qe.s
    S0 = np.abs(1 + 1j * phase_space(s) * amp0.f0(s))
    assert np.max(np.abs(S0 - 1)) < 1e-10
    above = s > 16
    assert np.max(1 - np.abs(amp2.S(0, s[above])) ** 2) > 1e-3        # the 2PRR amplitude is inelastic there
    eta_2prr = qe.unpack(r0.x, C0).eta0                                # η_2PRR from ρ_el (eq. 24b)
    assert np.allclose(amp0.eta_mp(s), -eta_2prr, atol=1e-12)
    assert np.all(amp0.rho_mp == 0)
    # the Mandelstam rows still hold (it is an amplitude of the same equations with another η0)
    assert r0.residual_2prr < 1e-10


def test_screened_partial_waves_are_elastic_at_the_nodes(ladder):
    """J_max = 2: |S_0| = |S_2| = 1 at every energy node above 16, re-measured through the
    amplitude (fresh Froissart–Gribov operators), while J = 4 keeps its particle production;
    the Mandelstam equation still holds on the grid."""
    grid, kernel, base, sol, qe, r0, sc, r2 = ladder
    amp = sc.amplitude(r2.x, C0)
    s = sc.s[sc.s > 16]
    for J in (0, 2):
        S2 = np.abs(amp.S(J, s)) ** 2
        assert np.max(np.abs(S2 - 1)) < 1e-9, J
    unscreened = np.abs(qe.amplitude(r0.x, C0).S(2, s)) ** 2
    assert np.max(1 - unscreened) > 1e-4                               # there was something to screen
    assert np.max(1 - np.abs(amp.S(4, s)) ** 2) > 1e-5
    F = sc.residual(r2.x, C0)
    assert np.max(np.abs(F)) < 1e-10


def test_rho_mp_lives_inside_the_planar_cross_curve_and_is_symmetric(ladder):
    grid, kernel, base, sol, qe, r0, sc, r2 = ladder
    mp = sc.mp_matrix(r2.x[sc.n_square:])
    assert np.array_equal(mp, mp.T)
    x = grid.nodes
    inside = mp_support(grid)
    assert np.all(mp[~inside] == 0)
    a, b = np.nonzero(inside)
    assert np.all((x[a] > 16) & (x[b] > 16) & (planar_cross(x[a], x[b]) > 0))
    assert np.max(np.abs(mp)) > 0 and mp_norm(grid, mp) > 0
    # it screens: η_2 of eq. (23) from ρ_el + ρ_MP is (nearly) cancelled by the ρ_MP part alone
    amp = sc.amplitude(r2.x, C0)
    s = sc.s[sc.s > 40]
    eta_el = 2 * phase_space(s) * np.einsum("kj,jk->k", amp.spin_operators(s).fg_weights(2),
                                            amp.rho_el[:, amp.spin_operators(s).node_index])
    assert np.max(np.abs(amp.eta(2, s))) < 0.5 * np.max(np.abs(eta_el))


def test_screened_jacobian_is_exact():
    """The analytic Jacobian of the screened system (J_max = 4, random ρ_MP, held η_6 and η_8 rows)
    against central differences; the held rows are η_J of the amplitude (eq. 23 with ρ_MP)."""
    grid = NodeGrid(16, 1e3)
    kernel = build_kernel(grid)
    sc = ScreenedSystem(grid, 4, kernel=kernel)
    rng = np.random.default_rng(3)
    x = np.concatenate([0.3 * rng.random(sc.n1), 0.01 * rng.random(sc.n2), 1e-2 * rng.standard_normal(sc.n3)])
    s = check_points(grid, 2)
    sc.add_eta_rows(6, s[::3])
    sc.add_eta_rows(8, s[1::4])
    amp = sc.amplitude(x, C0)
    held = sc.residual(x, C0)[sc.n_square + len(sc.spins) * sc.s_screen.size:]
    eta = np.concatenate([amp.eta(6, s[::3]), amp.eta(8, s[1::4])])
    assert held.size == eta.size and np.max(np.abs(eta)) > 1e-7
    assert np.max(np.abs(held - eta)) < 1e-12 * np.max(np.abs(eta))
    J = sc.jacobian(x, C0)
    assert J.shape == (sc.n_square + sc.n_screen, sc.size) and sc.n3 > 0 and sc.n_screen > 0
    h = 1e-6
    E = np.column_stack([(sc.residual(x + h * e, C0) - sc.residual(x - h * e, C0)) / (2 * h) for e in np.eye(sc.size)])
    assert np.max(np.abs(J - E)) < 1e-7 * np.max(np.abs(E))


def test_screening_bounds_from_the_landau_curves():
    """R(s), B(s) of eqs. (76)–(78): the planar-cross root against the cubic's roots, the exact
    threshold limit R → 2, B → χ(3) = 3 + 2√2 (t_MP/t_el → 2 as s → 16), R − 1 ~ s^(−1/2) and
    B − 1 ~ s^(−1/4) at large s, and the values at s = 200."""
    for s in (17.0, 32.2, 200.0, 1e4):
        c = [s - 16, 24 * s - 2 * s * s, s**3 + 24 * s * s - 432 * s, -16 * s**3]   # (16) as a cubic in t
        roots = np.roots(c)
        real = roots[np.abs(roots.imag) < 1e-8 * np.abs(roots)].real
        assert abs(t_mp(s) - real[real > 16].min()) < 1e-9 * t_mp(s)
    s = 200.0
    z_el, z_mp = 1 + 2 * (4 * s / (s - 16)) / (s - 4), 1 + 2 * t_mp(s) / (s - 4)
    assert ratio_r(s) == pytest.approx(chi(z_mp) / chi(z_el), rel=1e-14)
    assert ratio_r(s) == pytest.approx(1.32158, abs=2e-5)
    assert bound_b(s) == pytest.approx(2.94701, abs=2e-5)
    assert ratio_r(16 + 1e-7) == pytest.approx(2.0, abs=1e-6)
    assert bound_b(16 + 1e-7) == pytest.approx(3 + 2 * math.sqrt(2), abs=1e-5)
    assert (ratio_r(1e8) - 1) / (ratio_r(1e6) - 1) == pytest.approx(0.1, rel=0.05)
    assert (bound_b(1e8) - 1) / (bound_b(1e6) - 1) == pytest.approx(10**-0.5, rel=0.05)
    s_star, b_star = b_maximum()
    assert s_star < 16.01 and b_star == pytest.approx(3 + 2 * math.sqrt(2), abs=1e-4)


def test_the_only_variant_with_p2s_maximum_has_a_factor_4_in_the_kernel():
    """docs/aks_screening.md: P2's maximum of B at s ≈ 32.2 is reproduced only with z = 1 + 8t/(s − 4)
    (cos θ = 1 + 2t/k²); its maximum is R = 2.40, B = 7.47, and R(200) = 1.69 there, not 2.5."""
    s_star, b_star = b_maximum(17.0, 1e4, scale=P2_FIG28_SCALE)
    assert s_star == pytest.approx(32.2, abs=0.1) and b_star == pytest.approx(7.474, abs=2e-3)
    assert ratio_r(s_star, P2_FIG28_SCALE) == pytest.approx(2.402, abs=1e-3)
    assert ratio_r(200.0, P2_FIG28_SCALE) == pytest.approx(1.686, abs=1e-3)
    s = 200.0                                       # the scale enters only the kernel argument z
    z = lambda t: 1 + 8 * t / (s - 4)
    assert ratio_r(s, P2_FIG28_SCALE) == pytest.approx(float(chi(z(t_mp(s))) / chi(z(4 * s / (s - 16)))), rel=1e-14)
    assert float(chi(2 * 2.457 - 1)) == pytest.approx(7.70, abs=0.01)        # P2's R and B agree through (78)


def test_cli_screening_bad_input(tmp_path, capsys):
    for extra in (["--screen-jmax", "3"], ["--screen-jmax", "-2"], ["--screen-jmax", "2", "--screen-lambda", "-1"],
                  ["--screen-jmax", "2", "--init", str(tmp_path / "x.npz")], ["--screen-lambda", "1e-8"]):
        assert main(["2prr", "--c0", "20pi", "--n", "16", "--ladder", "16", *extra]) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), err
    with pytest.raises(ValueError):
        ScreenedSystem(NodeGrid(16, 1e3), 1, kernel=build_kernel(NodeGrid(16, 1e3)))
    with pytest.raises(ValueError):
        ScreenConfig(norm="l1").validate()


def test_cli_screening_run(tmp_path, capsys):
    """`smatrix 2prr --screen-jmax 2` end to end on a small ladder: elastic J ≤ 2 at the nodes, the
    dense screening certificate in the output, files. (The c2 ordering of P2 Table 1 is asserted on
    the n = 32 grid of the slow test below: on this 16-node grid the held η_J rows can lift c2.)"""
    import json
    out = tmp_path / "run"
    code = main(["2prr", "--c0", "20pi", "--n", "16", "--ladder", "14,16", "--smax", "1e3", "--screen-jmax", "2",
                 "--json", "--out", str(out)])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "converged" and d["jmax"] == 2 and d["c2_error"] is not None
    for J in ("0", "2"):
        assert d["max_abs_S2_minus_1"][J]["nodes"] < 1e-9
    assert d["rho_mp_norm"] > 0
    dense = d["screening_certificate"]
    assert dense["per_cell"] == 4 and set(dense["spins"]) == {"2", "4", "6", "8", "10"}
    assert dense["spins"]["2"]["screened"] and not dense["spins"]["4"]["screened"]
    with np.load(out / "screened.npz", allow_pickle=False) as z:
        assert np.array_equal(z["rho_mp"], z["rho_mp"].T)
    for name in ("result.json", "screened_waves.png", "rho_mp.png", "screening_bounds.png"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize("s", [20.0, 32.2, 200.0, 1e3])
def test_r_is_the_large_spin_ratio_of_the_froissart_gribov_kernels(s):
    """R(s) of eq. (77) a second way: Q_J(z) (mpmath, not the package's legendre_q) at the two
    Landau-curve edges z_el, z_MP; the ratio of successive spins [Q_J(z_el)/Q_J(z_MP)] /
    [Q_{J−1}(z_el)/Q_{J−1}(z_MP)] tends to u_el/u_MP = R with O(1/J²) corrections (the J^{−1/2}
    prefactors cancel)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    z_el, z_mp = 1 + 2 * (4 * s / (s - 16)) / (s - 4), 1 + 2 * t_mp(s) / (s - 4)
    q = lambda J, z: mpmath.re(mpmath.legenq(J, 0, z, type=3))
    J = 120
    ratio = float((q(J, z_el) * q(J - 1, z_mp)) / (q(J - 1, z_el) * q(J, z_mp)))
    assert ratio == pytest.approx(ratio_r(s), rel=1e-4)


@pytest.mark.parametrize("s", [20.0, 200.0, 1e3])
def test_b_is_the_growth_of_the_minimum_norm_screening_function(s):
    """B(s) = χ(2R − 1) of eq. (78) a second way, without Chebyshev polynomials: with u = 1/χ(z) the
    kernels are monomials u^J; a screening function g on [0, u_MP] matching the moments of a unit
    source at u_el for J = 0 … N has least L2 norm ‖g‖²_N = Σ_{k≤N} (2k+1) P_k(2R − 1)²/u_MP (the
    orthonormal shifted Legendre basis, where |P(u_el)|/‖P‖ is largest); ‖g‖_N/‖g‖_{N−1} → B."""
    from scipy.special import eval_legendre
    R = ratio_r(s)
    k = np.arange(0, 121)
    norm2 = np.cumsum((2 * k + 1) * eval_legendre(k, 2 * R - 1) ** 2)
    growth = math.sqrt(norm2[-1] / norm2[-2])
    assert growth == pytest.approx(bound_b(s), rel=2e-4)
    # and the direct least-norm solution of the moment problem (Gram matrix, mpmath) agrees at small N
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    u_mp = mpmath.mpf(1)                                      # the scale drops out of the growth
    u_el = R * u_mp
    N = 8
    G = mpmath.matrix(N + 1, N + 1)
    for a in range(N + 1):
        for b in range(N + 1):
            G[a, b] = u_mp ** (a + b + 1) / (a + b + 1)
    m = mpmath.matrix([u_el**a for a in range(N + 1)])
    direct = float((m.T * mpmath.lu_solve(G, m))[0])
    assert direct == pytest.approx(float(norm2[N]), rel=1e-10)


@pytest.mark.slow
def test_unscreened_spins_keep_eta_nonnegative():
    """J_max = 2 at c0 = 28π, n = 32: the min-norm ρ_MP over-cancels η_4 … η_10 at some energies
    (η_J < 0, |S_J| > 1); the active set holds η_J = 0 there (nodes and midpoints) and the re-measure
    on 8 points per cell finds η_J ≥ −1e-6 and |S_J|² ≤ 1 + 1e-6, with |S_2| = 1 kept at the nodes
    and the Mandelstam equation still solved (~40 s)."""
    from smatrix.twoprr.kernel import mandelstam_kernel
    c0 = 28 * math.pi
    grid = NodeGrid(32, 1e8)
    kernel = mandelstam_kernel(grid)
    sol = solve(c0, SolverConfig(n=32, s_max=1e8), system=TwoPRRSystem(grid, kernel=kernel))
    r0 = screen(ScreenedSystem(grid, 0, kernel=kernel), sol.u, c0)
    plain = ScreenedSystem(grid, 2, kernel=kernel)
    r2 = screen(plain, np.concatenate([r0.x, np.zeros(plain.n3)]), c0)
    s = check_points(grid, 8)
    before = plain.amplitude(r2.x, c0)
    assert min(before.eta(J, s).min() for J in (4, 6, 8, 10)) < -1e-5
    sc = ScreenedSystem(grid, 2, kernel=kernel)
    rp = screen_positive(sc, r2.x, c0)
    assert rp.status == "converged" and sc.eta_s.size > 0
    amp = sc.amplitude(rp.x, c0)
    for J in (4, 6, 8, 10):
        assert amp.eta(J, s).min() > -1e-6, J
        assert np.max(np.abs(amp.S(J, s)) ** 2 - 1) < 1e-6, J
    assert np.max(np.abs(np.abs(amp.S(2, sc.s_screen)) ** 2 - 1)) < 1e-9
    assert rp.residual_2prr < 1e-10
    assert abs(sc.c2(rp.x) - plain.c2(r2.x)) < 1e-5
    # the dense screening certificate sees both: the free spins fail before and pass after; the
    # screened spin's off-grid error at n = 32 (4e-4) is above SCREEN_OFFGRID = 2e-4 (n ≥ 40 passes)
    from smatrix.twoprr.certify import Tolerances
    from smatrix.twoprr.screen_run import screening_certificate
    tol = Tolerances(eta=1e-5)
    old, new = screening_certificate(plain, before, tol), screening_certificate(sc, amp, tol)
    assert not old["spins"]["4"]["passed"] and all(new["spins"][J]["passed"] for J in ("4", "6", "8", "10"))
    assert not new["spins"]["2"]["passed"] and not new["passed"]
    c2_2prr = TwoPRRSystem(grid, kernel=kernel).c2(sol.u)
    assert sc.c2(rp.x) < ScreenedSystem(grid, 0, kernel=kernel).c2(r0.x) < c2_2prr      # P2 Table 1 ordering
