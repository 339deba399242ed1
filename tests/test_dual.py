"""Dual bounds of the zero-ddisc model: kernels against mpmath, weak duality, the duality gap,
known limits, and bad input."""
import math

import mpmath as mp
import numpy as np
import pytest

from smatrix.sdp.objectives import BadInput
from smatrix.sdp.zero_ddisc_dual import DualConfig, DualDirection, certify_dual, solve_dual
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet
from smatrix.cli import main
from smatrix.dual import DualGrid, dual_grid


def _reference_G(nodes, wn, s):
    """(1/16π²)∫_4^Λ w(s')K̃(s', s) ds' in 30 digits, PV by subtraction of w(s)."""
    mp.mp.dps = 30
    nodes = [mp.mpf(x) for x in nodes]

    def w(sp):
        for i in range(len(nodes) - 1):
            if nodes[i] <= sp <= nodes[i + 1]:
                u = (sp - nodes[i]) / (nodes[i + 1] - nodes[i])
                return (1 - u) * wn[i] + u * wn[i + 1]
        return mp.mpf(0)

    s = mp.mpf(s)
    smooth = mp.quad(lambda sp: w(sp) * (-3 / (s - mp.mpf(4) / 3)
                                         + (2 / s if sp == 4 else 2 / (sp - 4) * mp.log(1 + (sp - 4) / s))), nodes)
    if s < nodes[-1]:
        ws = w(s)
        pole = mp.quad(lambda sp: (w(sp) - ws) / (s - sp) if sp != s else 0, sorted(set(nodes + [s])))
        pole += ws * mp.log((s - 4) / (nodes[-1] - s))
    else:
        pole = mp.quad(lambda sp: w(sp) / (s - sp), nodes)
    return float((smooth + pole) / (16 * mp.pi**2))


@pytest.mark.parametrize("nodes", [dual_grid(100.0, 12).nodes,
                                   np.concatenate([[4.0], 4 + np.geomspace(1e-6, 96, 30)])])
def test_dual_kernel_against_mpmath(nodes, rng):
    g = DualGrid(nodes)
    wn = rng.normal(size=g.size)
    wn[-1] = 0.0
    for s in [4.0000005123, 4.3, 5.17, 33.3, 99.9, 100.5, 450.0, 1e4, 1e9]:
        got = g.kernel_matrix([s])[0] @ wn
        ref = _reference_G(nodes, wn, s)
        # far above Λ the O(1/s) and O(1/s²) parts cancel: absolute accuracy ε·Λ|w|/s²
        assert abs(got - ref) <= 1e-12 * abs(ref) + 1e-14 * g.cutoff * np.max(np.abs(wn)) / s**2, s


def test_any_multiplier_gives_a_valid_bound(rng):
    """Weak duality holds for every w, not only the optimal one: random (w, ν) rescaled to the c0
    e.o.m. give D ≥ 0 and bounds above the best certified primal value."""
    cfg = DualConfig(cutoff=1e3, n_cheb=12, nodes=200)
    d = DualDirection.from_objective("max-c0", None)
    primal = solve_wavelet("max-c0", None, WaveletConfig(nmax=8)).value
    for _ in range(5):
        coef = rng.normal(size=13) * 20.0
        coef[0] += 200.0
        coef[2] -= 200.0                       # a positive bump 2 − 2y² plus noise
        r1, r2 = coef[2:].sum(), (coef[2:] * (-1.0) ** np.arange(2, 13)).sum()
        coef[0], coef[1] = -(r1 + r2) / 2, -(r1 - r2) / 2   # w(4) = w(Λ) = 0
        cert = certify_dual(cfg, d, coef, rng.uniform(0, 2))
        assert cert["D_certified"] >= 0
        assert cert["a_effective"] > 0 and cert["bound"] >= primal


@pytest.fixture(scope="module")
def slices():
    """Weak duality over 10 slices: primal (wavelet, Nmax = 8) inside the dual bounds."""
    out = []
    for c0 in np.linspace(5.0, 235.0, 10):
        row = {"c0": c0}
        for obj in ("min-c2", "max-c2"):
            row[obj] = (solve_wavelet(obj, c0, WaveletConfig(nmax=8)), solve_dual(obj, c0))
        out.append(row)
    return out


def test_weak_duality_on_ten_slices(slices):
    for row in slices:
        p, d = row["min-c2"]
        assert d.certified and p.value >= d.value - 1e-7 * abs(d.value), row["c0"]
        p, d = row["max-c2"]
        assert d.certified and p.value <= d.value + 1e-7 * abs(d.value), row["c0"]
        assert 0 <= row["min-c2"][1].value <= row["max-c2"][1].value <= 3 * row["c0"] / 64 + 1e-9


def test_gap_at_28pi_below_1e4():
    c0 = 28 * math.pi
    for obj in ("min-c2", "max-c2"):
        p = solve_wavelet(obj, c0, WaveletConfig(nmax=16))
        d = solve_dual(obj, c0)
        assert d.certified and (p.value - d.value) * (1 if obj == "min-c2" else -1) >= 0
        assert abs(p.value - d.value) / abs(d.value) < 1e-4, (obj, p.value, d.value)


def test_max_c0_bound_and_one_loop_lower_boundary():
    top = solve_dual("max-c0")
    assert top.certified and top.bound_kind == "dual (rigorous)"
    assert solve_wavelet("max-c0", None, WaveletConfig(nmax=12)).value <= top.value
    assert abs(solve_dual("min-c0").value) < 1e-8          # the free theory is allowed
    k = 1.0505e-4                                          # (1/32π²)∫ϱ/(s−4/3)³, docs/convergence.md
    low = solve_dual("min-c2", 1.0)
    assert low.value == pytest.approx(k, rel=2e-3)


def test_sum_rule_off_is_weaker_and_larger_cutoff_is_stronger():
    on_small = solve_dual("max-c0", config=DualConfig(cutoff=1e3)).value
    off_small = solve_dual("max-c0", config=DualConfig(cutoff=1e3, sum_rule=False)).value
    on_large = solve_dual("max-c0").value
    assert off_small > on_small > on_large


def test_above_max_c0_is_reported_infeasible():
    r = solve_dual("max-c2", 300.0)
    assert r.status == "infeasible" and r.value is None and "c0 ≤" in r.message


@pytest.mark.parametrize("kwargs", [{"cutoff": 4.0}, {"cutoff": 2.0}, {"n_cheb": 1}, {"nodes": 4}])
def test_bad_configuration(kwargs):
    with pytest.raises(BadInput):
        solve_dual("max-c0", config=DualConfig(**kwargs))


def test_cli_dual_errors(capsys):
    assert main(["dual", "--cutoff", "3"]) == 2
    assert main(["dual", "--n-cheb", "1"]) == 2
    assert main(["dual", "--objective", "max-c2"]) == 2      # needs --c0
    assert main(["dual", "--objective", "max-c2", "--c0", "400"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Λ > 4" in err


def test_dual_multipliers_reconstruct_the_primal_amplitude():
    """Eq. (43): at the optimum the dual multipliers describe an elastic S0 that coincides with the
    certified primal extremal amplitude (max c2 at 28π, away from threshold)."""
    from smatrix.sdp.zero_ddisc_dual import _operators
    from smatrix.dual import dual_partial_wave
    c0 = 28 * math.pi
    d = solve_dual("max-c2", c0)
    p = solve_wavelet("max-c2", c0, WaveletConfig(nmax=12))
    ops = _operators(DualConfig(), 2)
    s = 4 + np.geomspace(1e-2, 1e3, 200)
    S_dual = dual_partial_wave(ops.grid, ops.E @ d.extra["coef"], d.extra["nu"], d.extra["mu"], s)
    np.testing.assert_allclose(np.abs(S_dual), 1.0, atol=1e-12)
    assert p.certified and np.max(np.abs(S_dual - p.amplitude.S(0, s))) < 1e-3  # measured 2e-4


@pytest.mark.skipif(__import__("shutil").which("sdpb") is None,
                    reason="sdpb not installed (apt-get install -y sdpb; .ci/run installs it)")
def test_dual_through_sdpb_matches_clarabel_and_is_certified():
    """The same dual SDP through SDPB (256 bits): optimal, and the certified bound of its
    multiplier agrees with Clarabel's to 1e-9; both lie above the converged primal 243.0387."""
    cfg = dict(nodes=64, n_cheb=12)
    ref = solve_dual("max-c0", None, DualConfig(**cfg))
    res = solve_dual("max-c0", None, DualConfig(**cfg, solver="sdpb"))
    assert res.status == "optimal" and res.certified and res.solver == "sdpb"
    assert res.certificate["sdpb_duality_gap"] < 1e-20
    assert res.value == pytest.approx(ref.value, rel=1e-9)
    assert res.value > 243.0387
