"""Zero-ddisc primal bounds: physics limits, the two formulations against each other, certificates."""
import math

import numpy as np
import pytest
from scipy.integrate import quad

from smatrix.sdp.objectives import BadInput
from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet
from smatrix.certify import dense_check_points, unitarity_violation

C0_28PI = 28 * math.pi
# the formulations themselves (one solve each); the refinement loop is tested in test_refine.py
W = WaveletConfig(nmax=12, grid=300, rounds=0)
G = GridConfig(nodes=300, rounds=0)


@pytest.fixture(scope="module")
def slice_28pi():
    return {(m, o): f(o, C0_28PI, cfg) for m, f, cfg in (("w", solve_wavelet, W), ("g", solve_grid, G))
            for o in ("min-c2", "max-c2")}


def test_wavelet_and_grid_agree_at_28pi(slice_28pi):
    for obj in ("min-c2", "max-c2"):
        w, g = slice_28pi[("w", obj)].value, slice_28pi[("g", obj)].value
        assert abs(w - g) / w < 2e-4, (obj, w, g)


def test_simple_bounds_0_le_c2_le_3c0_over_64(slice_28pi):
    for res in slice_28pi.values():
        assert 0 < res.c2 <= 3 * C0_28PI / 64
        assert res.c0 == pytest.approx(C0_28PI, rel=1e-7)


def test_min_le_max_and_certificates_remeasured(slice_28pi):
    for m in ("w", "g"):
        assert slice_28pi[(m, "min-c2")].value < slice_28pi[(m, "max-c2")].value
    res = slice_28pi[("w", "max-c2")]
    amp = res.amplitude
    # independent re-measurement on an 8× denser grid than imposed
    s = dense_check_points(np.geomspace(4 + 1e-9, 1e10, 300), 8)
    worst = float(np.max(unitarity_violation(amp, s)))
    assert res.certified and worst < 1e-6
    assert amp.c0 == pytest.approx(C0_28PI, rel=1e-7)


def test_free_theory_c0_zero_gives_c2_zero():
    for obj in ("min-c2", "max-c2"):
        assert abs(solve_wavelet(obj, 0.0, WaveletConfig(nmax=6)).value) < 1e-7
        assert abs(solve_grid(obj, 0.0, GridConfig(nodes=80, rounds=0)).value) < 1e-7


def test_one_loop_lower_boundary():
    """Near the origin min c2 = k c0² with k = (1/32π²)∫ϱ/(s−4/3)³ (elastic unitarity at O(c0²),
    Im f0 = ϱ f0²/2, f0 = c0/16π, in the sum rule (27))."""
    k = quad(lambda s: math.sqrt((s - 4) / s) / (s - 4 / 3) ** 3, 4, math.inf)[0] / (32 * math.pi**2)
    for c0 in (0.25, 0.5):
        for res in (solve_wavelet("min-c2", c0, W), solve_grid("min-c2", c0, GridConfig(nodes=150, rounds=0))):
            assert res.value / c0**2 == pytest.approx(k, rel=5e-3)
    # and the upper boundary is tangent to c2 = 3c0/64 at the origin
    up = solve_wavelet("max-c2", 0.5, W)
    assert up.value / (3 * 0.5 / 64) == pytest.approx(1.0, abs=0.02)


def test_max_c0_both_methods_and_above_is_infeasible():
    w = solve_wavelet("max-c0", None, W)
    g = solve_grid("max-c0", None, G)
    assert 240 < g.value < w.value + 1.0 and abs(w.value - g.value) / w.value < 5e-3
    above = solve_wavelet("min-c2", 1.05 * w.value, W)
    assert above.status == "infeasible" and above.value is None and not above.certified


def test_uv_condition_off_overshoots_max_c0_and_certificate_catches_it():
    on = solve_wavelet("max-c0", None, WaveletConfig(nmax=12, grid=40, rounds=0))
    off = solve_wavelet("max-c0", None, WaveletConfig(nmax=12, grid=40, uv_condition=False, rounds=0))
    assert off.value > on.value + 5
    assert not off.certified and off.certificate["details"]["worst_s"] > 1e12


def test_negative_c0_is_infeasible_without_solving():
    for f in (solve_wavelet, solve_grid):
        r = f("min-c2", -1.0)
        assert r.status == "infeasible" and "c0 < 0" in r.message


def test_bad_objective_and_sizes():
    with pytest.raises(BadInput):
        solve_wavelet("max-c7", None)
    with pytest.raises(BadInput):
        solve_grid("min-c2", None)
    with pytest.raises(ValueError):
        solve_wavelet("max-c0", None, WaveletConfig(nmax=0))
    with pytest.raises(ValueError):
        solve_grid("max-c0", None, GridConfig(nodes=4))


def test_spline_elements_close_in_on_the_dual_bound():
    """At equal nodes the cubic-spline grid primal lies closer to the rigorous dual bound than the
    piecewise-linear one where the amplitude is elastic (max c2), and both respect weak duality."""
    from smatrix.sdp.zero_ddisc_dual import solve_dual
    c0 = 28 * math.pi
    bound = solve_dual("max-c2", c0).value
    lin = solve_grid("max-c2", c0, GridConfig(nodes=150, rounds=0)).value
    spl = solve_grid("max-c2", c0, GridConfig(nodes=150, spline=True, rounds=0)).value
    assert lin <= spl <= bound + 1e-7 * bound
    assert (bound - spl) < 0.5 * (bound - lin)


@pytest.mark.slow
def test_converged_grid_max_c0_within_1e4_of_the_dual_bound():
    """Slow (~8 min): spline elements with the intermediate region refined 16× (2220 nodes) close
    on the rigorous dual bound at max c0 (measured gap 5.7e-5; docs/convergence.md)."""
    from smatrix.sdp.zero_ddisc_dual import solve_dual
    bound = solve_dual("max-c0").value
    primal = solve_grid("max-c0", None, GridConfig(nodes=300, spline=True, refine=16, rounds=0)).value
    assert primal <= bound and (bound - primal) / bound < 1e-4


def test_refinement_moves_max_c0_towards_the_dual_bound():
    from smatrix.sdp.zero_ddisc_dual import solve_dual
    bound = solve_dual("max-c0").value
    coarse = solve_grid("max-c0", None, GridConfig(nodes=150, rounds=0)).value
    fine = solve_grid("max-c0", None, GridConfig(nodes=150, refine=2, rounds=0)).value
    assert coarse < fine <= bound


def test_wavelet_short_of_the_dual_bound_is_routed_to_the_grid_which_reaches_it():
    """Near the tip the float64 wavelet stalls (max c2 at c0 = 0.95 c0max: ~4e-3 below the dual
    bound); the default run solves the grid there, says so, and lands within 1e-4 of the dual; a
    point the wavelet reaches stays a wavelet point with its measured gap."""
    from smatrix.api import run
    from smatrix.problem import Problem
    c0 = 0.95 * 243.05301890392712
    routed = run("primal-wavelet", Problem.make("max-c2", c0))
    route = routed.extra["route"]
    assert routed.method == "primal-grid" and routed.config["route"] == "grid" and "spectral grid" in routed.message
    assert route["relative_gap"] > 1e-4 and routed.certified
    assert 0 <= (route["dual_bound"] - routed.value) / route["dual_bound"] <= 1e-4   # primal ≤ dual, and close
    kept = run("primal-wavelet", Problem.make("min-c2", 28 * np.pi))
    assert kept.method == "primal-wavelet" and kept.extra["route"]["relative_gap"] <= 1e-4
    assert kept.value >= kept.extra["route"]["dual_bound"]                            # min c2: primal ≥ dual


def test_max_c0_by_default_is_the_certified_grid_tip_within_1e4_of_the_dual_bound():
    """The default (routed) max c0 is solved on the grid directly — the float64 wavelet stalls
    5.3e-4 below the tip — certified on 16× the imposed points and within 1e-4 below the rigorous
    dual bound (primal ≤ dual); the same value as the grid run by hand."""
    from smatrix.api import run
    from smatrix.problem import Problem
    from smatrix.sdp.zero_ddisc_dual import solve_dual
    tip = run("primal-wavelet", Problem.make("max-c0"))
    bound = solve_dual("max-c0").value
    assert tip.method == "primal-grid" and tip.config["route"] == "grid" and tip.certified
    assert tip.certificate["details"]["density_factor"] == 16
    assert 0 <= (bound - tip.value) / bound <= 1e-4
    assert tip.value == run("primal-grid", Problem.make("max-c0")).value


def test_rows_added_for_violating_points_are_those_built_with_all_points():
    """The refinement adds only the rows of its new points (sdp/zero_ddisc_grid.with_points): they
    agree with the maps built for every point at once, and the base points keep their rows."""
    from smatrix.sdp.zero_ddisc_grid import _rows, grid_operators, with_points
    base = grid_operators(120, 1e4, 1e12, 2, True, 2)
    grown = with_points(base, np.array([4.0, 4.813, 5.3, 900.0, 1.5e12, 3e12]))
    assert grown.imposed.size == base.imposed.size + 5 and np.all(np.diff(grown.imposed) > 0)  # s = 4 dropped
    h_at, re_f0 = _rows(base.grid, grown.imposed)
    assert np.max(np.abs(grown.h_at - h_at)) < 1e-14 and np.max(np.abs(grown.re_f0 - re_f0)) < 1e-12
    kept = np.isin(grown.imposed, base.imposed)
    assert np.array_equal(grown.re_f0[kept], base.re_f0)


def test_the_routed_grid_keeps_the_rounds_and_tolerance_it_was_given():
    """`rounds = 0` given to the default route reaches the grid: one solve, whose constraint set is a
    subset of the refined one's, so its max c0 is not below the refined value, and whose between-point
    violation (3e-4 at s ≈ 4.9) is reported as uncertified rather than refined behind the user's back."""
    from smatrix.api import run
    from smatrix.problem import Problem
    one = run("primal-wavelet", Problem.make("max-c0"), rounds=0)
    loose = run("primal-wavelet", Problem.make("max-c0"), rounds=0, tolerance=1e-3)
    assert one.method == "primal-grid" and one.config["rounds"] == 0 and not one.certified
    assert one.certificate["max_unitarity_violation"] > 1e-4 and one.value > 243.0393514 - 1e-6
    assert loose.config["tolerance"] == 1e-3 and loose.certified and loose.value == one.value
