"""MLP building blocks shared by the neural networks (dual multiplier, primal density, 2PRR):
Kaiming-normal linear layers, CELU blocks and a small output layer.

Each layer is built the way every network here always built it (`torch.nn.Linear`, then its
weights redrawn in place), so that a seed gives the same weights as before these were shared.
"""
from __future__ import annotations

import torch


def kaiming_linear(n_in: int, n_out: int, dtype: torch.dtype | None = None) -> torch.nn.Linear:
    """A linear layer with Kaiming-normal weights (for a ReLU-like activation after it), zero bias."""
    layer = torch.nn.Linear(n_in, n_out, dtype=dtype)
    torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    torch.nn.init.zeros_(layer.bias)
    return layer


def celu_blocks(n_in: int, width: int, depth: int, alpha: float = 1.0) -> torch.nn.Sequential:
    """`depth` blocks Linear(→ width) + CELU(α), Kaiming-normal initialised."""
    layers: list[torch.nn.Module] = []
    for _ in range(depth):
        layers += [kaiming_linear(n_in, width), torch.nn.CELU(alpha)]
        n_in = width
    return torch.nn.Sequential(*layers)


def output_layer(n_in: int, bias: float = 0.0, gain: float = 0.1) -> torch.nn.Linear:
    """Linear(n_in → 1) with Kaiming-normal (linear) weights × `gain` and a constant bias: the
    network starts close to the constant `bias`."""
    out = torch.nn.Linear(n_in, 1)
    torch.nn.init.kaiming_normal_(out.weight, nonlinearity="linear")
    out.weight.data *= gain
    torch.nn.init.constant_(out.bias, bias)
    return out


__all__ = ["celu_blocks", "kaiming_linear", "output_layer"]
