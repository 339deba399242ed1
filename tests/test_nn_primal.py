"""Neural primal (P1 §5.1, §7): the unitarity residual on a known (SDP) amplitude, the Newton
polish onto the lower boundary, the universal Regge tail, the one-loop limit, the singular-threshold
family and the boundary criterion, the inelastic η0 export, checkpoint → resume, bad input."""
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import smatrix.neural.zero_ddisc_primal as nnp
from smatrix.neural.zero_ddisc_primal import NNPrimalConfig, train_primal
from smatrix.sdp.zero_ddisc_dual import solve_dual
from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.analysis import regge_L0, regge_fit, regge_re_f0
from smatrix.certify import certify_spin0
from smatrix.cli import main
from smatrix.errors import BadInput
from smatrix.inelasticity import load_profile
from smatrix.unitarity import GridSpec, UnitarityEquations, grid_operators, operators_on, polish

C0 = 28 * math.pi
K_ONE_LOOP = 1.0505e-4          # c2 = k c0² + O(c0³), docs/convergence.md
SMALL = GridSpec(threshold_density=4, bulk=40, regge_step=0.05, regge_max_step=0.8, s_imposed=1e10, s_max=1e20)


@pytest.fixture(scope="module")
def regular():
    return UnitarityEquations(grid_operators(GridSpec()), "regular")


def test_residual_vanishes_on_the_sdp_amplitude_and_polish_reaches_the_lower_boundary(regular):
    """The min-c2 amplitude of the spectral-grid SDP is elastic at low energy: the residual
    function, evaluated on its own grid, is |S0|² − 1 of that amplitude (an independent code path)
    and ~0 there. Polished on the primal grid it becomes the elastic amplitude of the lower
    boundary: residual at rounding, c2 on the rigorous dual bound, certified far into the UV."""
    c0 = 10 * math.pi
    amp = solve_grid("min-c2", c0, GridConfig(nodes=150, rounds=0)).amplitude
    own = UnitarityEquations(operators_on(amp.grid), "regular")
    phi = own.residual(amp.h_nodes[1:-1], c0)
    np.testing.assert_allclose(phi, np.abs(amp.S(0, own.points)) ** 2 - 1, atol=1e-10)
    assert np.max(np.abs(phi[own.points < 1e3])) < 1e-4

    s = regular.points
    p = polish(regular, amp.grid.h_values(s) @ amp.h_nodes, c0, None)
    assert p.residual < 1e-12
    assert p.c2 == pytest.approx(solve_dual("min-c2", c0).value, rel=2e-6)
    fine = p.equations.amplitude(p.h, c0)
    assert certify_spin0(fine, s, s_far=1e40).max_unitarity_violation < 1e-6
    # the Regge tail is the universal one (eq. 26 with its log correction)
    re = p.equations.re_f0(p.h, c0)
    win = (s > 1e6) & (s < 1e20)
    fit = regge_fit(s[win], re[win], (p.h / p.equations.phase_space)[win])
    assert fit.inside and fit.deviation < 0.02
    L0 = regge_L0(1e9, 0.05)
    assert regge_re_f0(1e9, L0) == pytest.approx(0.05, rel=1e-12)


def test_one_loop_limit():
    """At small c0 the trained and polished regular amplitude is the one-loop one: c2 = k c0²."""
    c0 = 0.5
    r = train_primal(c0, K_ONE_LOOP * c0**2, NNPrimalConfig(epochs=200), progress=False)
    cert = r.certificate
    assert cert["polished_residual"] < 1e-12 and r.certificate["max_unitarity_violation"] < 1e-6
    assert r.c2 / (K_ONE_LOOP * c0**2) == pytest.approx(1.0, abs=2e-3)
    assert cert["regge"]["inside"]


def test_singular_family_inside_and_the_boundary_criterion():
    """c0 = 28π, singular threshold: c2 = 3 is reached (residual ≤ 1e-8 on the grid, ≤ 1e-6 on
    the 4× denser check), inside the dual bounds; the same family pushed to c2 = 3.6, above the
    dual bound 3.5309, keeps |S0| = 1 at the nodes but its Re f0 turns negative at large s."""
    lo, hi = solve_dual("min-c2", C0).value, solve_dual("max-c2", C0).value
    r = train_primal(C0, 3.0, NNPrimalConfig(ansatz="singular", epochs=600), progress=False, dual_bounds=(lo, hi))
    cert = r.certificate
    assert r.status == "converged" and r.certified and r.c2 == pytest.approx(3.0, rel=1e-9)
    assert cert["polished_residual"] <= 1e-8 < cert["nn_residual"]
    assert cert["max_unitarity_violation"] <= 1e-6 and cert["details"]["max_abs_residual"] <= 1e-6
    assert cert["reached_within_dual"] and cert["regge"]["inside"]

    eq = UnitarityEquations(grid_operators(GridSpec()), "singular")
    out = polish(eq, r.extra["h"], C0, 3.6)
    assert out.residual < 1e-8 and out.c2 == pytest.approx(3.6, rel=1e-8)      # elastic on the grid …
    s, re = eq.points, out.equations.re_f0(out.h, C0)
    win = (s > 1e6) & (s < 1e20)
    fit = regge_fit(s[win], re[win], (out.h / eq.phase_space)[win])
    assert not fit.inside and "negative" in fit.reason                        # … but outside (criterion)


def test_inelastic_amplitude_exports_its_eta(tmp_path):
    """|S0| = 1 below 16 and above the window, |S0| ≤ 1 inside (eqs. 70–71): η0 is written in the
    injection schema, vanishes below s = 16 and the amplitude never exceeds |S0| = 1."""
    out = tmp_path / "eta0.json"
    r = train_primal(C0, 0.752, NNPrimalConfig(inelastic=True, epochs=600), eta_out=str(out), progress=False)
    assert r.status == "converged" and r.c2 == pytest.approx(0.752, rel=1e-8)
    assert r.certificate["max_unitarity_violation"] <= 1e-6
    prof = load_profile(out, extend="zero")
    assert prof.spins == [0] and prof.meta["source"] == "primal-nn"
    assert np.all(prof(0, np.array([5.0, 10.0, 15.9])) == 0.0) and prof.eta[0].max() > 1e-3
    assert prof(0, np.array([1e4]))[0] == 0.0


def test_checkpoint_resume_reproduces_the_run(tmp_path, monkeypatch):
    """Kill a run after its epoch-100 checkpoint, resume from it: bit for bit the same network."""
    cfg = NNPrimalConfig(epochs=200, checkpoint_every=100, polish=False, grid=SMALL)
    ck, killed = tmp_path / "primal.pt", tmp_path / "at100.pt"
    save = nnp.save_checkpoint

    def save_and_keep(path, *args):
        save(path, *args)
        if args[7] == 100:                     # the epoch argument
            shutil.copy(path, killed)
    monkeypatch.setattr(nnp, "save_checkpoint", save_and_keep)
    straight = train_primal(C0, 0.8, cfg, checkpoint=str(ck), progress=False)
    resumed = train_primal(C0, 0.8, cfg, init=str(killed), progress=False)
    assert resumed.certificate["start_epoch"] == 100
    np.testing.assert_array_equal(resumed.extra["h_nn"], straight.extra["h_nn"])
    assert resumed.extra["history"] == straight.extra["history"][100:]
    # another target: a hot start from the same weights, not a resume
    hot = train_primal(C0, 0.9, NNPrimalConfig(epochs=1, polish=False, grid=SMALL), init=str(ck), progress=False)
    assert hot.certificate["start_epoch"] == 0


def test_bad_input_is_reported(tmp_path, capsys):
    quick = NNPrimalConfig(epochs=1, polish=False, grid=SMALL)
    for bad in (math.nan, math.inf, -1.0):
        with pytest.raises(BadInput, match="c2"):
            train_primal(C0, bad, quick, progress=False)
    corrupt = tmp_path / "bad.pt"
    corrupt.write_text("not a checkpoint")
    with pytest.raises(BadInput, match="cannot read checkpoint"):
        train_primal(C0, 0.8, quick, init=str(corrupt), progress=False)
    good = tmp_path / "good.pt"
    train_primal(C0, 0.8, quick, checkpoint=str(good), progress=False)
    with pytest.raises(BadInput, match="its network .* is not this run's"):
        train_primal(C0, 0.8, NNPrimalConfig(epochs=1, width=16, polish=False, grid=SMALL), init=str(good),
                     progress=False)
    assert main(["nn-primal", "--c0", "28pi", "--c2", "nan", "--json"]) == 2
    assert main(["nn-primal", "--c0", "28pi", "--c2", "1", "--eta-out", str(tmp_path / "e.json")]) == 2
    assert main(["nn-primal", "--c0", "28pi", "--c2", "1", "--init", str(corrupt)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_nn_primal_json(capsys):
    assert main(["nn-primal", "--c0", "28pi", "--c2", "2", "--ansatz", "singular", "--epochs", "300", "--json"]) == 0
    d = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert d["method"] == "primal-nn" and d["status"] == "converged" and d["certified"]
    assert d["c2"] == pytest.approx(2.0, rel=1e-9) and d["certificate"]["polished_residual"] <= 1e-8


def test_midpoint_polish_removes_the_node_to_node_sawtooth_near_the_tip():
    """Near the tip the square system at the nodes admits a sawtooth: the stored lower-boundary
    amplitude at c0/π = 65.92 (20-slice almond) is unitary at the nodes to 1e-8 but |S0|² − 1
    alternates in sign between them (~2e-4). The between-node equations are |S0|² − 1 of the
    amplitude itself at the midpoints (an independent code path); least squares on nodes and
    midpoints leaves an amplitude allowed on the dense grid (≤ 1e-6 up to 1e40), on the allowed
    side of the rigorous dual bound and within 1e-6 of it."""
    from smatrix.certify import unitarity_violation
    from smatrix.unitarity import between_operators, polish_between
    d = json.loads((Path(__file__).parent / "data" / "pnn_sawtooth_65.9pi.json").read_text())
    c0, h = d["c0"], np.asarray(d["h"])
    eq = UnitarityEquations(grid_operators(GridSpec()), "regular").fitted_tail(h, c0)
    assert np.max(np.abs(eq.residual(h, c0))) < 1e-7
    eq = eq.with_between(between_operators(GridSpec()))
    mid = eq.residual_between(h, c0)
    np.testing.assert_allclose(mid, unitarity_violation(eq.amplitude(h, c0), eq.between.s), atol=1e-12)
    bulk = (eq.between.s > 7.0) & (eq.between.s < 9.0)
    assert np.min(np.abs(mid[bulk])) > 5e-5 and np.all(mid[bulk][1:] * mid[bulk][:-1] < 0)   # alternates
    p = polish_between(eq, h, c0, None)
    assert p.between and p.residual < 1e-6
    assert certify_spin0(p.equations.amplitude(p.h, c0), p.equations.points, s_far=1e40).max_unitarity_violation <= 1e-6
    dual = solve_dual("min-c2", c0).value
    assert 0.0 <= (p.c2 - dual) / dual < 1e-6
