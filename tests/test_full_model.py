"""Full-model ρ-wavelet primal (P2 App. B): projections against direct quadrature, crossing,
Taylor rows, the elastic maximum c0max/32π = 2.661336, inelasticity injection, bad input."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import eval_legendre

from smatrix.sdp.full_wavelet import FullConfig, solve_full
from smatrix.cli import main
from smatrix.errors import BadInput
from smatrix.full_amplitude import FullAmplitude, FullBasis, partial_wave_rows, threshold_projection
from smatrix.inelasticity import InelasticityProfile, demo_profile, load_profile
from smatrix.wavelets import rho_wavelet

C0MAX_PUBLISHED = 2.661336 * 32 * math.pi


def _quad_projection(T, J, s):
    """(1/32π) ∫ P_J(z) T(s, t(z)) dz with scipy quad, breakpoints graded towards the forward point."""
    d = s - 4.0
    brk = sorted({1 - 2 * x / d for x in (1e-3, 1e-2, 0.1, 1, 10, 100, 1e3, 1e4, 1e5, 1e6) if 2 * x / d < 2})
    edges = [-1.0, *brk, 1.0]
    total = 0j
    for part, unit in ((np.real, 1), (np.imag, 1j)):
        g = lambda z: part(T(s, -0.5 * d * (1 - z))) * eval_legendre(J, z)
        total += unit * sum(quad(g, a, b, limit=200, epsabs=1e-14, epsrel=1e-12)[0] for a, b in zip(edges, edges[1:]))
    return total / (32 * math.pi)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_projection_rows_match_direct_quadrature(seed):
    """f_J(s) from the projection rows vs scipy quad of T(s, t(z)) at random s (4.01…1e8) and even J."""
    rng = np.random.default_rng(seed)
    basis = FullBasis(4)
    amp = FullAmplitude(basis, rng.normal(size=basis.size))
    for _ in range(3):
        s = 4 + 10 ** rng.uniform(-2, 8)
        J = int(rng.choice([0, 2, 4, 8, 16, 20]))
        f = amp.f(J, [s])[0]
        ref = _quad_projection(amp.T, J, s)
        assert abs(f - ref) < 1e-12 * max(1.0, abs(ref)), (s, J, f, ref)


def test_s_channel_term_feeds_only_J0_crossed_terms_every_J():
    """ρ_σ(s) alone projects onto J = 0 only; ρ_σ(t) + ρ_σ(u) feeds every even J (quadrature), and
    the single-wavelet rows are exactly their sum."""
    basis = FullBasis(3)
    k = 2
    sigma = basis.centres[k]
    col = basis.slices()["singles"].start + k
    for s in (9.0, 37.0, 2.5e4):
        s_part = lambda s_, t: rho_wavelet(sigma, s_) * np.ones_like(t)
        tu_part = lambda s_, t: rho_wavelet(sigma, t + 0j) + rho_wavelet(sigma, 4 - s_ - t + 0j)
        rows = partial_wave_rows(basis, [s], [0, 2, 4, 6])[:, 0, col] / (32 * math.pi)
        for n, J in enumerate((0, 2, 4, 6)):
            fs, ftu = _quad_projection(s_part, J, s), _quad_projection(tu_part, J, s)
            if J:
                assert abs(fs) < 1e-13
                assert abs(ftu) > 1e-8
            else:
                assert abs(fs - rho_wavelet(sigma, s) / (16 * math.pi)) < 1e-13
            assert abs(rows[n] - (fs + ftu)) < 1e-12


def test_threshold_projection_closed_form():
    for s in (4.01, 9.0, 1e3, 1e7):
        for J in (0, 2, 6, 12):
            g = lambda s_, t: 1 / np.sqrt(4 - t + 0j)
            assert abs(32 * math.pi * _quad_projection(g, J, s) - threshold_projection(J, s)) < 1e-12


def test_ansatz_is_crossing_symmetric_and_taylor_rows_are_derivatives(rng):
    basis = FullBasis(4)
    amp = FullAmplitude(basis, rng.normal(size=basis.size))
    s, t = rng.uniform(-3, 3.5, 6), rng.uniform(-3, 3.5, 6)
    u = 4 - s - t
    ok = (u < 3.9)
    s, t, u = s[ok], t[ok], u[ok]
    T = amp.T(s, t)
    for a, b in ((t, s), (s, u), (u, t), (t, u)):
        np.testing.assert_allclose(amp.T(a, b), T, rtol=1e-12, atol=1e-12)
    x0, h = 4 / 3, 1e-3
    c = amp.coefficients.astype(float)
    rows = basis.taylor_rows()
    assert rows["c0"] @ c == pytest.approx(amp.T(x0, x0).real, rel=1e-12)
    fd = (amp.T(x0 + h, x0) - 2 * amp.T(x0, x0) + amp.T(x0 - h, x0)).real / h**2 / 4  # c2 = ¼ ∂²_s T at fixed t
    assert rows["c2"] @ c == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_ansatz_sizes_reproduce_P2_table4():
    assert [FullBasis(n).size for n in (8, 9, 10, 11, 12)] == [135, 173, 238, 288, 378]


@pytest.fixture(scope="module")
def elastic_max():
    return solve_full("max-c0", None, FullConfig(nmax=6))


def test_elastic_maximum_reproduces_published_value_certified(elastic_max):
    res = elastic_max
    assert res.certified and res.model == "full"
    assert abs(res.value / (32 * math.pi) - 2.661336) < 2e-4
    cert = res.certificate
    assert cert["spins_checked"][-1] == 20 and cert["check_points"] >= 4 * 300
    assert cert["max_unitarity_violation"] <= 1e-6
    # re-measured independently here: J = 0…22 on points that are neither imposed nor checked
    amp = res.amplitude
    s = np.geomspace(4.0005, 3e9, 157)
    for J in range(0, 24, 2):
        assert np.max(np.abs(amp.S(J, s)) ** 2) - 1 < 1e-6


def test_full_maximum_below_S_wave_only_dual_bound(elastic_max):
    """More constraints (all spins) cannot raise the maximum above the rigorous S-wave-only bound."""
    from smatrix.sdp.zero_ddisc_dual import DualConfig, solve_dual
    dual = solve_dual("max-c0", None, DualConfig(cutoff=1e3, sum_rule=False))
    assert dual.certified
    assert elastic_max.value <= dual.value


def test_certificate_catches_precision_artefact():
    """Keeping directions down to 1e-13 of σ_max at Nmax 6 lets double precision exploit the
    ill-conditioning: the solver reports c0 above the known maximum, the certificate rejects it."""
    res = solve_full("max-c0", None, FullConfig(nmax=6, svd_cutoff=1e-13, rounds=0))
    assert res.value > C0MAX_PUBLISHED * (1 + 1e-4)
    assert not res.certified
    assert "artefact" in res.message


def _profile(tmp_path, spins=(0, 2, 4, 6), name="eta.json"):
    return demo_profile(spins).save(tmp_path / name)


def test_injected_inelasticity_lowers_max_c0_and_raises_min_c2_monotonically(tmp_path):
    """Nested constraint sets (η_J imposed for J ≤ J_min = −1, 0, 4) in one fixed reduced space
    (explicit SVD cutoff): max c0 cannot rise and min c2 cannot fall as J_min grows."""
    path = str(_profile(tmp_path))
    runs = {}
    for obj, c0 in (("max-c0", None), ("min-c2", 28 * math.pi)):
        runs[obj] = [solve_full(obj, c0, FullConfig(nmax=4, svd_cutoff=1e-8, jmin=j, rounds=0,  # same points
                                                    inelasticity=path if j >= 0 else None)) for j in (-1, 0, 4)]
    v, w = [r.value for r in runs["max-c0"]], [r.value for r in runs["min-c2"]]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(v, v[1:])), v
    assert all(b >= a * (1 - 1e-6) for a, b in zip(w, w[1:])), w
    assert v[-1] < v[0] * (1 - 1e-3) and w[-1] > w[0] * (1 + 1e-2)
    assert runs["max-c0"][0].certified and runs["max-c0"][0].certificate["max_inelasticity_violation"] is None
    for r in runs["max-c0"][1:] + runs["min-c2"][1:]:
        # the injected 1 − |S_J|² ≥ η_J holds between the grid points to its tolerance, re-measured
        assert r.certificate["max_inelasticity_violation"] <= 1e-3
    amp, prof = runs["min-c2"][-1].amplitude, load_profile(path)
    s = np.geomspace(16.5, 1e4, 97)
    assert np.all(1 - np.abs(amp.S(0, s)) ** 2 >= prof(0, s) - 1e-3)
    assert np.all(1 - np.abs(amp.S(4, s)) ** 2 >= prof(4, s) - 1e-3)


def test_inelasticity_bad_input(tmp_path):
    s = np.geomspace(5, 100, 10)
    with pytest.raises(BadInput, match="outside"):
        InelasticityProfile(s, {0: np.full(10, 1.2)})
    with pytest.raises(BadInput, match="even"):
        InelasticityProfile(s, {1: np.zeros(10)})
    with pytest.raises(BadInput, match="values for"):
        InelasticityProfile(s, {0: np.zeros(9)})
    narrow = InelasticityProfile(s, {0: np.zeros(10)}).save(tmp_path / "narrow.npz")
    with pytest.raises(BadInput, match="covers"):
        solve_full("max-c0", None, FullConfig(nmax=2, grid=40, jmin=0, inelasticity=str(narrow)))
    path = str(_profile(tmp_path, spins=(0,)))
    with pytest.raises(BadInput, match="needs"):
        solve_full("max-c0", None, FullConfig(nmax=2, grid=40, jmin=2, inelasticity=path))
    (tmp_path / "junk.json").write_text("{not json")
    assert main(["primal", "--model", "full", "--inelasticity", str(tmp_path / "junk.json")]) == 2
    assert main(["primal", "--model", "full", "--jmax", "3"]) == 2
    assert main(["primal", "--model", "full", "--method", "grid"]) == 2


def test_cli_full_model_json(capsys):
    assert main(["primal", "--model", "full", "--nmax", "4", "--grid", "150", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["model"] == "full" and out["certified"]
    assert abs(out["c0_over_32pi"] - 2.661336) < 2e-4
    assert out["certificate"]["ansatz_size"] == FullBasis(4).size


@pytest.mark.skipif(__import__("shutil").which("sdpb") is None,
                    reason="sdpb not installed (apt-get install -y sdpb; .ci/run installs it)")
def test_sdpb_solves_the_same_reduced_problem_as_clarabel():
    """SDPB (256 bits) on the reduced full-model problem: optimal, agrees with Clarabel's
    optimal_inaccurate value to its accuracy, and the amplitude passes the same certificate."""
    cfg = dict(nmax=4, grid=60, svd_cutoff=1e-8, rounds=0)
    ref = solve_full("max-c0", None, FullConfig(**cfg))
    res = solve_full("max-c0", None, FullConfig(**cfg, solver="sdpb"))
    assert res.status == "optimal" and res.certificate["sdpb"]["duality_gap"] < 1e-20
    assert res.value == pytest.approx(ref.value, rel=1e-6)
    assert res.certificate["max_unitarity_violation"] < 1e-5


def test_certificate_checks_the_unimposed_high_spins_one_by_one():
    """A Nmax 12 max-c0 amplitude with η_0 of the 40π 2PRR profile injected (J ≤ 40 imposed, tests/data):
    every wave the old certificate checked one by one (J ≤ 44) is unitary to 3e-7, but waves
    J = 46 … 200 (the "high_spins" check, each with its resolving angular rule) are super-unitary by
    ~4e-5 at s ≈ 2e4 above the last wavelet centre; the refinement is told to impose such a spin.
    The elastic Nmax 8 maximum (2.6613) has none."""
    from smatrix.certify import dense_check_points, wave_violation
    from smatrix.grids import unitarity_grid
    from smatrix.saved import amplitude_from_arrays
    from smatrix.sdp.full_wavelet import high_spin_row, spin_band_asked, violated_spin_above
    data = np.load(Path(__file__).parent / "data" / "full_n12_jmin0_40pi.npz", allow_pickle=False)
    amp = amplitude_from_arrays(data)
    s = dense_check_points(unitarity_grid(300), 1)
    assert np.max(wave_violation(amp, s, amp.spins(44))) < 1e-6
    high = high_spin_row(amp, s, 46, 1e-6)
    assert high["max_violation"] > 1e-5 and 46 <= high["worst_spin"] <= 80 and 1e4 < high["worst_s"] < 1e5
    cert = {"tolerance": 1e-6, "per_spin_max": {"44": 3e-7}, "high_spins": high, "all_spin": {"passed": True}}
    assert violated_spin_above(cert, 40) == high["worst_spin"]
    J_band, lo, hi = spin_band_asked(cert, 40)           # the band that imposes them
    assert J_band >= high["over"]["spins"][1] and lo < high["worst_s"] < hi and spin_band_asked(cert, 200) is None


def test_elastic_maximum_has_no_super_unitary_high_spin(elastic_max):
    from smatrix.sdp.full_wavelet import HIGH_SPIN_CHECK
    high = elastic_max.certificate["high_spins"]
    assert high["spins"] == [22, HIGH_SPIN_CHECK] and high["max_violation"] < 1e-6
    assert elastic_max.certificate["checks"]["high_spins"]["passed"]
