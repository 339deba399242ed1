"""SDPB ≥ 2.7 (pmp2sdp, then sdpb; out.txt and y.txt), tested without an SDPB 3 binary: the version
detection, the command lines (with and without mpirun), the parsers on a recorded output directory
(tests/data/sdpb3-wavelet-nmax8: SDPB 1.0's solution in SDPB 3's layout), the whole run through
fake executables, and `smatrix sdpb import` of that directory into a certified result."""
import json
import math
import shutil
import sys
from pathlib import Path

import mpmath as mp
import pytest

from smatrix.sdp import sdpb
from smatrix.sdp.sdpb import (SDPBError, SDPBVersion, parse_out_dir, parse_version, parse_y_txt, read_run, run_sdpb,
                      sdpb3_commands)
from smatrix.sdp.sdpb_export import build, export, import_run
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig
from smatrix.cli import main
from smatrix.result import Result

RECORDED = Path(__file__).parent / "data" / "sdpb3-wavelet-nmax8"
C0 = 28 * math.pi
CONFIG = WaveletConfig(nmax=8, grid=100)


@pytest.mark.parametrize("version_out, help_out, expected", [
    ("SDPB 3.0.0\n\nDependencies: \n  Boost 1_83\n", "", (3, 0, 0)),
    ("SDPB 2.7.1\n", "", (2, 7, 1)),
    ("ERROR: unrecognised option '--version'\n\nBasic options:\n", "", (1, 0, 0)),
    ("", "  -s [ --sdpFile ] arg   SDP data file in XML format.\n  --maxThreads arg (=4)", (1, 0, 0)),
])
def test_version_detection(version_out, help_out, expected):
    v = parse_version(version_out, help_out)
    assert (v.major, v.minor, v.patch) == expected
    assert v.uses_pmp2sdp == (expected >= (2, 7, 0))


def test_unknown_version_is_a_clear_error():
    with pytest.raises(SDPBError, match="cannot tell the SDPB version"):
        parse_version("segmentation fault")


@pytest.mark.parametrize("procs", [1, 4])
def test_sdpb3_command_lines(procs, tmp_path):
    opts = {**sdpb.SDPB_DEFAULTS, "maxIterations": 7}
    conv, run, out_dir = sdpb3_commands(tmp_path / "p.json", tmp_path, opts, procs=procs)
    mpi = ["mpirun", "-n", "4"] if procs > 1 else []
    assert conv == [*mpi, "pmp2sdp", "--precision=256", "-i", str(tmp_path / "p.json"), "-o", str(tmp_path / "sdp")]
    assert run[:len(mpi) + 8] == [*mpi, "sdpb", "--precision=256", "-s", str(tmp_path / "sdp"), "-o", str(out_dir),
                                   "-c", str(tmp_path / "ck")]
    assert "--noFinalCheckpoint" in run and "--maxIterations=7" in run
    assert not any("maxThreads" in a for a in run)             # SDPB ≥ 2 has MPI ranks, not threads
    _, kept, _ = sdpb3_commands(tmp_path / "p.json", tmp_path, opts, checkpoint=tmp_path / "ck1",
                                initial_checkpoint=tmp_path / "ck0")
    assert "--noFinalCheckpoint" not in kept and kept[kept.index("-i") + 1] == str(tmp_path / "ck0")


def test_parsers_on_the_recorded_output_directory():
    parsed = parse_out_dir(RECORDED / "out", 60)
    assert parsed["terminate_reason"] == "found primal-dual optimal solution"
    assert len(parsed["y"]) == 27 and parsed["duality_gap"] < mp.mpf("1e-30")
    with mp.workdps(60):
        assert abs(parsed["primal_objective"] - parsed["dual_objective"]) < mp.mpf("1e-29")
    assert read_run(RECORDED).y == parsed["y"]                   # the run directory or its out/
    with pytest.raises(SDPBError, match="header says 3"):
        parse_y_txt("3 1\n1.0\n2.0\n")
    with pytest.raises(SDPBError, match="has no out.txt"):
        parse_out_dir(RECORDED)                                  # out.txt lives in out/


def _fake_sdpb3(tmp_path) -> Path:
    """`sdpb` answering --version like SDPB 3 and copying the recorded out/ to its -o directory; a
    `pmp2sdp` that checks the JSON PMP and makes the SDP directory. Both log their arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.jsonl"
    common = f"import json, shutil, sys\nfrom pathlib import Path\nargs = sys.argv[1:]\n" \
             f"open({str(log)!r}, 'a').write(json.dumps([Path(sys.argv[0]).name, *args]) + '\\n')\n"
    (bindir / "sdpb").write_text(f"#!{sys.executable}\n" + common + (
        "if args == ['--version']:\n    print('SDPB 3.0.0'); sys.exit(0)\n"
        "out = Path(args[args.index('-o') + 1])\n"
        "assert Path(args[args.index('-s') + 1]).is_dir()\n"
        f"shutil.copytree({str(RECORDED / 'out')!r}, out)\n"))
    (bindir / "pmp2sdp").write_text(f"#!{sys.executable}\n" + common + (
        "pmp = json.loads(Path(args[args.index('-i') + 1]).read_text())\n"
        "assert set(pmp) == {'objective', 'normalization', 'PositiveMatrixWithPrefactorArray'}\n"
        "assert pmp['normalization'] == ['1'] + ['0'] * (len(pmp['objective']) - 1)\n"
        "Path(args[args.index('-o') + 1]).mkdir()\n"))
    (bindir / "mpirun").write_text(f"#!{sys.executable}\n" + common + (
        "import subprocess\nassert args[0] == '-n'\nsys.exit(subprocess.run(args[2:]).returncode)\n"))
    for f in bindir.iterdir():
        f.chmod(0o755)
    return bindir


def test_run_through_fake_sdpb3(tmp_path):
    bindir = _fake_sdpb3(tmp_path)
    problem, _ = build("wavelet", "max-c2", C0, CONFIG, 60)
    res = run_sdpb(problem, workdir=tmp_path / "work", executable=str(bindir / "sdpb"))
    assert res.optimal and res.y == parse_out_dir(RECORDED / "out", 60)["y"]
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert [c[0] for c in calls] == ["sdpb", "pmp2sdp", "sdpb"]    # --version, convert, solve
    assert calls[2][1] == "--precision=256" and "--noFinalCheckpoint" in calls[2]


def test_run_under_mpirun(tmp_path):
    bindir = _fake_sdpb3(tmp_path)
    problem, _ = build("wavelet", "max-c2", C0, CONFIG, 60)
    res = run_sdpb(problem, workdir=tmp_path / "work", executable=str(bindir / "sdpb"), procs=3,
                   mpirun=str(bindir / "mpirun"))
    assert res.optimal
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert [c[:3] for c in calls if c[0] == "mpirun"] == [["mpirun", "-n", "3"]] * 2   # pmp2sdp and sdpb
    assert [c[0] for c in calls if c[0] != "mpirun"] == ["sdpb", "pmp2sdp", "sdpb"]


def test_import_of_a_recorded_sdpb3_run_is_certified(tmp_path, capsys):
    run = tmp_path / "run"
    export("wavelet", "max-c2", C0, CONFIG, run, 60, formats=("json",))
    shutil.copytree(RECORDED / "out", run / "out")
    assert main(["sdpb", "import", str(run), "--json", "--out", str(tmp_path / "saved")]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    res = Result.load(tmp_path / "saved")
    out_txt = parse_out_dir(RECORDED / "out", 60)
    assert res.solver == "sdpb" and res.status == "optimal" and res.certified   # |S0|² − 1 ≤ 1e-6 in 60 digits
    assert res.value == printed["value"] and res.certificate["precision_digits"] == 60
    # c2 from the coefficients mapped back through the chart = SDPB's own objective b0 + b·y
    assert res.value == pytest.approx(float(out_txt["primal_objective"]), rel=1e-14)
    assert res.c0 == pytest.approx(C0, rel=1e-14)
    assert main(["show", str(tmp_path / "saved")]) == 0             # reloaded, re-certified in 60 digits
    assert "re-run      : passed" in capsys.readouterr().out


def test_import_refuses_another_problem(tmp_path):
    run = tmp_path / "run"
    export("wavelet", "max-c2", C0, WaveletConfig(nmax=4, grid=100), run, 60, formats=("json",))
    shutil.copytree(RECORDED / "out", run / "out")
    with pytest.raises(ValueError, match="y has 27 entries"):
        import_run(run)
    export("wavelet", "max-c2", 27 * math.pi, CONFIG, run, 60, formats=("json",))   # same size, other c0
    with pytest.raises(ValueError, match="belongs to another run"):
        import_run(run)
    chart = json.loads((run / "chart.json").read_text())
    chart["problem_sha256"] = "0" * 64
    (run / "chart.json").write_text(json.dumps(chart))
    with pytest.raises(ValueError, match="differs from the exported one"):
        import_run(run)


needs_sdpb = pytest.mark.skipif(shutil.which("sdpb") is None,
                                reason="sdpb not installed (apt-get install -y sdpb; .ci/run installs it)")


def _run_elsewhere(run: Path) -> None:
    """What a cluster job does with the exported files: SDPB 1.0 on problem.xml, one .out file."""
    import subprocess
    cmd = sdpb.sdpb1_command(shutil.which("sdpb"), run / "problem.xml", run / "problem.out", run / "problem.ck",
                             sdpb.SDPB_DEFAULTS)
    assert subprocess.run(cmd, capture_output=True, timeout=900).returncode == 0


@needs_sdpb
@pytest.mark.slow   # ~1.5 min on 2 busy cores; dual_result_from_sdpb also runs in test_dual's SDPB test
def test_dual_export_run_import(tmp_path):
    """The exported dual, solved outside the toolkit and imported, is the certified bound that the
    same SDP gives with Clarabel (one multiplier certifies, a bound for any w)."""
    from smatrix.sdp.zero_ddisc_dual import DualConfig, solve_dual
    config = DualConfig(nodes=16, n_cheb=6, cutoff=100.0, s_max=1e8, solver="sdpb")
    run = tmp_path / "dual"
    export("dual", "max-c0", None, config, run, 40, formats=("xml",))
    _run_elsewhere(run)
    res = import_run(run)
    cla = solve_dual("max-c0", None, DualConfig(nodes=16, n_cheb=6, cutoff=100.0, s_max=1e8))
    assert res.bound_kind == "dual (rigorous)" and res.status == "optimal"
    assert res.value == pytest.approx(cla.value, rel=1e-6)
    assert res.certified == cla.certified        # same verdict of the quadrature-error check (this tiny grid)
    assert res.certificate["sdpb_duality_gap"] < 1e-20


@needs_sdpb
def test_full_model_export_run_import(tmp_path):
    from smatrix.sdp.full_wavelet import FullConfig, solve_full
    config = FullConfig(nmax=3, jmax=2, grid=40, solver="sdpb")
    run = tmp_path / "full"
    export("full", "max-c0", None, config, run, 40, formats=("xml",))
    _run_elsewhere(run)
    res = import_run(run)
    cla = solve_full("max-c0", None, FullConfig(nmax=3, jmax=2, grid=40, svd_cutoff=1e-8, rounds=0))
    assert res.model == "full" and res.status == "optimal"
    assert res.value == pytest.approx(cla.value, rel=1e-6)
    assert res.certificate["spins_checked"][-1] == 2 + 4      # re-measured by direct summation up to J_max + 4
