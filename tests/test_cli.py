"""The smatrix CLI: result contract on stdout, clear errors and exit codes on bad input."""
import json
import subprocess
import sys

import pytest


def run(*args):
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_primal_json_contract():
    rc, out, err = run("primal", "--method", "wavelet", "--objective", "max-c2", "--c0", "28pi", "--nmax", "10", "--json")
    assert rc == 0, err
    d = json.loads(out.strip().splitlines()[-1])
    for key in ("method", "model", "objective", "c0", "c2", "value", "bound_kind", "status", "certified",
                "certificate", "solver", "seconds", "config", "config_hash"):
        assert key in d
    assert d["bound_kind"] == "primal (achieved)" and d["c0_over_pi"] == pytest.approx(28)
    assert d["certificate"]["check_points"] >= 4 * 300 and d["certificate"]["spins_checked"] == [0]


@pytest.mark.parametrize("args, code, text", [
    (["primal", "--objective", "min-c2", "--c0", "-1"], 2, "c0 < 0"),
    (["primal", "--objective", "min-c2", "--c0", "300", "--nmax", "8"], 3, "above the allowed maximum"),
    (["primal", "--objective", "min-c2", "--c0", "twelve"], 2, "not a number"),
    (["primal", "--nmax", "0"], 2, "--nmax"),
    (["primal", "--method", "grid", "--grid", "3"], 2, "too small"),
    (["primal", "--objective", "max-c9"], 2, "unknown objective"),
    (["primal", "--objective", "min-c2"], 2, "needs --c0"),
])
def test_bad_input_is_a_clear_error(args, code, text, capsys):
    """In process: one line on stderr and the documented exit code (no traceback)."""
    from smatrix.cli import main
    rc = main(list(args))
    err = capsys.readouterr().err
    assert rc == code and text in err and len(err.strip().splitlines()) == 1, (rc, err)


def test_uncertified_value_warns_and_strict_exits_5(capsys):
    """In-process: one solve of the wavelet max c0 violates unitarity between the points (2.7e-4):
    one warning line on stderr, exit 0 — and exit 5 under --strict; the refined default passes."""
    from smatrix.cli import EXIT_UNCERTIFIED, main
    args = ["primal", "--method", "wavelet", "--objective", "max-c0", "--nmax", "8", "--json"]
    assert main([*args, "--rounds", "0"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning:") and "NOT certified" in err[0]
    assert main([*args, "--rounds", "0", "--strict"]) == EXIT_UNCERTIFIED == 5
    capsys.readouterr()
    assert main([*args, "--strict"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["certified"] and out["certificate"]["refinement"]["passed"]
    assert out["certificate"]["max_unitarity_violation"] <= 1e-6


def test_nn_primal_ansatz_order():
    from smatrix.cli.main import _ansatz_order
    assert _ansatz_order(0.7506026, 0.7506025) == ["regular", "singular"]     # on the lower boundary
    assert _ansatz_order(0.80, 0.7506025) == ["singular", "regular"]          # inside the almond


@pytest.mark.parametrize("args", [["primal", "--rounds", "-1"], ["nn-dual", "--threads", "0"]])
def test_bad_rounds_and_threads_in_process(args, capsys):
    from smatrix.cli import main
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("error:")
