"""Checkpoints are read without executing code from the file: a crafted pickle is refused and
nothing it asks for runs; wrong keys, shapes and types are one clear error (exit 2 in the CLI)."""
import math
import subprocess
import sys

import pytest
import torch

from smatrix.neural.checkpoint import load_checkpoint, load_weights
from smatrix.neural.zero_ddisc_dual import DualNet, NNDualConfig, train_dual
from smatrix.neural.zero_ddisc_primal import NNPrimalConfig, train_primal
from smatrix.errors import BadInput


class _Payload:
    """Unpickling this calls exec(code): the classic pickle attack."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def _crafted(tmp_path, marker):
    path = tmp_path / "evil.pt"
    torch.save({"net": _Payload(f"open({str(marker)!r}, 'w').write('ran')"), "nu_param": 0.0,
                "model": {}, "shape": {}, "config": {}}, path)
    return path


def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "code-ran"
    evil = _crafted(tmp_path, marker)
    # sanity: the file really is an attack — an unrestricted load would run the payload
    torch.load(evil, weights_only=False)
    assert marker.exists()
    marker.unlink()
    with pytest.raises(BadInput, match="not a plain tensor checkpoint"):
        load_checkpoint(evil, ("net",))
    with pytest.raises(BadInput, match="cannot read checkpoint"):
        train_dual("max-c2", 28 * math.pi, NNDualConfig(epochs=1, lbfgs_steps=0), init=str(evil), progress=False)
    with pytest.raises(BadInput, match="cannot read checkpoint"):
        train_primal(28 * math.pi, 0.8, NNPrimalConfig(epochs=1, polish=False), init=str(evil), progress=False)
    assert not marker.exists()


@pytest.mark.parametrize("command", [["nn-dual", "--objective", "max-c2", "--c0", "28pi", "--epochs", "1"],
                                     ["nn-primal", "--c0", "28pi", "--c2", "0.8", "--epochs", "1"]])
def test_cli_refuses_a_crafted_checkpoint_without_running_it(tmp_path, command):
    marker = tmp_path / "code-ran"
    evil = _crafted(tmp_path, marker)
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", *command, "--init", str(evil)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and not marker.exists()
    assert len(p.stderr.strip().splitlines()) == 1 and "cannot read checkpoint" in p.stderr


def test_wrong_keys_shapes_and_types_are_clear_errors(tmp_path):
    net = DualNet(2, 8, 1.0).double()
    other = DualNet(2, 16, 1.0).double()
    with pytest.raises(BadInput, match="does not fit this network"):
        load_weights(net, other.state_dict(), "x.pt")                # wrong tensor shapes
    with pytest.raises(BadInput, match="does not fit this network"):
        load_weights(net, {"nope": torch.zeros(3)}, "x.pt")         # wrong keys
    with pytest.raises(BadInput, match="not a state dict"):
        load_weights(net, [1, 2], "x.pt")
    no_keys = tmp_path / "empty.pt"
    torch.save({"something": 1}, no_keys)
    with pytest.raises(BadInput, match="lacks net, nu_param"):
        load_checkpoint(no_keys, ("net", "nu_param"))
    listed = tmp_path / "list.pt"
    torch.save([1, 2, 3], listed)
    with pytest.raises(BadInput, match="not a checkpoint dict"):
        load_checkpoint(listed, ("net",))
    cfg = NNDualConfig(epochs=1, lbfgs_steps=0)
    shaped = tmp_path / "shaped.pt"
    torch.save({"net": {"x": torch.zeros(2)}, "nu_param": "abc", "config": {"depth": cfg.depth, "width": cfg.width}},
               shaped)
    with pytest.raises(BadInput, match="does not fit this network"):
        train_dual("max-c2", 28 * math.pi, cfg, init=str(shaped), progress=False)


def test_unwritable_checkpoint_is_refused_before_training(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        train_dual("max-c2", 28 * math.pi, NNDualConfig(epochs=10 ** 9), checkpoint=str(tmp_path / "no" / "nn.pt"),
                   progress=False)
    with pytest.raises(BadInput, match="is a directory"):
        train_primal(28 * math.pi, 0.8, NNPrimalConfig(epochs=10 ** 9), checkpoint=str(tmp_path), progress=False)
