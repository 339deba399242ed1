"""The one contract (issue 13): the README's Python API example runs and brackets min c2, the
objective grammar is parsed once, one registry serves the CLI, the API and the crosscheck, library
errors name config fields and the command layer its flags, one set of defaults, one status vocabulary."""
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

import smatrix
from smatrix.errors import BadInput
from smatrix.problem import Objective, Problem
from smatrix.status import STATUSES

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED_MIN_C2_28PI = 0.7506025   # README tour: dual min c2 at c0 = 28π


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_api_example_runs_and_brackets_min_c2(capsys):
    """Weak duality on the README's own objects: the certified dual bound ≤ the certified primal
    value, both at the documented number, and the plotted amplitude unitary on the real axis."""
    scope = {}
    exec(compile(_readme_example(), "README.md (Python API)", "exec"), scope)
    dual, primal, S0 = scope["dual"], scope["primal"], scope["S0"]
    assert dual.bound_kind == "dual (rigorous)" and primal.bound_kind == "primal (achieved)"
    assert dual.certified and primal.certified
    assert dual.value <= primal.value                               # a lower bound below an achieved c2
    assert dual.value == pytest.approx(DOCUMENTED_MIN_C2_28PI, abs=1e-7)
    assert (primal.value - dual.value) / dual.value < 1e-5          # the grid reaches the boundary
    assert primal.c0 == pytest.approx(28 * math.pi, rel=1e-9)
    assert abs(S0).max() <= 1 + primal.certificate["tolerance"]
    out = capsys.readouterr().out
    assert f"{dual.value:.7f} ≤ min c2 ≤ {primal.value:.7f}" in out


@pytest.mark.parametrize("text, coefficients, fixes", [
    ("max-c0", (1.0, 0.0), False), ("min-c0", (-1.0, 0.0), False), ("max-c2", (0.0, 1.0), True),
    ("min-c2", (0.0, -1.0), True), ("direction 1,-20", (1.0, -20.0), False), ("direction 2pi,1", (2 * math.pi, 1), False),
])
def test_objective_grammar(text, coefficients, fixes):
    obj = Objective.parse(text)
    assert obj.coefficients == pytest.approx(coefficients) and obj.fixes_c0 == fixes


def test_the_dual_reads_the_objective_from_the_problem():
    from smatrix.dual import DualDirection
    for text, c0 in (("max-c0", None), ("min-c0", None), ("max-c2", 10.0), ("min-c2", 10.0)):
        d = DualDirection.from_objective(text, c0)
        assert (d.a, d.b, d.c0_fixed) == (*Objective.parse(text).coefficients, c0)
    assert DualDirection.from_objective("direction", None, (1, -20)).b == -20.0


@pytest.mark.parametrize("objective, c0, field", [
    ("min-c2", None, "`c0`"), ("max-c0", 1.0, "`c0`"), ("min-c2", float("nan"), "`c0`"), ("direction", None, "`direction`"),
    ("max-c9", None, "unknown objective"), ("direction 1", None, "`direction`"),
])
def test_problem_bad_input_names_the_field(objective, c0, field):
    with pytest.raises(BadInput, match=re.escape(field)):
        Problem.make(objective, c0)


def test_library_names_fields_and_the_cli_names_flags(capsys):
    from smatrix.cli import main
    with pytest.raises(BadInput, match="`n_cheb` must be ≥ 2"):
        smatrix.bound("max-c0", method="dual-sdp", n_cheb=1)
    assert main(["dual", "--n-cheb", "1"]) == 2
    err = capsys.readouterr().err
    assert "--n-cheb must be ≥ 2" in err and "`" not in err
    assert main(["primal", "--objective", "min-c2"]) == 2
    assert "needs --c0" in capsys.readouterr().err


def test_one_registry_for_cli_api_and_crosscheck():
    from smatrix.crosscheck.methods import METHODS
    names = [m.name for m in smatrix.methods()]
    assert len(names) == len(set(names))
    for name in ("primal-wavelet", "primal-grid", "dual-sdp", "dual-nn", "primal-nn", "primal-full",
                 "amplitude-nn", "baseline-newton", "baseline-fixed-point"):
        assert name in names
    core = {m.name: m for m in smatrix.methods()}
    for m in METHODS.values():                    # the almond entries are core entries, not a second list
        assert (m.kind, m.objectives) == (core[m.name].kind, core[m.name].objectives)
    assert {m.kind for m in smatrix.methods("dual")} == {"dual"}


def test_api_and_cli_give_the_same_number():
    """The same dual through the Python API and through the command (a separate process)."""
    res = smatrix.bound("direction 1,-20", method="dual-sdp", n_cheb=10, nodes=64, cutoff=1e3)
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", "dual", "--objective", "direction", "--direction", "1,-20",
                        "--n-cheb", "10", "--nodes", "64", "--cutoff", "1e3", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.splitlines()[-1])["value"] == res.value
    assert res.certified and res.status in STATUSES


def test_one_set_of_defaults():
    from smatrix.crosscheck.methods import METHODS
    from smatrix.registry import get
    from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig
    assert WaveletConfig().nmax == 12
    assert METHODS["primal-wavelet"].settings_for(False) == {"nmax": 12, "grid": 300}   # the almond's point keys
    assert METHODS["primal-grid"].settings_for(False) == {"nodes": 250, "spline": True, "refine": 2}
    grid = get("primal-grid").defaults_resolved()
    assert (grid["nodes"], grid["spline"], grid["refine"]) == (250, True, 2)
    assert get("primal-full").defaults_resolved()["rounds"] == 8           # the CLI's --rounds for every model


def test_import_is_light_and_neural_methods_say_they_need_the_extra():
    code = """
import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
import smatrix
names = [m.name for m in smatrix.methods()]
heavy = sorted(k for k in ("cvxpy", "torch", "smatrix.sdp.zero_ddisc_dual") if k in sys.modules)
try:
    smatrix.bound("max-c0", method="dual-nn")
except ModuleNotFoundError as exc:
    print(names, heavy, exc.name, exc)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "'dual-nn'" in p.stdout and "[] torch" in p.stdout and "[neural]" in p.stdout


def test_amplitude_methods_take_no_objective():
    with pytest.raises(BadInput, match="no objective"):
        smatrix.run("baseline-newton", Problem.make("min-c2", 10.0))
    from smatrix.elastic import baseline_result
    res = smatrix.find_amplitude(10.0, method="baseline-newton", nodes=60)
    direct = baseline_result("newton", 10.0, 60)
    assert res.value == direct.value and res.status == direct.status and res.status in STATUSES
    assert res.certified == (res.status == "converged") and 0 < res.c2 < 3 * 10.0 / 64   # below the tangent (eq. 35)
