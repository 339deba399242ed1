"""Checkpoints of the neural optimisers, read without executing anything from the file.

A checkpoint is a dict of tensors, numbers, strings, lists and dicts (state dicts of the network,
the optimiser and the schedule; the target and config). It is loaded with
`torch.load(weights_only=True)`: torch's restricted unpickler rebuilds only tensors and those
plain containers, so a crafted file (a pickle whose `__reduce__` calls os.system, …) is refused
with a clear error instead of running. Writes are atomic (a temporary file, then a rename).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from smatrix.errors import BadInput


def load_checkpoint(path: str | Path, required: tuple[str, ...]) -> dict[str, Any]:
    """The dict stored in `path`, refused (BadInput) unless it is a plain, code-free checkpoint
    holding every key of `required`."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise BadInput(f"cannot read checkpoint {path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 — unpickling refused, truncated, not a torch file, …
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(f"cannot read checkpoint {path}: not a plain tensor checkpoint (refused: {first[:200]})") from None
    if not isinstance(state, dict):
        raise BadInput(f"cannot read checkpoint {path}: it holds a {type(state).__name__}, not a checkpoint dict")
    missing = [k for k in required if k not in state]
    if missing:
        raise BadInput(f"checkpoint {path} lacks {', '.join(missing)} (not a checkpoint of this network)")
    return state


def load_weights(module: torch.nn.Module, weights: Any, path: str | Path) -> None:
    """`module.load_state_dict(weights)` with wrong keys or tensor shapes as one clear BadInput."""
    if not isinstance(weights, dict):
        raise BadInput(f"checkpoint {path} does not fit this network: its weights are not a state dict")
    try:
        module.load_state_dict(weights)
    except (RuntimeError, KeyError, TypeError, ValueError) as exc:
        detail = " ".join(str(exc).split())
        raise BadInput(f"checkpoint {path} does not fit this network: {detail[:300]}") from None


def load_resume(opt: torch.optim.Optimizer, sched: Any, state: dict[str, Any], path: str | Path) -> int:
    """Restore the optimiser and the schedule of a run from its checkpoint; the epoch to go on from."""
    try:
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        epoch = state["epoch"]
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError) as exc:
        raise BadInput(f"checkpoint {path}: optimiser state does not fit this run ({type(exc).__name__}: {exc})") from None
    if not isinstance(epoch, int) or epoch < 0:
        raise BadInput(f"checkpoint {path}: epoch {epoch!r} is not a count")
    return epoch


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write `state` atomically: a reader (or a resume after a kill) sees the old or the new file."""
    tmp = Path(str(path) + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)
