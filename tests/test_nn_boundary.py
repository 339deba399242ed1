"""The almond's boundary by the neural primal (P1 §5.1): the lower boundary as the end of the
regular-threshold elastic solutions, the upper one by the Regge criterion on the singular family;
both polished, certified on the dense grid and compared with the rigorous dual SDP bounds. And the
spectral-grid primal's min c2 near the origin, which converges with the number of nodes."""
import math

import pytest

from smatrix.crosscheck.methods import METHODS, parse_methods
from smatrix.neural.zero_ddisc_boundary import BoundaryConfig, boundary_c2
from smatrix.sdp.zero_ddisc_dual import solve_dual
from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.errors import BadInput


def test_primal_nn_is_an_almond_method_for_the_c2_boundaries():
    (m,) = parse_methods("primal-nn")
    assert m.kind == "primal" and m.objectives == ("min-c2", "max-c2") and m.tolerance == 1e-4
    with pytest.raises(BadInput, match="c2 boundaries"):
        boundary_c2("max-c0", None)
    with pytest.raises(BadInput):
        METHODS["primal-nn"].settings_for(False, {"epochz": 3})
    with pytest.raises(BadInput):
        boundary_c2("min-c2", 28 * math.pi, BoundaryConfig(rel_tol=0.5))


@pytest.mark.slow
def test_primal_nn_boundaries_at_28pi_are_certified_and_meet_the_dual_bounds(tmp_path, monkeypatch):
    """Cold start (empty seed cache): min c2 ≥ the dual lower bound and max c2 ≤ the dual upper
    bound (weak duality, 1e-7), each within 1e-5 of it; the bracket's outer end fails the Regge
    criterion (~2–3 min on 2 cores)."""
    monkeypatch.setenv("SMATRIX_CACHE", str(tmp_path))
    c0 = 28 * math.pi
    lo, hi = solve_dual("min-c2", c0), solve_dual("max-c2", c0)
    low, up = boundary_c2("min-c2", c0), boundary_c2("max-c2", c0)
    for r in (low, up):
        assert r.status == "converged" and r.certified, r.message
        assert r.certificate["max_unitarity_violation"] <= 1e-6
    assert lo.value * (1 - 1e-7) <= low.value <= lo.value * (1 + 1e-5)
    assert hi.value * (1 - 1e-5) <= up.value <= hi.value * (1 + 1e-7)
    inside, outside = up.certificate["boundary"]["bracket"]
    assert inside == up.value and (outside - inside) / inside <= 2e-5
    assert "Re f0" in up.certificate["boundary"]["outside_reason"]
    # the hot start: the next slice starts from this one's network, with fewer epochs
    nxt = boundary_c2("max-c2", 30 * math.pi)
    assert nxt.certificate["boundary"]["hot_start_from_c0"] == pytest.approx(c0)
    assert nxt.certified and nxt.value <= solve_dual("max-c2", 30 * math.pi).value * (1 + 1e-7)


@pytest.mark.slow
def test_grid_min_c2_near_the_origin_converges_with_nodes():
    """c0 = 0.02 c0max: with c2 ≈ 2.5e-3 the unscaled objective let Clarabel stop 4.7e-4 away at
    400 nodes (1.8e-5 at 250); with c2/(3c0/64) as the objective both are within 3e-5 of the dual."""
    c0 = 0.02 * 243.05302
    ref = solve_dual("min-c2", c0).value
    gaps = [abs(solve_grid("min-c2", c0, GridConfig(nodes=n, spline=True, refine=2)).value - ref) / ref
            for n in (250, 400)]
    assert max(gaps) < 3e-5 and gaps[1] < 1.5 * gaps[0]
