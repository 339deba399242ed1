"""Save and reload (--out DIR, Result.load, smatrix show/plot/table): for every computing command
the reloaded result has identical numbers, its amplitude or multiplier reproduces them, and the
certificate re-run from the reloaded data gives the stored verdict and number."""
import json

import mpmath as mp
import numpy as np
import pytest
from matplotlib.figure import Figure

from smatrix.sdp.recertify import dual_multiplier, recertify
from smatrix import plots
from smatrix.cli import main
from smatrix.result import Result
from smatrix.saved import load_result, save_result

COMMANDS = {   # small configurations (seconds), single solves (--rounds 0: the re-run certificate checks the
               # saved amplitude on its own grid); the certified ones must re-certify as passed
    "primal-wavelet": (["primal", "--objective", "max-c2", "--c0", "28pi", "--nmax", "8", "--grid", "100",
                        "--rounds", "0"], True),
    "primal-grid": (["primal", "--method", "grid", "--elements", "linear", "--refine", "1", "--objective", "max-c2",
                     "--c0", "28pi", "--grid", "60", "--rounds", "0"], False),
    "primal-full": (["primal", "--model", "full", "--nmax", "3", "--jmax", "2", "--grid", "40", "--rounds", "0"],
                    None),
    "dual": (["dual", "--objective", "min-c2", "--c0", "28pi", "--n-cheb", "10", "--nodes", "80"], True),
    "baseline": (["baseline", "--method", "newton", "--c0", "10", "--grid", "60"], None),
    "nn-dual": (["nn-dual", "--objective", "max-c2", "--c0", "28pi", "--epochs", "30", "--lbfgs", "10"], True),
}


def _run(args, out, capsys):
    rc = main([*args, "--json", "--out", str(out)])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    return rc, printed


@pytest.mark.parametrize("name", list(COMMANDS))
def test_round_trip(name, tmp_path, capsys):
    args, certified = COMMANDS[name]
    rc, printed = _run(args, tmp_path / name, capsys)
    assert rc in (0, 4)
    res = Result.load(tmp_path / name)
    for key in ("method", "model", "objective", "c0", "c2", "value", "status", "certified", "certificate",
                "config", "config_hash"):
        assert getattr(res, key) == printed[key], key
    assert res.provenance == printed["provenance"]
    if certified is not None:
        assert res.certified is certified
    re = recertify(res)
    assert re["passed"] is res.certified
    assert re["value"] == pytest.approx(re["stored"], rel=1e-12, abs=1e-15)
    amp = res.amplitude
    if amp is not None:   # the reloaded amplitude itself gives the stored Taylor data
        assert amp.taylor["c0"] == pytest.approx(res.c0, rel=1e-13)
        if res.c2 is not None:
            assert amp.taylor["c2"] == pytest.approx(res.c2, rel=1e-12)
    assert repr(res).startswith(f"Result({res.method}, ") and len(repr(res)) < 200
    rc = main(["show", str(tmp_path / name)])     # re-run certificate reproduces the stored verdict
    assert rc == 0 and "re-run" in capsys.readouterr().out


@pytest.mark.parametrize("polish", [
    pytest.param(False, id="trained"), pytest.param(True, id="polished", marks=pytest.mark.slow)])   # ~50 s
def test_nn_primal_round_trip(polish, tmp_path, capsys):
    extra = ["--epochs", "20"] if polish else ["--epochs", "2", "--no-polish"]
    rc, printed = _run(["nn-primal", "--c0", "28pi", "--c2", "0.76", "--ansatz", "singular", *extra],
                       tmp_path / "np", capsys)
    res = load_result(tmp_path / "np")
    assert res.value == printed["value"] and res.certificate == printed["certificate"]
    re = recertify(res)
    assert re["passed"] is (printed["certificate"]["max_unitarity_violation"] <= 1e-6)
    assert re["value"] == pytest.approx(re["stored"], rel=1e-12, abs=1e-15)
    assert res.amplitude.taylor["c2"] == pytest.approx(res.c2, rel=1e-12)


def test_longdouble_and_mpmath_data_survive(tmp_path):
    """Wavelet coefficients (longdouble) and SDPB coefficients (mpmath, 60 digits) read back bit for bit."""
    from smatrix.amplitude import WaveletAmplitude
    from smatrix.grids import wavelet_centres
    c = wavelet_centres(3)
    rng = np.random.default_rng(1)
    alpha = (rng.standard_normal(c.size) * 1e17).astype(np.longdouble) / np.longdouble(3)
    amp = WaveletAmplitude(c, np.longdouble(1) / 3, alpha, np.longdouble(2) / 7)
    with mp.workdps(60):
        coef_mp = np.array([mp.mpf(1) / 3, +mp.pi, -mp.e * mp.mpf(10) ** 20], dtype=object)
    res = Result(method="primal-wavelet", model="zero-ddisc", objective="max-c0", c0=1.0, c2=0.0, value=1.0,
                 bound_kind="primal (achieved)", status="optimal", certified=False, certificate={"x": 1},
                 solver="sdpb", seconds=0.0, config={}, amplitude=amp, extra={"coefficients_mp": coef_mp, "c3": 0.5})
    back = load_result(save_result(res, tmp_path / "r"))
    assert np.array_equal(back.amplitude.coefficients, amp.coefficients)
    assert back.amplitude.coefficients.dtype == np.longdouble
    with mp.workdps(60):
        assert all(abs(a - b) < mp.mpf(10) ** -58 * max(1, abs(a)) for a, b in zip(coef_mp, back.extra["coefficients_mp"]))
    assert back.extra["c3"] == 0.5
    with np.load(tmp_path / "r" / "data.npz", allow_pickle=False) as data:   # no pickled objects inside
        assert all(data[k].dtype != object for k in data.files)


def test_out_path_is_checked_before_the_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["dual", "--out", str(blocker)]) == 2        # would take a minute at 800 nodes
    err = capsys.readouterr().err
    assert "not a directory" in err and err.count("\n") == 1
    assert main(["show", str(tmp_path)]) == 2                  # nothing saved there
    assert "no result.json" in capsys.readouterr().err


def test_plots_table_and_physics(tmp_path, capsys):
    args, _ = COMMANDS["primal-wavelet"]
    _run(args, tmp_path / "w", capsys)
    res = Result.load(tmp_path / "w")
    amp = res.amplitude
    figs = [plots.plot_partial_wave_modulus(amp, [0, 2]), plots.plot_argand(amp), plots.plot_phase_shifts(amp),
            plots.plot_spectral_density(amp), plots.plot_regge_tail(amp)]
    assert all(isinstance(f, Figure) for f in figs)
    re_s, im_s = figs[1].axes[0].lines[1].get_data()          # the certified amplitude stays in the unit disk
    assert np.max(np.hypot(re_s, im_s)) <= 1 + 1e-6
    s_minus_4, mod = figs[0].axes[0].lines[0].get_data()
    assert np.allclose(mod, np.abs(amp.S(0, 4 + s_minus_4)), rtol=1e-14)
    assert main(["plot", str(tmp_path / "w"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert set(files) == {"modulus", "argand", "phase", "rho", "regge"}
    assert main(["table", str(tmp_path / "w"), "--file", str(tmp_path / "t.m"), "--points", "7"]) == 0
    rows = (tmp_path / "t.m").read_text().split("\n")[2:-2]
    assert len(rows) == 7
    s, re_, im_ = [[np.longdouble(x.split("`")[0]) * np.longdouble(10) ** int(x.split("*^")[1])
                    for x in row.strip("{},").split(", ")] for row in rows][3]
    S = amp.S(0, np.array([float(s)]))[0]
    assert abs(re_ - S.real) <= 4 * np.finfo(np.longdouble).eps and abs(im_ - S.imag) <= 4 * np.finfo(np.longdouble).eps
    assert main(["table", str(tmp_path / "w"), "--file", str(tmp_path / "t.txt")]) == 2


def test_dual_multiplier_plot(tmp_path, capsys):
    args, _ = COMMANDS["dual"]
    _run(args, tmp_path / "d", capsys)
    res = Result.load(tmp_path / "d")
    s = np.array([4.0, res.config["cutoff"]])
    assert np.allclose(dual_multiplier(res, s), 0.0, atol=1e-9)   # w(4) = w(Λ) = 0 (eq. 96)
    assert main(["plot", str(tmp_path / "d"), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["files"]) == {"w"}
