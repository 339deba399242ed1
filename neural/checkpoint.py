"""Checkpoints of the neural solvers (dual, primal, 2PRR), read without executing anything in the file.

A checkpoint holds only tensors and plain containers: the network states, the optimiser and
schedule states, the epoch, the best state so far, the RNG state; and as JSON strings the
solver's configuration, the part of it that must agree for a resume (`resume`), the network
architecture (`arch`), free `info` and the shape of every network tensor. It is read with
``torch.load(weights_only=True)``: torch's restricted unpickler rebuilds only tensors and plain
containers, so a crafted file (a pickle whose ``__reduce__`` runs code) is refused, never run.
Writes are atomic (a temporary file, then a rename): a kill leaves the old or the new file.

Two ways to start from a checkpoint:
- *resume*: its `resume` key equals this run's (same method, target and configuration): the
  networks, optimiser, schedule, epoch, best state and RNG are restored, so N + M epochs in two
  runs are bit-identical to N + M in one;
- *hot start*: anything else of the same method and architecture: the network weights only.
A file that is not a checkpoint, from another method (`kind`), of another architecture or with
other tensor shapes is a `CheckpointError` (a BadInput: exit 2 through the CLI), one line.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from smatrix.errors import BadInput

CHECKPOINT_SCHEMA = "smatrix-neural-checkpoint/2"


class CheckpointError(BadInput):
    """A checkpoint that cannot be used (unreadable, unsafe, foreign, or of other shapes)."""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=float)


def _shapes(modules: dict[str, torch.nn.Module]) -> str:
    """The shape of every tensor of the modules' states, by name (JSON)."""
    return _json({f"{k}/{name}": list(t.shape) for k, m in modules.items() for name, t in m.state_dict().items()})


def save_checkpoint(path: str | Path, kind: str, config: dict, resume: dict, arch: dict,
                    modules: dict[str, torch.nn.Module], optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any = None, epoch: int = 0, best: Any = None, info: dict | None = None) -> Path:
    """Write a checkpoint of solver `kind` atomically (tensors and plain values only).

    config: the run's configuration (recorded); resume: what must agree to resume it; arch: what
    must agree to load its weights at all; best: a `training.BestState` (or None)."""
    path = Path(path)
    body = {
        "schema": CHECKPOINT_SCHEMA, "kind": kind, "config": _json(config), "resume": _json(resume),
        "arch": _json(arch), "info": _json(info or {}), "epoch": int(epoch), "shapes": _shapes(modules),
        "modules": {k: m.state_dict() for k, m in modules.items()},
        "optimizer": optimizer.state_dict() if optimizer is not None else {},
        "scheduler": scheduler.state_dict() if scheduler is not None else {},
        "best_loss": float(best.loss) if best is not None else math.inf,
        "best_epoch": int(best.epoch) if best is not None else -1,
        "best_state": (best.state or {}) if best is not None else {},
        "rng": torch.get_rng_state(),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(body, tmp)
    tmp.replace(path)
    return path


@dataclass
class Checkpoint:
    """A checkpoint read back: its kind, configuration, info, epoch and raw states."""

    path: Path
    kind: str
    config: dict
    info: dict
    epoch: int
    body: dict

    def resumes(self, resume: dict) -> bool:
        """Whether this run (resume key `resume`) continues the checkpoint's run."""
        return self.body["resume"] == _json(resume)

    def load_modules(self, modules: dict[str, torch.nn.Module], arch: dict) -> None:
        """Load the network weights (hot start): the architecture and every shape must match."""
        if self.body["arch"] != _json(arch):
            raise CheckpointError(f"checkpoint {self.path}: its network {_brief(self.body['arch'])} is not this "
                                  f"run's {_brief(_json(arch))}")
        if self.body["shapes"] != _shapes(modules) or set(modules) != set(self.body["modules"]):
            raise CheckpointError(f"checkpoint {self.path}: its tensor shapes do not match this network")
        for k, m in modules.items():
            try:
                m.load_state_dict(self.body["modules"][k])
            except (RuntimeError, KeyError, TypeError, ValueError) as exc:
                raise CheckpointError(f"checkpoint {self.path} does not fit this network: "
                                      f"{' '.join(str(exc).split())[:200]}") from None

    def resume(self, modules: dict[str, torch.nn.Module], arch: dict, optimizer: torch.optim.Optimizer,
               scheduler: Any, best: Any) -> None:
        """Restore everything for a bit-identical continuation (networks, optimiser, schedule,
        best state, RNG)."""
        self.load_modules(modules, arch)
        try:
            if self.body["optimizer"]:
                optimizer.load_state_dict(self.body["optimizer"])
                scheduler.load_state_dict(self.body["scheduler"])
            best.loss, best.epoch = float(self.body["best_loss"]), int(self.body["best_epoch"])
            best.state = self.body["best_state"] or None
            torch.set_rng_state(self.body["rng"])
        except (RuntimeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise CheckpointError(f"checkpoint {self.path}: its optimiser state cannot be resumed "
                                  f"({type(exc).__name__}: {' '.join(str(exc).split())[:160]})") from None


def _brief(arch_json: str, limit: int = 160) -> str:
    return arch_json if len(arch_json) <= limit else arch_json[:limit - 1] + "…"


def load_checkpoint(path: str | Path, kind: str) -> Checkpoint:
    """Read a checkpoint of solver `kind` without executing anything in it (weights_only)."""
    path = Path(path)
    try:
        body = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"cannot read checkpoint {path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 — unpickling refused, truncated, not a torch file, …
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise CheckpointError(f"cannot read checkpoint {path}: not a plain tensor checkpoint "
                              f"({type(exc).__name__}: {first})") from None
    if not isinstance(body, dict) or body.get("schema") != CHECKPOINT_SCHEMA:
        raise CheckpointError(f"cannot read checkpoint {path}: not a neural checkpoint "
                              f"(schema {CHECKPOINT_SCHEMA!r} expected)")
    if body.get("kind") != kind:
        raise CheckpointError(f"checkpoint {path} is from another method: {body.get('kind')!r}, not {kind!r}")
    try:
        config, info, epoch = json.loads(body["config"]), json.loads(body["info"]), body["epoch"]
        for key in ("resume", "arch", "shapes", "modules", "optimizer", "scheduler", "best_loss", "best_epoch",
                    "best_state", "rng"):
            body[key]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: malformed ({type(exc).__name__}: {exc})") from None
    if not (isinstance(config, dict) and isinstance(info, dict) and isinstance(body["modules"], dict)
            and isinstance(epoch, int) and epoch >= 0):
        raise CheckpointError(f"cannot read checkpoint {path}: malformed")
    return Checkpoint(path, kind, config, info, epoch, body)


__all__ = ["CHECKPOINT_SCHEMA", "Checkpoint", "CheckpointError", "load_checkpoint", "save_checkpoint"]
