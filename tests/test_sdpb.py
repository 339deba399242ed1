"""SDPB path: writer/runner/parser on real SDPB runs, agreement with Clarabel, precision
stability, and the faults (missing binary, timeout, unreadable output, checkpoints)."""
import math
import shutil

import mpmath as mp
import numpy as np
import pytest

from smatrix.sdp.sdpb import SDPBError, SDPBProblem, parse_out, run_sdpb, write_json_pmp
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet, solve_wavelet_sdpb
from smatrix.cli import main

needs_sdpb = pytest.mark.skipif(shutil.which("sdpb") is None,
                                reason="sdpb not installed (apt-get install -y sdpb; .ci/run installs it)")
SMALL = WaveletConfig(nmax=4, grid=60, rounds=0)   # single solves: SDPB runs on the same points


def _toy(digits=40):
    """maximise y subject to [[1, y], [y, 1]] ⪰ 0: optimum y = 1."""
    blk = np.empty((2, 2, 2), dtype=object)
    blk[0] = [[mp.mpf(1), mp.mpf(0)], [mp.mpf(0), mp.mpf(1)]]
    blk[1] = [[mp.mpf(0), mp.mpf(1)], [mp.mpf(1), mp.mpf(0)]]
    return SDPBProblem(objective=[mp.mpf(0), mp.mpf(1)], blocks=[blk], digits=digits)


@needs_sdpb
def test_toy_problem_and_parser_on_real_output(tmp_path):
    res = run_sdpb(_toy(), workdir=tmp_path)
    assert res.optimal and abs(res.y[0] - 1) < mp.mpf("1e-25")
    stopped = run_sdpb(_toy(), workdir=tmp_path, options={"maxIterations": 2})
    assert not stopped.optimal and "maxIterations" in stopped.terminate_reason
    assert res.files["out"] != stopped.files["out"]                      # fresh files every run
    assert not list(tmp_path.glob("*.ck"))                               # no checkpoint left to reuse


def test_faults_are_clear_errors(tmp_path):
    with pytest.raises(SDPBError, match="not found"):
        run_sdpb(_toy(), workdir=tmp_path, executable="sdpb-not-installed-here")
    with pytest.raises(SDPBError, match="terminateReason"):
        parse_out("this is not SDPB output")
    no_y = "".join(f"{k} = 1;\n" for k in ("primalObjective", "dualObjective", "dualityGap",
                                              "primalError", "dualError"))
    with pytest.raises(SDPBError, match="y ="):
        parse_out('terminateReason = "found primal-dual optimal solution";\n' + no_y)


@needs_sdpb
def test_timeout_is_reported(tmp_path):
    with pytest.raises(SDPBError, match="did not finish"):
        solve_wavelet_sdpb("max-c0", None, WaveletConfig(nmax=8, grid=200), timeout=0.05, workdir=str(tmp_path))


@needs_sdpb
@pytest.mark.parametrize("objective,c0", [("max-c0", None), ("max-c2", 28 * math.pi)])
def test_sdpb_agrees_with_clarabel_and_is_stable_in_digits(objective, c0, tmp_path):
    cla = solve_wavelet(objective, c0, SMALL)
    lo = solve_wavelet_sdpb(objective, c0, SMALL, digits=40, workdir=str(tmp_path))
    hi = solve_wavelet_sdpb(objective, c0, SMALL, digits=60, workdir=str(tmp_path))
    assert lo.solver == "sdpb" and lo.status == "optimal"
    assert hi.value == pytest.approx(cla.value, rel=5e-8)                # Clarabel's accuracy (1.9e-8 seen)
    assert hi.value == pytest.approx(lo.value, rel=1e-10)                # ≥ 10 digits stable
    # 60 grid points cannot certify: the high-precision re-check between points must say so
    assert not hi.certified and hi.certificate["max_unitarity_violation"] > 1e-6


def test_json_pmp_writer(tmp_path):
    import json
    d = json.loads(write_json_pmp(_toy(), tmp_path / "toy.json").read_text())
    assert d["objective"][1].startswith("1.") and len(d["PositiveMatrixWithPrefactorArray"]) == 1
    assert d["PositiveMatrixWithPrefactorArray"][0]["polynomials"][0][1][1][0].startswith("1.")


def test_cli_sdpb_only_for_the_wavelet_method(capsys):
    assert main(["primal", "--method", "grid", "--solver", "sdpb"]) == 2
    assert "wavelet" in capsys.readouterr().err


@needs_sdpb
def test_exported_files_run_elsewhere_and_map_back(tmp_path):
    """`smatrix sdpb export` writes files that a plain sdpb run solves; chart.json maps y back to
    the wavelet coefficients, whose c0 is the SDPB objective."""
    import json
    import subprocess
    assert main(["sdpb", "export", "--nmax", "4", "--grid", "60", "--out", str(tmp_path)]) == 0
    subprocess.run(["sdpb", "-s", str(tmp_path / "problem.xml"), "-c", str(tmp_path / "x.ck"),
                    "--noFinalCheckpoint", "--precision=256", "--maxThreads=2",
                    "--initialMatrixScalePrimal=1e3", "--initialMatrixScaleDual=1e3"],
                   check=True, capture_output=True, timeout=300)
    out = parse_out((tmp_path / "problem.out").read_text())
    chart = json.loads((tmp_path / "chart.json").read_text())
    with mp.workdps(60):
        G = np.array([[mp.mpf(v) for v in row] for row in chart["G"]], dtype=object)
        gamma = np.array([mp.mpf(v) for v in chart["g0"]], dtype=object) + G @ np.array(out["y"], dtype=object)
        c0 = np.array([mp.mpf(v) for v in chart["c0_row"]], dtype=object) @ gamma
        assert abs(c0 - out["primal_objective"]) < mp.mpf("1e-20")
    assert float(c0) == pytest.approx(solve_wavelet("max-c0", None, SMALL).value, rel=1e-8)
    assert json.loads((tmp_path / "problem.json").read_text())["objective"]


@needs_sdpb
def test_float64_data_would_mislead_but_the_export_does_not(tmp_path):
    """Nmax = 12: the wavelet coefficients reach ~1e18, so rounding the SDP data to double
    precision changes the answer in the 4th digit, while 60- and 80-digit data agree to 1e-10."""
    cfg = WaveletConfig(nmax=12, grid=300)
    d60 = solve_wavelet_sdpb("max-c0", None, cfg, digits=60, workdir=str(tmp_path))
    d80 = solve_wavelet_sdpb("max-c0", None, cfg, digits=80, workdir=str(tmp_path))
    f64 = solve_wavelet_sdpb("max-c0", None, cfg, digits=60, workdir=str(tmp_path), float64_data=True)
    assert d60.status == d80.status == "optimal"
    assert d80.value == pytest.approx(d60.value, rel=1e-10)
    assert abs(f64.value - d60.value) / d60.value > 1e-5
    assert d60.certificate["max_abs_coefficient"] > 1e15
    assert not d60.certified            # 300 points do not resolve the resonance: reported as such


@needs_sdpb
@pytest.mark.slow
def test_high_precision_wavelet_reaches_the_converged_max_c0():
    """Slow (~1 min): Nmax 16 with 80-digit data (SDPB, 320 bits) lands within 1e-4 below the
    rigorous dual bound — the value the converged spectral grid gives (docs/convergence.md)."""
    from smatrix.sdp.zero_ddisc_dual import solve_dual
    bound = solve_dual("max-c0").value
    r = solve_wavelet_sdpb("max-c0", None, WaveletConfig(nmax=16, grid=600), digits=80,
                           options={"precision": 320, "maxIterations": 2000})
    assert r.status == "optimal" and r.value <= bound and (bound - r.value) / bound < 1e-4


def test_killed_sdpb_is_a_clear_error(tmp_path):
    """An sdpb that dies (here: kills itself with SIGKILL) gives SDPBError, no stale result."""
    fake = tmp_path / "sdpb-killed"
    fake.write_text("#!/bin/sh\nkill -9 $$\n")
    fake.chmod(0o755)
    with pytest.raises(SDPBError, match="SDPB failed"):
        run_sdpb(_toy(), workdir=tmp_path, executable=str(fake))


@needs_sdpb
def test_checkpoint_of_a_neighbouring_point_is_reused(tmp_path):
    """Kept on request, a final checkpoint starts the next (same-structure) problem, which still
    finds its own optimum; by default no checkpoint is left (test above)."""
    from smatrix.sdp.sdpb import checkpoint_reuse
    ck = tmp_path / "toy.ck"
    assert checkpoint_reuse(ck) == {"checkpoint": ck, "initial_checkpoint": None}   # nothing to start from yet
    first = run_sdpb(_toy(), workdir=tmp_path, **checkpoint_reuse(ck))
    assert first.optimal and ck.exists()
    neighbour = _toy()
    neighbour.objective[0] = mp.mpf("0.25")                 # shifts the objective, not the optimum y = 1
    again = run_sdpb(neighbour, workdir=tmp_path / "next", **checkpoint_reuse(ck))
    assert again.optimal and abs(again.y[0] - 1) < mp.mpf("1e-25")
    assert abs(again.primal_objective - mp.mpf("1.25")) < mp.mpf("1e-25")
