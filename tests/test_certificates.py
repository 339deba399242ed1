"""Typed certificates (smatrix.certificate, built by smatrix.certify for any set of spins), the
model-free amplitude interface, and Result.amplitude: the certificate measures |S_J|² − 1 that
is known in closed form, agrees with a second evaluation of the partial waves, keeps its verdict
through JSON, and fails where a check fails."""
import json
import math

import numpy as np
import pytest

from smatrix.amplitude import Amplitude, SpectralAmplitude, WaveletAmplitude, ZeroDdiscAmplitude
from smatrix.certificate import Certificate, Check
from smatrix.certify import certify_spin0, dense_check_points, spin0_certificate, unitarity_certificate, wave_violation
from smatrix.full_amplitude import FullAmplitude, FullBasis
from smatrix.kinematics import phase_space
from smatrix.partial_waves import project
from smatrix.result import Result
from smatrix.twoprr.amplitude import MandelstamAmplitude
from smatrix.grids import wavelet_centres


class _Waves(Amplitude):
    """A model-free test amplitude given by its partial waves: S_J = r_J e^{2iδ(s)} (even J ≤ 4),
    so |S_J|² − 1 = r_J² − 1 exactly at every s."""

    model = "test"

    def __init__(self, moduli: dict[int, float]):
        self.moduli = moduli

    def f(self, J, s):
        s = np.atleast_1d(np.asarray(s, dtype=float))
        S = self.moduli.get(J, 1.0) * np.exp(2j * np.arctan(1.0 / np.sqrt(s)))
        return (S - 1.0) / (1j * phase_space(s))

    def T(self, s, t):
        raise NotImplementedError("the certificate needs only the partial waves")

    @property
    def taylor(self):
        return {"c0": 0.0, "c2": 0.0}


def _wavelet_amplitude(seed=3, scale=0.05):
    c = wavelet_centres(3)
    rng = np.random.default_rng(seed)
    return WaveletAmplitude(c, 1.0, scale * rng.standard_normal(c.size), 0.0)


def test_the_interface_has_no_model_and_every_amplitude_implements_it():
    assert not hasattr(Amplitude, "spectral_density")          # zero-ddisc only: the subclass
    assert "f0" in ZeroDdiscAmplitude.__abstractmethods__ and "f" in Amplitude.__abstractmethods__
    for cls in (SpectralAmplitude, WaveletAmplitude):
        assert issubclass(cls, ZeroDdiscAmplitude) and cls.model == "zero-ddisc"
    for cls in (FullAmplitude, MandelstamAmplitude):
        assert issubclass(cls, Amplitude) and not issubclass(cls, ZeroDdiscAmplitude) and cls.model == "full"
    assert _Waves({}).spins(7) == [0, 2, 4, 6]


def test_per_spin_violation_is_the_known_modulus():
    """|S_J|² − 1 = r_J² − 1 for every spin; the worst spin and the headline are those of the data."""
    amp = _Waves({0: 1.0, 2: 1.001, 4: 0.5})
    s = dense_check_points(np.geomspace(4.1, 1e4, 30), 4)
    cert = unitarity_certificate(s, wave_violation(amp, s, [0, 2, 4]), [0, 2, 4], 1e-6)
    assert cert.per_spin_max[2] == pytest.approx(1.001**2 - 1, rel=1e-9)
    assert cert.per_spin_max[4] == pytest.approx(0.25 - 1, rel=1e-12)
    assert abs(cert.per_spin_max[0]) < 1e-12
    assert cert.max_unitarity_violation == pytest.approx(2.001e-3, rel=1e-9) and cert.worst_spin == 2
    assert not cert.passed and cert.failed_checks == ["unitarity"] and cert.check_points == s.size
    ok = unitarity_certificate(s, wave_violation(amp, s, [0, 4]), [0, 4], 1e-6)   # the super-unitary wave unchecked
    assert ok.passed and ok.max_unitarity_violation < 1e-12
    head = unitarity_certificate(s, wave_violation(amp, s, [0, 2]), [0, 2], 1e-6, headline=[0])
    assert head.passed and head.per_spin_max[2] > 1e-3           # per-spin rows kept, headline of spin 0 only


def test_spin0_certificate_agrees_with_direct_projection():
    """The closed-form f0 of the certificate against the angular projection of T itself."""
    amp = _wavelet_amplitude()
    imposed = np.geomspace(4.5, 1e3, 20)
    cert = certify_spin0(amp, imposed, factor=2, s_far=1e4)
    s = dense_check_points(imposed, 2, 1e4)
    direct = np.abs(1 + 1j * phase_space(s) * project(amp.T, 0, s)) ** 2 - 1
    assert cert.check_points == s.size and cert.spins_checked == [0]
    assert cert.max_unitarity_violation == pytest.approx(max(float(np.max(direct)), 0.0), rel=1e-6, abs=1e-12)
    assert cert.details["worst_s"] == s[int(np.argmax(direct))]
    assert cert.per_spin_max[0] == cert.max_unitarity_violation > 1e-3     # measured 2.4e-3: a real violation


def test_full_model_waves_agree_with_direct_projection():
    """J ≤ 4 of a full-model amplitude: the certificate's partial waves (T on the folded angular rule)
    against smatrix.partial_waves.project of T."""
    basis = FullBasis(2, True)
    rng = np.random.default_rng(0)
    amp = FullAmplitude(basis, 0.05 * rng.standard_normal(basis.size))
    s = np.geomspace(4.2, 400.0, 9)
    viol = wave_violation(amp, s, [0, 2, 4])
    for k, J in enumerate((0, 2, 4)):
        direct = np.abs(1 + 1j * phase_space(s) * project(amp.T, J, s)) ** 2 - 1
        np.testing.assert_allclose(viol[k], direct, rtol=1e-6, atol=1e-10)


def test_json_round_trip_keeps_numbers_and_verdict():
    amp = _Waves({2: 1.0 + 1e-7})
    s = np.geomspace(4.01, 1e3, 50)
    cert = unitarity_certificate(s, wave_violation(amp, s, [0, 2]), [0, 2], 1e-6,
                                 checks={"eta_range": Check.at_least(-0.5, -1e-8)},
                                 details={"worst_s": 5.0}, facts={"solver_status": "optimal"})
    assert cert.unitarity.passed and not cert.passed and cert.failed_checks == ["eta_range"]
    d = json.loads(json.dumps(cert.to_dict()))
    assert d["checks"]["unitarity"]["passed"] and not d["checks"]["eta_range"]["passed"]
    assert d["passed"] is False and d["other_checks_passed"] is False and d["solver_status"] == "optimal"
    back = Certificate.from_dict(d)
    assert back == d and back.per_spin_max == cert.per_spin_max and back.checks == cert.checks
    assert back.max_unitarity_violation == cert.max_unitarity_violation and not back.passed
    d["passed"] = True                                         # a stated verdict must match its checks
    with pytest.raises(ValueError, match="passed"):
        Certificate.from_dict(d)


def test_mapping_interface_and_derived_keys():
    cert = spin0_certificate(np.array([4.5, 5.0, 6.0]), np.array([-1e-3, 2e-6, -1.0]), 1e-6, 4, 1)
    assert cert["max_unitarity_violation"] == 2e-6 and cert["details"]["worst_s"] == 5.0 and not cert.passed
    cert["rank_kept"] = 7                                      # a method's fact: a top-level key
    cert.setdefault("details", {}).update(note="kept")         # details are the live dict
    assert cert.facts == {"rank_kept": 7} and cert.details["note"] == "kept" and "rank_kept" in cert
    cert["tolerance"] = 1e-5                                   # a typed field through the mapping
    assert cert.passed and cert["passed"]
    with pytest.raises(KeyError):
        cert["passed"] = False
    nan = spin0_certificate(np.array([4.5, 5.0]), np.array([np.nan, 0.0]), 1e-6, 4, 1)
    assert math.isnan(nan.max_unitarity_violation) and not nan.passed and nan.details["worst_s"] == 4.5


def test_legacy_saved_certificate_keeps_its_failed_checks():
    """A certificate saved before the checks were typed: other_checks_passed False stays a failure."""
    old = {"max_unitarity_violation": 0.0, "check_points": 10, "spins_checked": [0, 2, 4], "tolerance": 1e-5,
           "details": {"passed_all": False}, "other_checks_passed": False}
    cert = Certificate.from_dict(old)
    assert not cert.passed and cert.failed_checks == ["other"]


def _result(**kw):
    base = dict(method="primal-wavelet", model="zero-ddisc", objective="max-c0", c0=1.0, c2=0.0, value=1.0,
                bound_kind="primal (achieved)", status="optimal", certified=True, solver="clarabel", seconds=0.0,
                config={"n": 1})
    return Result(**{**base, **kw})


def test_result_carries_the_amplitude_outside_extra_and_serialises_plain_data():
    amp = _wavelet_amplitude()
    imposed = np.geomspace(4.5, 1e3, 20)
    cert = certify_spin0(amp, imposed, factor=2, s_far=1e4)
    res = _result(certificate={**cert, "wavelets": 3}, amplitude=amp, extra={"c3": 0.5})
    assert isinstance(res.certificate, Certificate) and res.certificate["wavelets"] == 3
    assert res.certificate.max_unitarity_violation == cert.max_unitarity_violation
    assert res.amplitude is amp and "amplitude" not in res.extra
    d = res.to_dict()
    assert "amplitude" not in d and type(d["certificate"]) is dict
    text = json.dumps(d, default=float)                         # plain data: numbers, lists, dicts only
    assert json.loads(text)["certificate"]["max_unitarity_violation"] == cert.max_unitarity_violation
    with pytest.raises(TypeError, match="amplitude"):
        _result(certificate=None, extra={"amplitude": amp})
    dual = _result(certificate={"bound": 1.0, "passed": True}, bound_kind="dual (rigorous)")
    assert type(dual.certificate) is dict                        # not a unitarity certificate: left as it is



def test_confirmation_reuses_the_sparser_measurement_and_evaluates_the_rest():
    """The 16× confirmation keeps the 4× values (its points are among the 16×) and evaluates only
    the new points: the same numbers as a 16× measurement from scratch, also with η."""
    from smatrix.certify import measure_spin0
    from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
    amp = solve_grid("max-c2", 28 * math.pi, GridConfig(nodes=60, rounds=0)).amplitude
    imposed = np.geomspace(4.01, 1e8, 80)
    eta = lambda s: 1e-3 / (1.0 + s)
    for e in (None, eta):
        s4, v4 = measure_spin0(amp, imposed, 4, e)
        s16, v16 = measure_spin0(amp, imposed, 16, e)
        old = np.isin(s16, s4)
        assert old.sum() == s4.size                             # the 4× points are among the 16×
        assert np.array_equal(v16[old], v4)                     # and measure the same there
        marked = measure_spin0(amp, imposed, 16, e, known=(s4, v4 + 1.0))   # reused values marked
        assert np.array_equal(marked[0], s16) and np.array_equal(marked[1][old], v4 + 1.0)
        assert np.array_equal(marked[1][~old], v16[~old])       # the rest evaluated
