"""Training machinery shared by the neural solvers (dual, primal, 2PRR): the optimiser schedule
(Adam with one cosine decay, or cosine warm restarts as in P2 §3.4), the Adam epochs with
best-state tracking, the optional L-BFGS finish and a progress bar / log lines.

Best state: every epoch scores the state *before* its Adam step; after the last epoch the final
state is scored too and the lowest-loss state is restored, so a finish never starts from a state
worse than one already seen. L-BFGS then runs from that state and is kept only when it lowers
the loss. Checkpoints (resume, hot start) are in `smatrix.neural.checkpoint`, the shared network
blocks in `smatrix.neural.blocks`.
"""
from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Schedule:
    """Adam with a cosine learning rate from lr_max to lr_min: warm restarts every `period`
    epochs (× period_mult after each), or with `restarts=False` one cosine decay over `period`."""

    lr_max: float = 3e-3
    lr_min: float = 1e-5
    period: int = 1000             # epochs of the first cosine cycle
    period_mult: int = 1           # cycle length multiplier after each restart
    restarts: bool = True

    @classmethod
    def one_cycle(cls, lr: float, epochs: int) -> "Schedule":
        """One cosine decay from lr to lr/100 over the whole run (the dual and primal networks)."""
        return cls(lr_max=lr, lr_min=lr * 1e-2, period=max(int(epochs), 1), restarts=False)

    def validate(self) -> None:
        """ValueError unless 0 < lr_min ≤ lr_max < 1, period ≥ 1 and period_mult ≥ 1."""
        if not (0 < self.lr_min <= self.lr_max < 1) or self.period < 1 or self.period_mult < 1:
            raise ValueError("schedule needs 0 < lr_min ≤ lr_max < 1, period ≥ 1 and period_mult ≥ 1")

    def build(self, params: Iterable[Any]) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
        """The Adam optimiser (parameters or parameter groups) and its learning-rate schedule."""
        opt = torch.optim.Adam(params, lr=self.lr_max, betas=(0.9, 0.999))
        if self.restarts:
            sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=self.period, T_mult=self.period_mult,
                                                                         eta_min=self.lr_min)
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.period, eta_min=self.lr_min)
        return opt, sched


class BestState:
    """The lowest loss seen so far and a deep copy of the module states that reached it."""

    def __init__(self) -> None:
        self.loss = math.inf
        self.epoch = -1
        self.state: dict | None = None

    def update(self, loss: float, epoch: int, modules: dict[str, torch.nn.Module]) -> bool:
        """Keep the modules' current states if `loss` (theirs) is finite and the lowest so far."""
        if not (math.isfinite(loss) and loss < self.loss):
            return False
        self.loss, self.epoch = float(loss), int(epoch)
        self.state = {k: copy.deepcopy(m.state_dict()) for k, m in modules.items()}
        return True

    def restore(self, modules: dict[str, torch.nn.Module]) -> None:
        """Load the best states back into the modules (nothing when none was kept)."""
        if self.state is not None:
            for k, m in modules.items():
                m.load_state_dict(self.state[k])


class Progress:
    """A progress bar on stderr when it is a terminal, else one log line every `every` epochs
    (default: a tenth of the run) and at the last."""

    def __init__(self, label: str, total: int, enabled: bool = True, every: int | None = None):
        self.label, self.total, self.enabled = label, max(int(total), 1), enabled
        self.tty = sys.stderr.isatty()
        self.every = every or max(1, self.total // 10)
        self.t0 = time.perf_counter()

    def update(self, epoch: int, text: str) -> None:
        """Show epoch `epoch` of the run with `text` (a loss, a residual, …)."""
        if not self.enabled:
            return
        if self.tty:
            done = int(30 * min(epoch, self.total) / self.total)
            print(f"\r  {self.label} [{'#' * done}{'.' * (30 - done)}] {epoch}/{self.total} {text}", end="",
                  file=sys.stderr, flush=True)
        elif epoch % self.every == 0 or epoch == self.total:
            print(f"  {self.label}: epoch {epoch}/{self.total}  {text}  ({time.perf_counter() - self.t0:.0f} s)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        """End the bar's line (terminal only)."""
        if self.enabled and self.tty:
            print(file=sys.stderr)


def adam_epochs(loss_fn: Callable[[], torch.Tensor], optimizer: torch.optim.Optimizer, scheduler: Any,
                best: BestState, modules: dict[str, torch.nn.Module], start: int, epochs: int, progress: Progress,
                note: Callable[[float], str] = lambda loss: f"loss {loss:.6e}",
                log: Callable[[int, float], None] | None = None, log_every: int = 1,
                stop_at: int | None = None) -> tuple[list[float], bool]:
    """Adam epochs start + 1 … epochs: score the state (best state), step, schedule.

    `log(epoch, loss)` runs every `log_every` epochs and at the last (records, checkpoints);
    `stop_at`: stop after that epoch (an interrupted run, for resume tests). A non-finite loss
    is a FloatingPointError. Returns the losses of these epochs and whether it stopped early."""
    history: list[float] = []
    for epoch in range(start + 1, epochs + 1):
        optimizer.zero_grad()
        loss = loss_fn()
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"the {progress.label} loss became {value} at epoch {epoch - 1}; "
                                     "lower the learning rate (lr)")
        best.update(value, epoch - 1, modules)       # the state before this epoch's step
        loss.backward()
        optimizer.step()
        scheduler.step()
        history.append(value)
        if log is not None and (epoch % log_every == 0 or epoch == epochs):
            log(epoch, value)
        progress.update(epoch, note(value))
        if epoch == stop_at:
            progress.close()
            return history, True
    progress.close()
    return history, False


def keep_best(loss_fn: Callable[[], torch.Tensor], best: BestState, modules: dict[str, torch.nn.Module],
              epoch: int) -> float:
    """After the Adam epochs: score the final state too, then restore the best; its loss."""
    with torch.no_grad():
        best.update(loss_fn().item(), epoch, modules)
    best.restore(modules)
    return best.loss


def lbfgs_finish(params: list[torch.nn.Parameter], loss_fn: Callable[[], torch.Tensor], best: BestState,
                 modules: dict[str, torch.nn.Module], steps: int, epoch: int, lr: float, **options: Any) -> bool:
    """L-BFGS (strong Wolfe line search, `steps` iterations) from the current state, which must
    be the best one (`keep_best`); kept only if it lowers the loss, else the best state is
    restored. Returns whether it was kept."""
    opt = torch.optim.LBFGS(params, lr=lr, max_iter=steps, line_search_fn="strong_wolfe", **options)

    def closure():
        opt.zero_grad()
        out = loss_fn()
        out.backward()
        return out

    opt.step(closure)
    with torch.no_grad():
        kept = best.update(loss_fn().item(), epoch, modules)
    if not kept:
        best.restore(modules)
    return kept


__all__ = ["BestState", "Progress", "Schedule", "adam_epochs", "keep_best", "lbfgs_finish"]
