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


def test_primal_nn_boundaries_at_one_slice_are_certified_and_within_tolerance_of_the_dual(tmp_path):
    """c0 = 10π with a short training (200 epochs): min c2 from the regular ansatz and max c2 from
    the singular family's Regge criterion, each an allowed amplitude (|S0|² − 1 ≤ 1e-6 re-measured
    on the dense grid), on the allowed side of the rigorous dual bound (weak duality, 1e-7) and
    within the stated 1e-4 of it; the upper bracket's outer end fails the criterion."""
    c0 = 10 * math.pi
    cfg = BoundaryConfig(epochs=200)
    for objective, sign in (("min-c2", 1.0), ("max-c2", -1.0)):
        dual = solve_dual(objective, c0).value
        r = boundary_c2(objective, c0, cfg, checkpoint=str(tmp_path / f"{objective}.pt"))
        assert r.status == "converged" and r.certified, r.message
        assert r.certificate["max_unitarity_violation"] <= 1e-6 and r.certificate["dense_check"]
        gap = sign * (r.value - dual) / dual               # ≥ 0 on the allowed side
        assert -1e-7 <= gap <= METHODS["primal-nn"].tolerance, (objective, r.value, dual)
    inside, outside = r.certificate["boundary"]["bracket"]
    assert inside == pytest.approx(r.value, rel=1e-14) and (outside - inside) / inside <= cfg.rel_tol
    assert "Re f0" in r.certificate["boundary"]["outside_reason"]


@pytest.mark.slow
def test_primal_nn_hot_start_chain_to_the_next_slice(tmp_path):
    """Cold at 28π (1000 epochs), then 30π hot-started from its network and boundary amplitude
    (150 epochs, as in the almond's slice chain): both certified, within 1e-5 of the dual bounds
    and on their allowed side (~1–2 min on 2 cores)."""
    first, nxt = 28 * math.pi, 30 * math.pi
    for objective, sign in (("min-c2", 1.0), ("max-c2", -1.0)):
        ck = str(tmp_path / f"{objective}-28.pt")
        cold = boundary_c2(objective, first, checkpoint=ck)
        hot = boundary_c2(objective, nxt, BoundaryConfig(epochs=150), init=ck)
        assert hot.certificate["boundary"]["hot_start_from_c0"] == pytest.approx(first)
        for c0, r in ((first, cold), (nxt, hot)):
            dual = solve_dual(objective, c0).value
            assert r.certified, r.message
            assert -1e-7 <= sign * (r.value - dual) / dual <= 1e-5


@pytest.mark.slow
def test_grid_min_c2_near_the_origin_converges_with_nodes():
    """c0 = 0.02 c0max: with c2 ≈ 2.5e-3 the unscaled objective let Clarabel stop 4.7e-4 away at
    400 nodes (1.8e-5 at 250); with c2/(3c0/64) as the objective both are within 3e-5 of the dual."""
    c0 = 0.02 * 243.05302
    ref = solve_dual("min-c2", c0).value
    gaps = [abs(solve_grid("min-c2", c0, GridConfig(nodes=n, spline=True, refine=2)).value - ref) / ref
            for n in (250, 400)]
    assert max(gaps) < 3e-5 and gaps[1] < 1.5 * gaps[0]
