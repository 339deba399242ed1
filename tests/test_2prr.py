"""2PRR amplitudes (P2 §2–4): the operators against independent integrators and exact identities,
the classical solver against weak coupling and the Froissart–Gribov identity, bad input."""
from __future__ import annotations

import json
import math

import mpmath as mp
import numpy as np
import pytest
from scipy.integrate import quad

from smatrix.cli import main
from smatrix.partial_waves import project
from smatrix.twoprr.certify import Tolerances, certify
from smatrix.twoprr.grid import NodeGrid, elastic_support, legendre_q, xi_of_x
from smatrix.twoprr.kernel import build_kernel, kernel_at, mandelstam_prefactor
from smatrix.twoprr.operators import bubble_c2
from smatrix.twoprr.run import RunConfig, eta_profile, run_2prr
from smatrix.twoprr.solver import Solution, SolverConfig, solve
from smatrix.twoprr.system import TwoPRRSystem
from smatrix.inelasticity import load_profile


@pytest.fixture(scope="module")
def small():
    """A converged 2PRR amplitude at c0 = 20π on a small grid (n = 32)."""
    grid = NodeGrid(32, 1e8)
    system = TwoPRRSystem(grid, kernel=build_kernel(grid))
    sol = solve(20 * math.pi, SolverConfig(n=32, s_max=1e8), system=system)
    assert sol.status == "converged"
    return system, sol, sol.amplitude(system)


def test_legendre_q_against_mpmath():
    for J in (0, 2, 4, 10):
        z = np.array([1.0001, 1.1, 1.19, 1.21, 3.0, 50.0])
        ref = np.array([float(mp.legenq(J, 0, x, type=3).real) for x in z])
        assert np.max(np.abs(legendre_q(J, z) / ref - 1)) < 1e-10


@pytest.mark.parametrize("J", [0, 2, 4])
def test_q_identity_of_the_mandelstam_kernel(J):
    """∫_{η+}^∞ dz Q_J(z)/sqrt((z − η+)(z − η−)) = Q_J(η')Q_J(η'') (spec/2prr.md), to 1e-10."""
    for e1, e2 in ((1.3, 1.7), (2.5, 1.05), (6.0, 11.0)):
        root = math.sqrt((e1**2 - 1) * (e2**2 - 1))
        ep, em = e1 * e2 + root, e1 * e2 - root
        f = lambda v: legendre_q(J, np.array([ep + v * v]))[0] * 2 / math.sqrt(ep + v * v - em)
        lhs = quad(f, 0, np.inf, epsabs=0, epsrel=1e-13, limit=400)[0]
        rhs = legendre_q(J, np.array([e1]))[0] * legendre_q(J, np.array([e2]))[0]
        assert abs(lhs / rhs - 1) < 1e-10


def test_cauchy_transform_against_quadrature():
    """H_m(x) of a piecewise-linear density (with its Regge tail) against scipy's adaptive quad,
    below the cut, on it (principal value) and at nodes."""
    g = NodeGrid(20, 1e4)
    c = np.zeros(g.n + 1)
    c[1:g.n - 1] = 2 + np.sin(np.arange(1, g.n - 1))
    c[g.n - 1] = c[g.n] = 1.3
    xi_nodes = g.xi
    vals = c[: g.n]

    def rho(s):
        return 1.3 * g.tail(np.array([s]))[0] if s > g.s_max else np.interp(xi_of_x(s), xi_nodes, vals)

    def ref(x):
        tot = 0.0
        for a, b in zip(g.nodes[:-1], g.nodes[1:]):
            if a < x < b:
                fx = rho(x)
                tot += quad(lambda s: (rho(s) - fx) / (s - x), a, b, points=[x], limit=200)[0]
                tot += fx * math.log((b - x) / (x - a))
            elif x <= a or x >= b:
                if x in (a, b):
                    continue
                tot += quad(lambda s: rho(s) / (s - x), a, b, limit=200)[0]
            tot -= quad(lambda s: rho(s) / (s - 4 / 3), a, b, limit=200)[0]
        tail = lambda y: rho(g.s_max * math.exp(y)) * g.s_max * math.exp(y)
        tot += quad(lambda y: tail(y) * (1 / (g.s_max * math.exp(y) - x) - 1 / (g.s_max * math.exp(y) - 4 / 3)),
                    0, 300, limit=400)[0]
        return complex(tot / math.pi, rho(x) if x > 4 else 0.0)

    for x in (-10.0, 1.0, 4.001, 0.5 * (g.nodes[6] + g.nodes[7]), 2000.0):
        H = g.cauchy(np.array([x]))[0] @ c
        assert abs(H - ref(x)) < 1e-10 * max(1.0, abs(ref(x)))


def _adaptive_mandelstam(s, t, Tt):
    """Eq. (10) by nested adaptive quadrature (substitutions remove the end-point singularities)."""
    d = s - 4
    a, a1 = math.acosh(1 + 2 * t / d), math.acosh(1 + 8 / d)

    def inner(ap):
        b = a - ap

        def f(u):
            app = b - u * u
            f1 = 2 * math.sinh(0.5 * (a + ap + app)) * math.sinh(0.5 * u * u)
            q = ap - app
            f2 = 2 * math.sinh(0.5 * (a + q)) * math.sinh(0.5 * (a - q))
            prod = (Tt(d * math.sinh(ap / 2) ** 2) * np.conj(Tt(d * math.sinh(app / 2) ** 2))).real
            return prod * math.sinh(ap) * math.sinh(app) / math.sqrt(f1 * f2) * 2 * u
        return quad(f, 0, math.sqrt(b - a1), limit=200, epsrel=1e-10, epsabs=0)[0]
    outer = quad(lambda w: inner((a - a1) - w * w) * 2 * w, 0, math.sqrt(a - 2 * a1), limit=200, epsrel=1e-9, epsabs=0)
    return mandelstam_prefactor(s) * outer[0]


def test_mandelstam_kernel_against_adaptive_quadrature():
    """At N = 48 (uniform in ξ up to s_max = 1e6, the grid of spec/2prr.md) the discretised kernel
    reproduces eq. (10) for a smooth T_t to ≤ 2e-3 relative — the interpolation of T_t between
    nodes; its own quadrature is converged to 1e-5 per entry (order 8 against order 20)."""
    g = NodeGrid(48, 1e6, grading=0.0)
    T = lambda t: (1 + 0.5j) * np.sqrt(t - 4) / (t + 10) + 0.3 / (1 + np.log(t / 4))
    Tn = T(g.nodes)
    mask = elastic_support(g)
    for i in (4, 30):
        s = g.nodes[i]
        ks = np.flatnonzero(mask[i])
        pick = [ks[0], ks[len(ks) // 2]]
        M = kernel_at(g, s, pick)
        assert np.max(np.abs(kernel_at(g, s, pick, order=20) - M)) < 1e-5 * np.max(np.abs(M))
        disc = mandelstam_prefactor(s) * (np.einsum("kjl,j,l->k", M, Tn.real, Tn.real)
                                          + np.einsum("kjl,j,l->k", M, Tn.imag, Tn.imag))
        for val, k in zip(disc, pick):
            assert abs(val / _adaptive_mandelstam(s, g.nodes[k], T) - 1) < 2e-3


def test_weak_coupling_bubble():
    """c2/(its bubble value) → 1 within 2e-3 at c0 = 0.01 (spec/2prr.md)."""
    grid = NodeGrid(32, 1e8)
    system = TwoPRRSystem(grid, kernel=build_kernel(grid))
    sol = solve(0.01, SolverConfig(n=32, s_max=1e8), system=system)
    assert sol.status == "converged"
    assert abs(system.c2(sol.u) / bubble_c2(0.01) - 1) < 2e-3


def test_solution_satisfies_unitarity_and_froissart_gribov(small):
    system, sol, amp = small
    assert sol.residual < 1e-10
    cert = certify(amp, system, sol.u, Tolerances(spin0_offgrid=5e-3))   # coarse test grid (n = 32)
    d = cert.details
    assert d["mandelstam_residual"] < 1e-8 and d["spin0_residual"] < 1e-8
    assert d["kernel_mismatch"] < 1e-12
    for J in ("2", "4", "6"):
        assert d["spins"][J]["elastic_max_abs"] < 1e-5             # |S_J| = 1 on 4 < s < 16, off the grid too
        assert d["spins"][J]["inelastic_max"] < 1e-6               # |S_J| ≤ 1 above s = 16
        assert d["froissart_gribov_identity"][J]["all"] < 3e-2          # discrete FG of ρ_el vs (ϱ/2)|f_J|²
    assert d["eta_min"] >= -1e-8 and d["eta_max"] < 1
    assert d["spins"]["0"]["spin0_residual_offgrid"] < 5e-3          # between nodes: discretisation
    assert cert.passed


def test_partial_waves_by_two_routes(small):
    """f0 from the representation (eq. 84 corrected) and f2 by Froissart–Gribov agree with a direct
    angular projection of T(s, t) (P2 eq. 83c)."""
    _, _, amp = small
    s = np.array([5.0, 11.0, 30.0, 400.0])
    assert np.max(np.abs(amp.f0(s) - project(amp.T, 0, s))) < 1e-10
    f2 = amp.f(2, s)
    assert np.max(np.abs(f2 - project(amp.T, 2, s))) < 1e-3 * np.max(np.abs(f2))


def test_crossing_and_c2_from_the_representation(small):
    _, _, amp = small
    s, t = np.array([0.3, 1.1, 2.9]), np.array([2.0, 0.7, -3.0])
    assert np.allclose(amp.T(s, t), amp.T(t, s), rtol=1e-12, atol=1e-12)
    assert np.allclose(amp.T(s, t), amp.T(s, 4 - s - t), rtol=1e-12, atol=1e-12)
    h = 1e-2
    s0 = 4 / 3
    vals = amp.T(np.array([s0 - 2 * h, s0 - h, s0, s0 + h, s0 + 2 * h]), np.full(5, s0)).real
    d2 = (-vals[0] + 16 * vals[1] - 30 * vals[2] + 16 * vals[3] - vals[4]) / (12 * h * h)
    assert abs(d2 / 4 - amp.c2) < 1e-7 * abs(amp.c2)
    assert abs(amp.T(np.array([s0]), np.array([s0]))[0].real - amp.c0) < 1e-10


def test_peak_inelasticity_against_the_fit_of_p2(small):
    """max η0 ≈ 0.12 (c0/32π)^2.5 (P2 Fig. 25) within 10 % at 20π; η_J falls with J."""
    system, _, amp = small
    s = np.geomspace(16.5, 1e6, 300)
    peaks = [amp.eta(J, s).max() for J in (0, 2, 4, 6)]
    assert abs(peaks[0] / (0.12 * (20 / 32) ** 2.5) - 1) < 0.1
    assert all(a > b for a, b in zip(peaks, peaks[1:]))


def test_eta_profile_feeds_the_injection_schema(small, tmp_path):
    system, _, amp = small
    eta_profile(amp, system).save(tmp_path / "eta.json")
    back = load_profile(tmp_path / "eta.json")
    assert sorted(back.eta) == [0, 2, 4, 6, 8, 10]
    assert np.all(back.eta[0][back.s < 16] == 0) and back.eta[0].max() > 0.03
    assert json.loads((tmp_path / "eta.json").read_text())["meta"]["c0"] == pytest.approx(20 * math.pi)


def test_tampered_kernel_is_caught_by_the_certificate(small):
    """The certificate rebuilds kernel rows itself: a solve on a scaled kernel is not certified."""
    system, _, _ = small
    bad = {"pairs": system.kernel["pairs"], "M": system.kernel["M"] * 0.99}
    tampered = TwoPRRSystem(system.grid, kernel=bad)
    sol = solve(20 * math.pi, SolverConfig(n=32, s_max=1e8), system=tampered)
    cert = certify(sol.amplitude(tampered), tampered, sol.u)
    assert cert.details["kernel_mismatch"] > 1e-3 and not cert.passed


def test_save_load_and_hot_start(small, tmp_path):
    system, sol, _ = small
    sol.save(tmp_path / "sol.npz")
    back = Solution.load(tmp_path / "sol.npz")
    assert back.c0 == sol.c0 and np.array_equal(back.u, sol.u)
    again = solve(20 * math.pi, SolverConfig(n=32, s_max=1e8), init=back, system=system)
    assert again.status == "converged" and again.iterations <= 1
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable 2PRR solution"):
        Solution.load(tmp_path / "bad.npz")


def test_not_converged_is_reported_without_a_number():
    """One Newton step per continuation step cannot reach 1e-12: status not-converged, no value."""
    cfg = RunConfig(c0=40 * math.pi, n=16, s_max=1e4, ladder=(16,), tol=1e-12, max_iter=1)
    res = run_2prr(cfg).result
    assert res.status == "not-converged" and not res.certified
    assert res.value is None and res.c2 is None and "max |F|" in res.message


def test_cli_bad_input(tmp_path, capsys):
    assert main(["2prr", "--c0", "-1"]) == 2
    assert "c0" in capsys.readouterr().err
    assert main(["2prr", "--c0", "10pi", "--n", "8", "--ladder", "8"]) == 2
    (tmp_path / "x.npz").write_bytes(b"garbage")
    assert main(["2prr", "--c0", "10pi", "--n", "16", "--ladder", "16", "--init", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "not a readable 2PRR solution" in err and "Traceback" not in err
    assert main(["2prr", "--c0", "10pi", "--eta-out", str(tmp_path / "no" / "such" / "eta.json")]) == 2


def test_cli_json_and_outputs(tmp_path, capsys):
    code = main(["2prr", "--c0", "8pi", "--n", "20", "--ladder", "16,20", "--smax", "1e6",
                 "--out", str(tmp_path / "run"), "--no-plots", "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["status"] == "converged" and out["c2"] > 0 and out["c2_error"] > 0
    assert set(out["eta_peak"]) == {"0", "2", "4", "6", "8", "10"}
    assert (tmp_path / "run" / "solution.npz").exists() and (tmp_path / "run" / "eta.json").exists()
    assert Solution.load(tmp_path / "run" / "solution.npz").status == "converged"


def test_complex_continuation_and_no_resonance(small):
    """f0 continues into the upper half plane (→ the upper lip as Im s → 0), and S0 of the 2PRR
    amplitude has no zero near the real axis (P2 §4: no resonances); the phase shift is the
    existing analysis routine, unchanged."""
    from smatrix.analysis import phase_shift, s0_zeros
    _, _, amp = small
    s = np.array([5.0, 12.0, 60.0])
    assert np.max(np.abs(amp.f0(s + 1e-8j) - amp.f0(s))) < 1e-6 * np.max(np.abs(amp.f0(s)))
    delta = phase_shift(amp, np.linspace(4.05, 16.0, 40))
    assert np.all((delta > 0) & (delta < np.pi / 4))     # attractive, never near π/2: no resonance
    assert s0_zeros(amp, 4.05, 60.0, n_scan=60) == []
