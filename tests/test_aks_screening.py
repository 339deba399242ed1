"""Aks screening (P2 §5.1–5.2): the quasi-elastic amplitude, ρ_MP-screened partial waves, the
exact Jacobian of the screened system, the Landau-curve bounds R(s), B(s), bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from smatrix.cli import main
from smatrix.kinematics import phase_space
from smatrix.twoprr.aks_bounds import b_maximum, bound_b, chi, ratio_r, t_mp
from smatrix.twoprr.grid import NodeGrid, planar_cross
from smatrix.twoprr.kernel import build_kernel
from smatrix.twoprr.screening import (ScreenConfig, ScreenedSystem, mp_norm, mp_support, screen)
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
    """The analytic Jacobian of the screened system (J_max = 4, random ρ_MP) against central
    differences."""
    grid = NodeGrid(16, 1e3)
    kernel = build_kernel(grid)
    sc = ScreenedSystem(grid, 4, kernel=kernel)
    rng = np.random.default_rng(3)
    x = np.concatenate([0.3 * rng.random(sc.n1), 0.01 * rng.random(sc.n2), 1e-2 * rng.standard_normal(sc.n3)])
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
    """`smatrix 2prr --screen-jmax 2` end to end on a small ladder: elastic J ≤ 2 at the nodes,
    c2 below the 2PRR amplitude's on every grid (screening drives c2 down, P2 Table 1), files."""
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
    for rung in d["rungs"]:
        assert rung["c2"] < rung["c2_2prr"]
    with np.load(out / "screened.npz", allow_pickle=False) as z:
        assert np.array_equal(z["rho_mp"], z["rho_mp"].T)
    for name in ("result.json", "screened_waves.png", "rho_mp.png", "screening_bounds.png"):
        assert (out / name).stat().st_size > 0
