"""Shared training machinery of the neural solvers: the optimiser schedule (Adam with cosine
warm restarts, P2 §3.4), best-state tracking, checkpoints and a progress line.

Checkpoints hold only tensors and plain containers (the network and optimiser states, the
solver's own tensors such as moving-average weights, the RNG state) plus the run's configuration
as a JSON string and the shapes of every tensor. They are read with
``torch.load(weights_only=True)``, so a checkpoint file can never execute code; anything
malformed, from another configuration or with other shapes is a `CheckpointError` naming the file.

Two ways to start from a checkpoint:
- *resume*: the same configuration continues where it stopped (networks, optimiser, schedule,
  epoch, best state, solver tensors, RNG): training N + M epochs in two runs is bit-identical to
  one run of N + M;
- *hot start*: only the network weights are taken (another c0, grid or schedule); the optimiser
  starts fresh.
"""
from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

CHECKPOINT_SCHEMA = "smatrix-neural-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (unreadable, foreign, or of other shapes)."""


@dataclass(frozen=True)
class Schedule:
    """Adam with a CosineAnnealingWarmRestarts learning rate between lr_max and lr_min."""

    lr_max: float = 3e-3
    lr_min: float = 1e-5
    period: int = 1000             # epochs of the first cosine cycle
    period_mult: int = 1           # cycle length multiplier after each restart

    def validate(self) -> None:
        if not (0 < self.lr_min <= self.lr_max < 1) or self.period < 1 or self.period_mult < 1:
            raise ValueError("schedule needs 0 < lr_min ≤ lr_max < 1, period ≥ 1 and period_mult ≥ 1")

    def build(self, params) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
        opt = torch.optim.Adam(params, lr=self.lr_max, betas=(0.9, 0.999))
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=self.period, T_mult=self.period_mult,
                                                                     eta_min=self.lr_min)
        return opt, sched


class BestState:
    """The lowest loss seen so far and a deep copy of the module states that reached it."""

    def __init__(self):
        self.loss = math.inf
        self.epoch = -1
        self.state: dict | None = None

    def update(self, loss: float, epoch: int, modules: dict[str, torch.nn.Module]) -> bool:
        if not (math.isfinite(loss) and loss < self.loss):
            return False
        self.loss, self.epoch = float(loss), int(epoch)
        self.state = {k: copy.deepcopy(m.state_dict()) for k, m in modules.items()}
        return True

    def restore(self, modules: dict[str, torch.nn.Module]) -> None:
        if self.state is not None:
            for k, m in modules.items():
                m.load_state_dict(self.state[k])


class Progress:
    """A progress bar on stderr when it is a terminal, else about ten plain lines per run."""

    def __init__(self, label: str, total: int, enabled: bool = True):
        self.label, self.total, self.enabled = label, max(int(total), 1), enabled
        self.tty = sys.stderr.isatty()
        self.step = max(1, self.total // 10)
        self.t0 = time.perf_counter()

    def update(self, epoch: int, text: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            done = int(30 * min(epoch, self.total) / self.total)
            print(f"\r  {self.label} [{'#' * done}{'.' * (30 - done)}] {epoch}/{self.total} {text}", end="",
                  file=sys.stderr, flush=True)
        elif epoch % self.step == 0 or epoch == self.total:
            print(f"  {self.label}: epoch {epoch}/{self.total}  {text}  ({time.perf_counter() - self.t0:.0f} s)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


def _shapes(tree, prefix: str = "") -> dict[str, list[int]]:
    """Every tensor of a nested dict/list by its path, with its shape."""
    out: dict[str, list[int]] = {}
    if isinstance(tree, torch.Tensor):
        out[prefix] = list(tree.shape)
    elif isinstance(tree, dict):
        for k, v in tree.items():
            out.update(_shapes(v, f"{prefix}/{k}"))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            out.update(_shapes(v, f"{prefix}/{i}"))
    return out


def save_checkpoint(path: str | Path, kind: str, config: dict, modules: dict[str, torch.nn.Module],
                    optimizer: torch.optim.Optimizer | None = None, scheduler=None, epoch: int = 0,
                    best: BestState | None = None, tensors: dict[str, torch.Tensor] | None = None,
                    info: dict | None = None) -> Path:
    """Write a checkpoint atomically (tensors and plain values only; config and info as JSON)."""
    path = Path(path)
    body = {
        "schema": CHECKPOINT_SCHEMA, "kind": kind, "config": json.dumps(config, sort_keys=True),
        "info": json.dumps(info or {}, default=float), "epoch": int(epoch),
        "modules": {k: m.state_dict() for k, m in modules.items()},
        "optimizer": optimizer.state_dict() if optimizer is not None else {},
        "scheduler": scheduler.state_dict() if scheduler is not None else {},
        "best_loss": float(best.loss) if best is not None else math.inf,
        "best_epoch": int(best.epoch) if best is not None else -1,
        "best_state": (best.state or {}) if best is not None else {},
        "tensors": dict(tensors or {}),
        "rng": torch.get_rng_state(),
    }
    body["shapes"] = json.dumps(_shapes(body["modules"]), sort_keys=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(body, tmp)
    tmp.replace(path)
    return path


@dataclass
class Checkpoint:
    """A checkpoint read back: its configuration, info and raw states."""

    path: Path
    kind: str
    config: dict
    info: dict
    epoch: int
    body: dict

    def load_modules(self, modules: dict[str, torch.nn.Module]) -> None:
        """Load the network weights (hot start); shapes must match exactly."""
        want = json.dumps(_shapes({k: m.state_dict() for k, m in modules.items()}), sort_keys=True)
        if want != self.body["shapes"] or set(modules) != set(self.body["modules"]):
            raise CheckpointError(f"{self.path}: the checkpoint's network shapes do not match this network")
        for k, m in modules.items():
            try:
                m.load_state_dict(self.body["modules"][k])
            except (RuntimeError, KeyError, TypeError) as exc:
                raise CheckpointError(f"{self.path}: checkpoint does not fit the network ({exc})") from None

    def resume(self, modules, optimizer, scheduler, best: BestState) -> dict[str, torch.Tensor]:
        """Restore everything for a bit-identical continuation; returns the solver's tensors."""
        self.load_modules(modules)
        try:
            optimizer.load_state_dict(self.body["optimizer"])
            scheduler.load_state_dict(self.body["scheduler"])
            best.loss, best.epoch = float(self.body["best_loss"]), int(self.body["best_epoch"])
            best.state = self.body["best_state"] or None
            torch.set_rng_state(self.body["rng"])
        except (RuntimeError, KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{self.path}: checkpoint state cannot be resumed ({exc})") from None
        return dict(self.body["tensors"])


def load_checkpoint(path: str | Path, kind: str) -> Checkpoint:
    """Read a checkpoint without executing anything in it (weights_only) and check its schema."""
    path = Path(path)
    try:
        body = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:            # any unreadable or unsafe file: torch raises many types
        raise CheckpointError(f"{path}: not a readable neural checkpoint ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:160] if str(exc) else ''})") from None
    if not isinstance(body, dict) or body.get("schema") != CHECKPOINT_SCHEMA:
        raise CheckpointError(f"{path}: not a neural checkpoint (schema {CHECKPOINT_SCHEMA!r} expected)")
    if body.get("kind") != kind:
        raise CheckpointError(f"{path}: a {body.get('kind')!r} checkpoint, not {kind!r}")
    try:
        config, info = json.loads(body["config"]), json.loads(body["info"])
        epoch = int(body["epoch"])
        for key in ("modules", "optimizer", "scheduler", "tensors", "shapes", "rng"):
            body[key]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: malformed neural checkpoint ({exc})") from None
    if not isinstance(config, dict) or not isinstance(body["modules"], dict):
        raise CheckpointError(f"{path}: malformed neural checkpoint")
    return Checkpoint(path, kind, config, info if isinstance(info, dict) else {}, epoch, body)


__all__ = ["BestState", "Checkpoint", "CheckpointError", "Progress", "Schedule", "load_checkpoint",
           "save_checkpoint"]
