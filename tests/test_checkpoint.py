"""Checkpoints of the neural solvers are read without executing code from the file: a crafted
pickle is refused and nothing it asks for runs; a file of another method, another architecture
or other tensor shapes is one clear error (exit 2 in the CLI, one line)."""
import math
import subprocess
import sys

import pytest
import torch

from smatrix.errors import BadInput
from smatrix.neural.checkpoint import CHECKPOINT_SCHEMA, CheckpointError, load_checkpoint, save_checkpoint
from smatrix.neural.training import BestState
from smatrix.neural.zero_ddisc_dual import DualNet, NNDualConfig, train_dual
from smatrix.neural.zero_ddisc_primal import NNPrimalConfig, train_primal
from smatrix.unitarity import GridSpec

SMALL = GridSpec(threshold_density=4, bulk=40, regge_step=0.05, regge_max_step=0.8, s_imposed=1e10, s_max=1e20)


class _Payload:
    """Unpickling this calls exec(code): the classic pickle attack."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def _crafted(tmp_path, marker):
    path = tmp_path / "evil.pt"
    torch.save({"schema": CHECKPOINT_SCHEMA, "kind": "dual-nn",
                "modules": _Payload(f"open({str(marker)!r}, 'w').write('ran')")}, path)
    return path


def test_crafted_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "code-ran"
    evil = _crafted(tmp_path, marker)
    # sanity: the file really is an attack — an unrestricted load would run the payload
    torch.load(evil, weights_only=False)
    assert marker.exists()
    marker.unlink()
    with pytest.raises(CheckpointError, match="not a plain tensor checkpoint"):
        load_checkpoint(evil, "dual-nn")
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


def _dual_and_primal_checkpoints(tmp_path):
    dual, primal = tmp_path / "dual.pt", tmp_path / "primal.pt"
    train_dual("max-c2", 28 * math.pi, NNDualConfig(epochs=1, lbfgs_steps=0), checkpoint=str(dual), progress=False)
    train_primal(28 * math.pi, 0.8, NNPrimalConfig(epochs=1, polish=False, grid=SMALL), checkpoint=str(primal),
                 progress=False)
    return dual, primal


def test_checkpoint_of_another_method_or_shape_is_refused(tmp_path):
    dual, primal = _dual_and_primal_checkpoints(tmp_path)
    assert load_checkpoint(dual, "dual-nn").config["method"] == "dual-nn"
    with pytest.raises(CheckpointError, match="from another method: 'primal-nn', not 'dual-nn'"):
        train_dual("max-c2", 28 * math.pi, NNDualConfig(epochs=1, lbfgs_steps=0), init=str(primal), progress=False)
    with pytest.raises(CheckpointError, match="from another method: 'dual-nn', not 'primal-nn'"):
        train_primal(28 * math.pi, 0.8, NNPrimalConfig(epochs=1, polish=False, grid=SMALL), init=str(dual),
                     progress=False)
    with pytest.raises(CheckpointError, match="from another method: 'dual-nn', not '2prr-networks'"):
        load_checkpoint(dual, "2prr-networks")
    # another architecture of the same method: refused, naming both
    with pytest.raises(CheckpointError, match='"width": 64.* is not this run\'s .*"width": 32'):
        train_dual("max-c2", 28 * math.pi, NNDualConfig(epochs=1, lbfgs_steps=0, width=32), init=str(dual),
                   progress=False)
    with pytest.raises(CheckpointError, match="is not this run's"):
        train_primal(28 * math.pi, 0.8, NNPrimalConfig(epochs=1, polish=False, grid=GridSpec(bulk=41)),
                     init=str(primal), progress=False)
    # same declared architecture, other tensor shapes (a file written for other modules)
    net = DualNet(2, 8, 1.0).double()
    other = tmp_path / "other.pt"
    save_checkpoint(other, "dual-nn", {}, {}, {"depth": 6, "width": 64}, {"net": net})
    ck = load_checkpoint(other, "dual-nn")
    with pytest.raises(CheckpointError, match="tensor shapes do not match"):
        ck.load_modules({"net": DualNet(6, 64, 1.0).double()}, {"depth": 6, "width": 64})
    # shapes recorded right but a tensor replaced (a tampered file)
    body = torch.load(other, weights_only=True)
    body["modules"]["net"]["body.0.weight"] = torch.zeros(3, 3, dtype=torch.float64)
    torch.save(body, other)
    with pytest.raises(CheckpointError, match="does not fit this network"):
        load_checkpoint(other, "dual-nn").load_modules({"net": DualNet(2, 8, 1.0).double()}, {"depth": 6, "width": 64})


@pytest.mark.parametrize("use", ["primal", "dual"])
def test_cli_refuses_another_methods_checkpoint_with_one_line(tmp_path, use):
    dual, primal = _dual_and_primal_checkpoints(tmp_path)
    commands = {"primal": ["nn-dual", "--objective", "max-c2", "--c0", "28pi", "--epochs", "1", "--init", str(primal)],
                "dual": ["2prr", "--c0", "8pi", "--n", "12", "--ladder", "12", "--smax", "1e6", "--method", "nn",
                         "--init", str(dual)]}
    p = subprocess.run([sys.executable, "-m", "smatrix.cli", *commands[use]], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "from another method" in p.stderr


def test_foreign_and_malformed_files_are_clear_errors(tmp_path):
    cases = {"list.pt": [1, 2, 3], "plain.pt": {"net": torch.zeros(2)},
             "old.pt": {"schema": "smatrix-neural-checkpoint/1", "kind": "dual-nn"},
             "partial.pt": {"schema": CHECKPOINT_SCHEMA, "kind": "dual-nn", "config": "{}", "info": "{}", "epoch": 3}}
    for name, content in cases.items():
        torch.save(content, tmp_path / name)
    for name in ("list.pt", "plain.pt", "old.pt"):
        with pytest.raises(CheckpointError, match="not a neural checkpoint"):
            load_checkpoint(tmp_path / name, "dual-nn")
    with pytest.raises(CheckpointError, match="malformed"):
        load_checkpoint(tmp_path / "partial.pt", "dual-nn")
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "absent.pt", "dual-nn")


def test_saved_state_round_trips(tmp_path):
    """What is written is what is read: config, info, epoch, best state and weights."""
    torch.manual_seed(1)
    net = DualNet(2, 8, 1.0).double()
    best = BestState()
    best.update(0.5, 7, {"net": net})
    path = save_checkpoint(tmp_path / "ck.pt", "dual-nn", {"c0": 1.5}, {"c0": 1.5}, {"depth": 2}, {"net": net},
                           epoch=9, best=best, info={"finished": True})
    ck = load_checkpoint(path, "dual-nn")
    assert (ck.config, ck.info, ck.epoch) == ({"c0": 1.5}, {"finished": True}, 9)
    assert ck.resumes({"c0": 1.5}) and not ck.resumes({"c0": 1.25})
    fresh = DualNet(2, 8, 1.0).double()
    got = BestState()
    ck.resume({"net": fresh}, {"depth": 2}, torch.optim.Adam(fresh.parameters()), None, got)
    assert (got.loss, got.epoch) == (0.5, 7)
    for k, v in net.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v) and torch.equal(got.state["net"][k], v)


def test_unwritable_checkpoint_is_refused_before_training(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        train_dual("max-c2", 28 * math.pi, NNDualConfig(epochs=10 ** 9), checkpoint=str(tmp_path / "no" / "nn.pt"),
                   progress=False)
    with pytest.raises(BadInput, match="is a directory"):
        train_primal(28 * math.pi, 0.8, NNPrimalConfig(epochs=10 ** 9), checkpoint=str(tmp_path), progress=False)
