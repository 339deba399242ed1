"""The QOTAM kernel on the sphere (smatrix.qotam): exact unitarity of a unitary input, the plan's
marginals and the optical defect at every node, a counterexample (marginals exact, one wave
super-unitary), S vs S* indistinguishable, and what the scaling iteration does as the grid grows."""
import math

import numpy as np
import pytest

from smatrix.optical import optical_defect
from smatrix.qotam import (complex_sinkhorn, kernel_amplitude, kernel_partial_waves, marginal_errors, plan,
                           qotam_iterate, rescaled_deficit, sphere_kernel, sphere_rule, symmetric_scaling,
                           unitarity_residual)
from smatrix.simple_amplitudes import PartialWaveSum, Phi3Tree

S = 7.0
L = 8
SPINS = range(0, L + 1, 2)


@pytest.fixture(scope="module")
def phases():
    rng = np.random.default_rng(17)
    return {J: rng.uniform(0, math.pi) for J in SPINS}


def test_rule_integrates_harmonics_exactly():
    rule = sphere_rule(L)
    assert abs(rule.weights.sum() - 4 * math.pi) < 1e-13
    x = rule.nodes[:, 2]
    assert abs(np.sum(rule.weights * x ** (2 * L)) - 4 * math.pi / (2 * L + 1)) < 1e-13


def test_unitary_input_gives_unitary_kernel_and_doubly_stochastic_plan(phases):
    amp = PartialWaveSum({J: np.exp(2j * d) for J, d in phases.items()})
    rule = sphere_rule(L)
    K = sphere_kernel(amp.T, S, rule)
    assert unitarity_residual(K) < 1e-13
    out, inc = marginal_errors(K)
    assert max(np.max(np.abs(out)), np.max(np.abs(inc))) < 1e-13
    S_J = kernel_partial_waves(K, rule, SPINS)   # the projectors recover the waves put in
    assert np.max(np.abs(S_J - [amp.S(J, S)[0] for J in SPINS])) < 1e-13
    # eq. (10) with point wavepackets reads T back
    z = np.clip(rule.nodes @ rule.nodes.T, -1, 1)
    T = amp.T(np.full_like(z, S), -0.5 * (S - 4) * (1 - z))
    assert np.max(np.abs(kernel_amplitude(K, rule, S) - T)) < 1e-9 * np.max(np.abs(T))
    # the scaling iteration leaves a doubly stochastic plan alone
    K2, rec = qotam_iterate(K, rule, 0)
    assert np.max(np.abs(K2 - K)) < 1e-13


def test_inelastic_input_rescaled_deficit_is_the_optical_defect_at_every_node(phases):
    eta = {J: 0.05 * (1 + J / 4) for J in SPINS}
    amp = PartialWaveSum({J: math.sqrt(1 - eta[J]) * np.exp(2j * d) for J, d in phases.items()})
    rule = sphere_rule(L)
    deficit = rescaled_deficit(sphere_kernel(amp.T, S, rule), rule)
    want = sum((2 * J + 1) * e for J, e in eta.items())
    assert np.max(np.abs(deficit - want)) < 1e-11
    assert abs(optical_defect(amp, [S]).total[0] - want) < 1e-11


def test_phi3_tree_deficit_at_every_node_converges_to_the_optical_defect():
    """Not band-limited: the node-by-node deficit approaches D(s) as the rule resolves the waves."""
    amp = Phi3Tree(3.0)
    D = optical_defect(amp, [S]).total[0]
    errs = [np.max(np.abs(rescaled_deficit(sphere_kernel(amp.T, S, r), r) - D)) for r in map(sphere_rule, (4, 8, 16))]
    assert errs[2] < 1e-8 * abs(D) and errs[0] > errs[1] > errs[2]


def test_marginals_hold_exactly_while_one_wave_is_super_unitary():
    """η0 = −5ε, η2 = +ε: Σ(2J+1)η_J = 0, so |K|² is doubly stochastic, yet |S0| > 1."""
    eps = 0.04
    amp = PartialWaveSum({0: math.sqrt(1 + 5 * eps) * np.exp(0.7j), 2: math.sqrt(1 - eps) * np.exp(0.2j)})
    assert abs(amp.S(0, S)[0]) > 1
    rule = sphere_rule(L)
    K = sphere_kernel(amp.T, S, rule)
    out, inc = marginal_errors(K)
    assert max(np.max(np.abs(out)), np.max(np.abs(inc))) < 1e-13
    assert abs(optical_defect(amp, [S]).total[0]) < 1e-12
    assert unitarity_residual(K) > 1e-3    # the full S†S = 1 is violated; only its diagonal holds


def test_plan_cannot_tell_S_from_its_conjugate(phases):
    """δ_J → −δ_J (S → S*) built independently: different kernels, identical plans."""
    rule = sphere_rule(L)
    K = sphere_kernel(PartialWaveSum({J: np.exp(2j * d) for J, d in phases.items()}).T, S, rule)
    Kc = sphere_kernel(PartialWaveSum({J: np.exp(-2j * d) for J, d in phases.items()}).T, S, rule)
    assert np.max(np.abs(K - Kc)) > 0.1
    assert np.max(np.abs(plan(K) - plan(Kc))) < 1e-14


def test_scaling_changes_vanish_as_the_grid_grows():
    """Sinkhorn on the φ³ tree kernel: each spin-J average moves by O(1/N) (N nodes), but the
    (2J+1)-weighted sum over the ~N waves the grid holds keeps moving by an O(1) fraction of D —
    a grid artefact — and S†S − 1 is not reduced (scaling cannot make a kernel unitary)."""
    amp = Phi3Tree(3.0)
    D = optical_defect(amp, [S]).total[0]
    moves = []
    for Lr in (6, 12):
        rule = sphere_rule(Lr)
        K = sphere_kernel(amp.T, S, rule)
        Ks, rec = qotam_iterate(K, rule, 0)
        assert max(np.max(np.abs(m)) for m in marginal_errors(Ks)) < 1e-13 and rec.max_phase_change < 1e-12
        spins = range(0, Lr + 1, 2)
        before, after = kernel_partial_waves(K, rule, spins), kernel_partial_waves(Ks, rule, spins)
        moves.append(np.max(np.abs(after - before)))
        eta_sum = [sum((2 * J + 1) * (1 - abs(x) ** 2) for J, x in zip(spins, v)) for v in (before, after)]
        assert abs(eta_sum[0] - D) < 1e-6 * abs(D)
        assert 0.2 < 1 - eta_sum[1] / D < 0.5
        assert unitarity_residual(Ks) > 0.99 * unitarity_residual(K)
    assert moves[1] < moves[0] / 2.5


def test_paper_sweeps_reach_the_same_scaling_more_slowly():
    rule = sphere_rule(4)
    K = sphere_kernel(Phi3Tree(3.0).T, S, rule)
    Kn, _ = symmetric_scaling(K)
    Ks, sweeps = complex_sinkhorn(K, max_iterations=200, tol=0.0)
    assert sweeps == 200
    assert np.max(np.abs(marginal_errors(Ks)[0])) > 1e-10   # still not converged
    assert np.max(np.abs(plan(Ks) - plan(Kn))) < 1e-6


def test_cli_qotam_phi4_json_and_bad_input(capsys):
    import json

    from smatrix.cli import main
    from smatrix.kinematics import phase_space
    assert main(["qotam", "--amplitude", "phi4", "--coupling", "2", "--s", "9", "--lmax", "6", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    want = -phase_space(9.0) ** 2 * 4 / (256 * math.pi**2)
    assert abs(rep["optical_defect"] - want) < 1e-14
    assert rep["deficit_at_nodes"]["max_abs_minus_defect"] < 1e-12
    assert rep["iteration"]["marginal_errors_after"] < 1e-13
    for argv in (["qotam", "--s", "4"], ["qotam", "--lmax", "99"], ["qotam", "--steps", "-1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "\n" not in err
