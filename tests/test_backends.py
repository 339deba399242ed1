"""The convex back-ends behind one interface, the reductions, and the compiled-once Parameters.

Determinism: a point's number must not depend on what was solved before it in the process (the
almond's resume tests compare stored and recomputed points bit for bit), so a point solved on a
fresh compile and on a problem compiled for another point must give identical floats."""
import math
from dataclasses import replace
import shutil

import mpmath as mp
import numpy as np
import pytest

from smatrix.sdp import backends
from smatrix.sdp.backends import CvxoptBackend, CvxpyBackend, SDPBBackend, SolverUnavailable, backend, clear_compiled
from smatrix.sdp.problems import ProblemData
from smatrix.sdp.reduced_socp import solve_reduced
from smatrix.sdp.reductions import (Chain, ExactDigits, FixedC0Chart, OrthonormalBasis, RowBalancing, UnitarityRows,
                                    UVElimination)
from smatrix.sdp.zero_ddisc_dual import DualConfig, solve_dual
from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet, uv_design, wavelet_design
from smatrix.grids import unitarity_grid, wavelet_centres

C0 = 28 * math.pi
DUAL = DualConfig(nodes=200, n_cheb=16)


def _bits(res) -> tuple:
    arrays = [np.asarray(v, dtype=float).tobytes() for k, v in sorted(res.extra.items()) if k in ("coef", "nu")]
    return (res.value, res.c0, res.c2, *arrays)


def test_dual_point_is_bit_identical_fresh_reused_and_alone():
    clear_compiled()
    fresh = solve_dual("min-c2", C0, DUAL)                  # compiles the fixed-c0 structure
    other = solve_dual("max-c2", 20 * math.pi, DUAL)        # the same compiled problem, other c0 and direction
    reused = solve_dual("min-c2", C0, DUAL)
    assert len([k for k in backends._COMPILED if k[0] == "dual"]) == 1   # one compile for all three
    clear_compiled()
    alone = solve_dual("min-c2", C0, DUAL)                  # as after a resume in a new process
    assert _bits(fresh) == _bits(reused) == _bits(alone)
    assert other.value > 3 * fresh.value                    # a different point indeed (c2 max ≫ min)


def test_primal_points_are_bit_identical_fresh_and_reused():
    grid, wave = GridConfig(nodes=80, rounds=0), WaveletConfig(nmax=5, grid=100, rounds=0)
    clear_compiled()
    first = [solve_grid("max-c2", C0, grid).value, solve_wavelet("min-c2", C0, wave).value]
    solve_grid("min-c2", 24 * math.pi, grid), solve_wavelet("max-c2", 24 * math.pi, wave)
    again = [solve_grid("max-c2", C0, grid).value, solve_wavelet("min-c2", C0, wave).value]
    assert first == again


def test_parameters_give_the_problem_built_for_the_point():
    """Second way: the min c2 at c0 from the scan's compiled problem (compiled at another c0) is
    the min c2 of the dual bound's own point, within the solver's tolerance, and the dual bounds it."""
    clear_compiled()
    grid = GridConfig(nodes=80, rounds=0)
    solve_grid("min-c2", 20 * math.pi, grid)
    lo = solve_grid("min-c2", C0, grid)
    assert lo.c0 == pytest.approx(C0, rel=1e-9)             # the Parameter c0 was imposed
    dual = solve_dual("min-c2", C0, DUAL)
    assert dual.value <= lo.value + 1e-6                    # primal achieved ≥ rigorous lower bound


def _wavelet_rows(nmax=4, grid=60):
    centres, s = wavelet_centres(nmax), unitarity_grid(grid)
    B, re_S1, im_S, c0, c2 = wavelet_design(centres, s, True, True)
    return B, UnitarityRows(re_S1, im_S, c0, c2)


def test_orthonormal_basis_inverts_to_the_same_constraint_values():
    _, rows = _wavelet_rows()
    red, basis = OrthonormalBasis(1e-13).apply(rows)
    beta = np.random.default_rng(1).normal(size=basis.rank)
    gamma = OrthonormalBasis.invert(beta, basis)
    for orig, new in ((rows.re_S1, red.re_S1), (rows.im_S, red.im_S)):   # same Re S − 1, Im S either way
        assert np.allclose(np.asarray(orig, dtype=float) @ np.asarray(gamma, dtype=float), new @ beta,
                           rtol=1e-8, atol=1e-9 * np.abs(new @ beta).max())
    assert np.allclose(red.re_S1.T @ red.re_S1 + red.im_S.T @ red.im_S + np.outer(red.c0_row, red.c0_row)
                       + np.outer(red.c2_row, red.c2_row), np.eye(basis.rank), atol=1e-12)   # orthonormal


def test_uv_elimination_and_fixed_c0_chart_hold_exactly():
    B = uv_design(3, True, True, float)
    alpha = UVElimination.invert(np.array([1.0, 2.0, 3.0, 0.5]), B)
    assert alpha[0] == 3 * (alpha[1] + alpha[2] + alpha[3])             # α0 = 3 Σ α_σ: f0(∞) = 0
    _, rows = _wavelet_rows(3, 30)
    exact, _ = ExactDigits(40).apply(OrthonormalBasis(1e-13).apply(rows)[0])
    chart = FixedC0Chart(C0, 40)
    affine, inverse = chart.apply(exact)
    y = [mp.mpf(k) / 7 for k in range(affine.re_S1.shape[1] - 1)]
    with mp.workdps(40):
        assert abs(exact.c0_row @ chart.invert(y, inverse) - C0) < mp.mpf(10) ** -30   # c0 = c̄0 for every y
    chain = Chain((OrthonormalBasis(1e-13), ExactDigits(40), chart))                   # back to γ, in reverse
    affine, inverse = chain.apply(rows)
    gamma = chain.invert(y, inverse)
    assert float(np.asarray(rows.c0_row, dtype=float) @ np.asarray(gamma, dtype=float)) == pytest.approx(C0, rel=1e-9)
    balanced, _ = RowBalancing().apply(OrthonormalBasis(1e-13).apply(rows)[0])
    assert balanced.scale.shape == (rows.m,) and np.all(balanced.scale > 0)


def test_backend_names_and_missing_forms_are_clear():
    assert isinstance(backend("clarabel"), CvxpyBackend) and isinstance(backend("sdpb"), SDPBBackend)
    with pytest.raises(SolverUnavailable, match="choose from clarabel, scs, cvxopt, sdpb"):
        backend("mosek")
    with pytest.raises(SolverUnavailable, match="no SDPB form"):
        backend("sdpb").solve(ProblemData("primal-grid"))
    with pytest.raises(SolverUnavailable, match="no cvxpy form"):
        backend("clarabel").solve(ProblemData("primal-wavelet-hp"))


def test_grid_primal_by_cvxopt_and_clarabel_agree_and_respect_the_dual_bound():
    """The dense CVXOPT path (the grid's default) and Clarabel on the same rows: one optimum, and
    min c2 at fixed c0 never below the rigorous dual lower bound there (primal ≥ dual)."""
    cfg = GridConfig(nodes=120, spline=True, refine=2, rounds=0)
    by = {s: solve_grid("min-c2", C0, replace(cfg, solver=s)) for s in ("cvxopt", "clarabel")}
    assert by["cvxopt"].status == "optimal"      # Clarabel: optimal_inaccurate on these 120 nodes
    assert by["cvxopt"].value == pytest.approx(by["clarabel"].value, rel=2e-6)
    dual = solve_dual("min-c2", C0, DUAL).value
    assert by["cvxopt"].value >= dual
    assert by["cvxopt"].config["solver"] == "cvxopt" and "solver_note" not in by["cvxopt"].certificate


def test_cvxopt_stopping_short_is_handed_to_clarabel_and_says_so(monkeypatch):
    monkeypatch.setattr(backends, "CvxoptBackend", lambda: CvxoptBackend(max_iterations=2))   # chol and qr stop
    res = solve_grid("min-c2", C0, GridConfig(nodes=120, spline=True, refine=2, rounds=0))
    ref = solve_grid("min-c2", C0, GridConfig(nodes=120, spline=True, refine=2, rounds=0, solver="clarabel"))
    assert res.status == ref.status and res.value == ref.value
    assert "solved by clarabel instead" in res.certificate["solver_note"]


@pytest.mark.skipif(shutil.which("sdpb") is None, reason="sdpb not installed")
def test_one_problem_through_clarabel_scs_and_sdpb_agrees():
    _, rows = _wavelet_rows(3, 40)
    rows = UnitarityRows(rows.re_S1, rows.im_S, rows.c0_row, rows.c2_row, eta=np.zeros(rows.m))
    values = {s: solve_reduced(rows, "max-c0", None, s, 1e-13) for s in ("clarabel", "scs", "sdpb")}
    assert values["sdpb"].solve.status == "optimal" and values["sdpb"].sdpb["variables"] > 0
    assert values["clarabel"].solve.value == pytest.approx(values["sdpb"].solve.value, rel=1e-7)
    assert values["scs"].solve.value == pytest.approx(values["sdpb"].solve.value, rel=1e-4)


@pytest.mark.skipif(shutil.which("sdpb") is None, reason="sdpb not installed")
def test_grid_primal_through_sdpb_is_the_clarabel_optimum():
    """The grid had no SDPB path before the back-ends: the same rows (converted exactly), bounds as 1×1 blocks."""
    cla = solve_grid("min-c2", C0, GridConfig(nodes=30, rounds=0))
    hp = solve_grid("min-c2", C0, GridConfig(nodes=30, rounds=0, solver="sdpb"))
    assert hp.status == "optimal" and hp.solver == "sdpb"
    assert hp.value == pytest.approx(cla.value, rel=1e-8) and hp.c0 == pytest.approx(C0, rel=1e-14)
