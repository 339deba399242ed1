"""The CLI's error boundary, case by case (docs/reliability.md): every expected failure is one
line on stderr with the documented exit code (2 bad input, 3 infeasible, 4 failed, 130
interrupted), output paths are checked before the work, and problems too large for the machine
are refused with an estimate."""
import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from smatrix.budget import Estimate, check_size, dual_estimate, full_estimate, wavelet_estimate
from smatrix.cli import main


def run_main(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def one_line(err):
    lines = [l for l in err.strip().splitlines() if not l.startswith("smatrix: cache entry")]
    return len(lines) == 1 and "Traceback" not in err


def _eta_file(tmp_path, payload, name="eta.json"):
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


S = np.geomspace(4 + 1e-13, 1e17, 40).tolist()


@pytest.mark.parametrize("payload", [
    {"s": "abc", "eta": {"0": [0.1] * 40}},
    {"s": {"a": 1}, "eta": {"0": [0.1] * 40}},
    {"s": S, "eta": {"0": {"x": 1}}},
    {"s": S, "eta": {"0": "0.1"}},
    {"s": S, "eta": {"0": [[0.1]] * 40}},
    {"s": S, "eta": {"0": [0.1] * 40}, "meta": 5},
    {"s": S, "eta": [0.1] * 40},
])
def test_eta_files_with_wrong_json_types_are_bad_input(tmp_path, capsys, payload):
    path = _eta_file(tmp_path, payload)
    rc, out, err = run_main(capsys, "primal", "--method", "grid", "--objective", "min-c2", "--c0", "28pi",
                            "--grid", "40", "--inelasticity", path)
    assert rc == 2 and one_line(err) and "inelasticity" in err


def test_eta_identically_one_is_reported_as_such(tmp_path, capsys):
    path = _eta_file(tmp_path, {"s": S, "eta": {"0": [1.0] * 40}})
    rc, out, err = run_main(capsys, "primal", "--method", "grid", "--objective", "min-c2", "--c0", "28pi",
                            "--grid", "60", "--inelasticity", path)
    assert rc == 3 and one_line(err)
    assert "inelasticity of" in err and "above the allowed maximum" not in err


@pytest.mark.parametrize("args, code, text", [
    ([], 2, "give a command: primal, dual"),
    (["primal", "--nmax", "500"], 2, "needs about"),
    (["primal", "--model", "full", "--objective", "max-c0", "--nmax", "200"], 2, "GiB"),
    (["dual", "--nodes", "200000"], 2, "lower --nodes"),
    (["dual", "--objective", "min-c2", "--c0", "-3"], 2, "c0 < 0"),
    (["nn-dual", "--objective", "min-c2", "--c0", "-1"], 2, "c0 < 0"),
    (["baseline", "--method", "fixed-point", "--c0", "28pi", "--grid", "60", "--max-iter", "5"], 4, "not-converged"),
    (["nn-dual", "--objective", "max-c2", "--c0", "28pi", "--checkpoint", "/nonexistent-dir/nn.pt"], 2, "does not exist"),
    (["nn-primal", "--c0", "28pi", "--c2", "0.8", "--checkpoint", "/"], 2, "is a directory"),
    (["nn-primal", "--c0", "28pi", "--c2", "0.8", "--inelastic", "--eta-out", "/nonexistent-dir/eta.json"], 2,
     "does not exist"),
    (["sdpb", "export", "--out", "/etc/hostname"], 2, "exists and is not a directory"),
    (["almond", "--out", "/etc/hostname/x", "--methods", "dual-sdp"], 2, "not a writable directory"),
    (["almond", "--set", "dual-sdp.nodes=abc", "--methods", "dual-sdp", "--out", "OUT"], 2, "expected int"),
    (["almond", "--set", "primal-grid.bogus=1", "--methods", "primal-grid", "--out", "OUT"], 2, "unknown setting 'bogus'"),
])
def test_expected_failures_are_one_line_with_their_code(tmp_path, capsys, args, code, text):
    args = [str(tmp_path / "o") if a == "OUT" else a for a in args]
    t0 = time.perf_counter()
    rc, out, err = run_main(capsys, *args)
    assert rc == code and text in err and one_line(err), (rc, err)
    assert time.perf_counter() - t0 < 20            # refused before the work


def test_version_prints_the_version(capsys):
    rc, out, err = run_main(capsys, "--version")
    assert rc == 0 and out.startswith("smatrix-bootstrap ")


def test_missing_sdpb_is_reported_before_building(tmp_path):
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", "primal", "--nmax", "8", "--solver", "sdpb"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "PATH": str(tmp_path)})
    assert p.returncode == 4 and one_line(p.stderr) and "`sdpb` not found" in p.stderr
    assert time.perf_counter() - t0 < 30


def test_dual_messages_direction_and_node_count(capsys):
    rc, out, err = run_main(capsys, "dual", "--objective", "direction", "--direction", "1,-20", "--nodes", "64",
                            "--n-cheb", "10", "--cutoff", "1e3")
    assert rc == 0, err
    assert "·c0 − 20·c2 ≤" in out and "+ -" not in out
    assert "(--nodes 64 asked" in out


def test_size_estimates_are_calibrated_and_announced(capsys):
    """The estimate for the measured calibration runs is right to a factor 2 (docs/reliability.md),
    grows with the problem, and a long run is announced on stderr before it starts."""
    assert wavelet_estimate(60, 300).seconds == pytest.approx(10.5, rel=0.05)
    assert wavelet_estimate(100, 300).seconds == pytest.approx(101, rel=1.0)      # measured 101 s
    assert 0.3 * 2**30 < wavelet_estimate(100, 300).bytes < 2 * 2**30              # measured 0.62 GiB above import
    assert full_estimate(12, 300, 16).seconds == pytest.approx(15, rel=1.0)
    assert dual_estimate(1600).seconds == pytest.approx(32, rel=1.0)
    check_size(Estimate("a test problem", 1e6, 100.0, "--nmax"), available=1e12)
    assert "a test problem: about 100 s" in capsys.readouterr().err
    with pytest.raises(ValueError, match="needs about 93.1 GiB"):
        check_size(Estimate("a test problem", 1e11, 1.0, "--nmax"), available=1e11)
    with pytest.raises(ValueError, match="more than the 12 h limit"):
        check_size(Estimate("a test problem", 1e6, 13 * 3600.0, "--nmax"), available=1e12)


def test_ctrl_c_during_training_exits_130_with_a_consistent_checkpoint(tmp_path):
    from smatrix.neural.checkpoint import load_checkpoint
    ck = tmp_path / "nn.pt"
    args = [sys.executable, "-m", "smatrix.cli", "nn-dual", "--objective", "max-c2", "--c0", "28pi",
            "--epochs", "1000000", "--lbfgs", "0", "--checkpoint", str(ck)]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not ck.exists():
        time.sleep(0.2)
    assert ck.exists(), "no checkpoint written"
    time.sleep(0.5)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    state = load_checkpoint(ck, "dual-nn")
    assert state.epoch % 500 == 0 and state.epoch >= 500 and state.config["objective"] == "max-c2"
    assert math.isclose(state.config["c0"], 28 * math.pi)
