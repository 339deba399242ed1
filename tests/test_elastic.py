"""Classical baselines for elastic unitarity at fixed c0 (P1 eqs. 72–76): residual, one loop,
convergence ranges, and the elastic solution against the rigorous lower boundary."""
import math

import numpy as np
import pytest

from smatrix.sdp.zero_ddisc_dual import solve_dual
from smatrix.cli import main
from smatrix.dispersion import SpectralGrid, spectral_grid
from smatrix.elastic import ElasticProblem, continued_newton, solve_elastic

K_ONE_LOOP = 1.0505e-4  # (1/32π²)∫ϱ/(s−4/3)³, docs/convergence.md


@pytest.fixture(scope="module")
def problem():
    return ElasticProblem(SpectralGrid(spectral_grid(250).nodes))


def test_small_c0_both_converge_to_the_one_loop_amplitude(problem):
    for method in ("fixed-point", "newton"):
        r = solve_elastic(problem, 0.5, method)
        assert r.converged and r.residual < 1e-12
        amp = problem.amplitude(r.h, 0.5)
        S = amp.S(0, problem.points)
        np.testing.assert_allclose(np.abs(S), 1.0, atol=1e-10)           # elastic at the nodes
        assert amp.taylor["c2"] / (K_ONE_LOOP * 0.25) == pytest.approx(1.0, abs=2e-3)


def test_newton_converges_where_fixed_point_diverges(problem):
    c0 = 10 * math.pi
    assert not solve_elastic(problem, c0, "fixed-point").converged
    r = solve_elastic(problem, c0, "newton")
    assert r.converged and r.iterations < 10
    np.testing.assert_allclose(problem.residual(r.h, c0), 0.0, atol=1e-12)
    # beyond c0 = 16π the first iterate has |Im S0| = c0/16π > 1 at large s: no start from ρ = 0
    assert not solve_elastic(problem, 17 * math.pi, "newton").converged
    assert continued_newton(problem, 17 * math.pi).converged


def test_elastic_solution_is_the_lower_boundary(problem):
    """At c0 = 28π the elastic (fixed-c0) amplitude is the min-c2 amplitude: its c2 approaches
    the rigorous dual lower bound from below as the grid is refined (discretisation leaves it
    slightly non-unitary between nodes, and the certificate says so)."""
    c0 = 28 * math.pi
    bound = solve_dual("min-c2", c0).value
    c2 = []
    for n in (125, 250, 500):
        p = ElasticProblem(SpectralGrid(spectral_grid(n).nodes))
        r = continued_newton(p, c0)
        assert r.converged
        c2.append(p.amplitude(r.h, c0).taylor["c2"])
    gaps = [bound - v for v in c2]
    assert gaps[0] > gaps[1] > gaps[2] > 0 and gaps[2] / bound < 1e-4


def test_cli_baseline(capsys):
    assert main(["baseline", "--method", "newton", "--c0", "10pi", "--json"]) == 0
    assert main(["baseline", "--method", "fixed-point", "--c0", "20pi"]) == 4
    assert main(["baseline", "--method", "fixed-point", "--c0", "5", "--continuation"]) == 2
    assert main(["baseline", "--method", "newton", "--c0", "-1"]) == 2
    assert "Traceback" not in capsys.readouterr().err
