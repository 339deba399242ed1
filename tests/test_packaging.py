"""Packaging: the SDP methods run without torch (an optional extra), a neural command without it
is one clear line; the pins and the files a release needs."""
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# import torch fails as it does where torch is not installed (ModuleNotFoundError, name "torch",
# nothing in sys.modules: scipy probes sys.modules for torch)
NO_TORCH = """
import sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
from smatrix.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_torch(*args):
    p = subprocess.run([sys.executable, "-c", NO_TORCH, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_primal_and_dual_run_without_torch():
    rc, out, err = run_without_torch("primal", "--objective", "max-c2", "--c0", "28pi", "--nmax", "8", "--grid", "100")
    assert rc == 0, err
    assert "certified   : True" in out
    rc, out, err = run_without_torch("dual", "--n-cheb", "10", "--nodes", "80", "--json")
    assert rc == 0, err
    assert '"bound_kind": "dual (rigorous)"' in out.splitlines()[-1]


@pytest.mark.parametrize("args", [["nn-dual", "--epochs", "1"], ["nn-primal", "--c0", "28pi", "--c2", "0.76"]])
def test_neural_command_without_torch_is_one_line(args):
    rc, out, err = run_without_torch(*args)
    assert rc == 4
    assert err.strip().count("\n") == 0 and "needs PyTorch" in err and "[neural]" in err
    assert "Traceback" not in err + out


def test_torch_is_an_optional_cpu_extra():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("torch") for dep in meta["dependencies"])
    assert meta["optional-dependencies"]["neural"] == ["torch==2.13.0+cpu"]   # the CPU build, not CUDA
    assert "smatrix-bootstrap[neural]" in meta["optional-dependencies"]["test"]
    readme = (ROOT / "README.md").read_text()
    assert "pip install -e '.[neural]'" in readme and "pip install -e '.[test]'" in readme


def test_release_files():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version:" in cff and "1708.06765" in cff and "SDPB" in cff
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
