"""The two networks of the neural 2PRR solver (P2 §2.3.1, §3.2): NN_ρ(s) and NN_DDisc(s, t).

Parametrisation (36a–b), with x = 4/s, y = 4/t:
    ρ(s)    = f_ρ(s) · A · NN_ρ(s),        f_ρ = sqrt((s − 4)/s) / (1 + log(s/4))³,
    ρ_NN(s, t) = f_DD(s, t) · A · NN_DDisc(s, t),
    f_DD = Θ(t − 16s/(s − 4)) (8/s) (1 + log(t/16))⁻² sqrt((s − 4)/(16 s) − 1/t),
    ρ(s, t) = ρ_NN(s, t) + ρ_NN(t, s)      (so ρ_NN is the elastic density ρ_el of eq. 27).
A is a fixed output scale (the raw networks start O(1) from Kaiming init, while NN_ρ and NN_DDisc
of a solution at c0 ~ 20–30π are O(10²–10⁴)).

Architecture (Fig. 8, eqs. 50–51; widths scaled down for CPU): parallel input branches with
concatenating skip connections (each layer's CELU output is concatenated with its input, so the
width doubles per layer) fed with linear and log variables, (x, y), (x, log₁₀y/10),
(log₁₀x/10, y), (log₁₀x/10, log₁₀y/10) for NN_DDisc and x, log₁₀x/10 for NN_ρ; an intertwining
(merging) MLP on the concatenated branch outputs; CELU(α = 0.1); Kaiming-normal weights. The last
activation of NN_DDisc is ReLU(x − tanh x) in the Mahoux–Martin region (28), where ρ(s, t) > 0,
and x − tanh x elsewhere (eq. 51).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from smatrix.twoprr.grid import mahoux_martin

from .blocks import kaiming_linear

CELU_ALPHA = 0.1


@dataclass(frozen=True)
class NetConfig:
    """Widths of both networks (P2: 7 branch layers to width 128, merge 4 × 512 for NN_DDisc;
    6 branch layers, merge 3 × 128 for NN_ρ). Defaults are scaled down for 2 CPU cores."""

    dd_branch_layers: int = 4       # 2 → 4 → 8 → 16 → 32 per branch
    dd_merge: tuple[int, ...] = (64, 64)
    rho_branch_layers: int = 5      # 1 → 2 → … → 32 per branch
    rho_merge: tuple[int, ...] = (64, 64)
    scale: float = 1e3              # the output scale A
    seed: int = 0

    def validate(self) -> None:
        if not (1 <= self.dd_branch_layers <= 8 and 1 <= self.rho_branch_layers <= 8):
            raise ValueError("branch depths must lie in 1 … 8")
        if not self.dd_merge or not self.rho_merge or min(self.dd_merge + self.rho_merge) < 1:
            raise ValueError("merge widths must be positive")
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError("the output scale must be positive")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dd_merge"], d["rho_merge"] = list(self.dd_merge), list(self.rho_merge)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "NetConfig":
        d = dict(d)
        d["dd_merge"], d["rho_merge"] = tuple(d["dd_merge"]), tuple(d["rho_merge"])
        return cls(**d)


class SkipBranch(torch.nn.Module):
    """h ↦ [h, CELU(W h + b)] repeated: the feature width doubles at every layer (Fig. 8)."""

    def __init__(self, n_in: int, layers: int):
        super().__init__()
        self.layers = torch.nn.ModuleList(kaiming_linear(n_in * 2**k, n_in * 2**k, torch.float64)
                                          for k in range(layers))
        self.act = torch.nn.CELU(CELU_ALPHA)
        self.n_out = n_in * 2**layers

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for lin in self.layers:
            h = torch.cat([h, self.act(lin(h))], dim=-1)
        return h


class Intertwined(torch.nn.Module):
    """Parallel skip branches on the given input columns, merged by an MLP to one scalar."""

    def __init__(self, n_branches: int, n_in: int, layers: int, merge: tuple[int, ...]):
        super().__init__()
        self.branches = torch.nn.ModuleList(SkipBranch(n_in, layers) for _ in range(n_branches))
        widths = [n_branches * self.branches[0].n_out, *merge]
        self.merge = torch.nn.ModuleList(kaiming_linear(a, b, torch.float64)
                                         for a, b in zip(widths[:-1], widths[1:]))
        self.out = kaiming_linear(widths[-1], 1, torch.float64)
        self.act = torch.nn.CELU(CELU_ALPHA)

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        h = torch.cat([b(x) for b, x in zip(self.branches, inputs)], dim=-1)
        for lin in self.merge:
            h = self.act(lin(h))
        return self.out(h)[..., 0]


def _log_var(x: torch.Tensor) -> torch.Tensor:
    """log₁₀x / 10 (eq. 50)."""
    return torch.log10(x) / 10.0


class RhoNet(torch.nn.Module):
    """NN_ρ(s): branches on x = 4/s and log₁₀x/10."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.net = Intertwined(2, 1, cfg.rho_branch_layers, cfg.rho_merge)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        x = (4.0 / s)[:, None]
        return self.net([x, _log_var(x)])


class DDiscNet(torch.nn.Module):
    """NN_DDisc(s, t): four branches on the pairs of eq. (50), final activation (51)."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.net = Intertwined(4, 2, cfg.dd_branch_layers, cfg.dd_merge)

    def forward(self, s: torch.Tensor, t: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
        x, y = (4.0 / s)[:, None], (4.0 / t)[:, None]
        lx, ly = _log_var(x), _log_var(y)
        raw = self.net([torch.cat([x, y], 1), torch.cat([x, ly], 1), torch.cat([lx, y], 1), torch.cat([lx, ly], 1)])
        v = raw - torch.tanh(raw)
        return torch.where(positive, torch.relu(v), v)


def f_rho(s: np.ndarray) -> np.ndarray:
    """Threshold prefactor of ρ(s), eq. (36b)."""
    return np.sqrt((s - 4.0) / s) / (1.0 + np.log(s / 4.0)) ** 3


def f_ddisc(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Support prefactor of ρ_NN(s, t), eq. (36b) (zero outside t > 16s/(s − 4))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (s - 4.0) / (16.0 * s) - 1.0 / t
        out = 8.0 / s / (1.0 + np.log(t / 16.0)) ** 2 * np.sqrt(np.maximum(arg, 0.0))
    return np.where((s > 4) & (arg > 0), out, 0.0)


class TwoPRRNetworks(torch.nn.Module):
    """Both networks, evaluated on the nodes of a grid: u = (ρ(s_1 … s_{n−2}), ρ_el on the pairs)."""

    def __init__(self, cfg: NetConfig = NetConfig()):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        self.rho = RhoNet(cfg)
        self.ddisc = DDiscNet(cfg)

    def nodes(self, s: np.ndarray, pairs_s: np.ndarray, pairs_t: np.ndarray) -> "NodeInputs":
        """The fixed inputs on a grid (the networks are evaluated only there)."""
        return NodeInputs(torch.as_tensor(s), torch.as_tensor(f_rho(s) * self.cfg.scale),
                          torch.as_tensor(pairs_s), torch.as_tensor(pairs_t),
                          torch.as_tensor(f_ddisc(pairs_s, pairs_t) * self.cfg.scale),
                          torch.as_tensor(mahoux_martin(pairs_s, pairs_t)))

    def forward(self, inp: "NodeInputs") -> tuple[torch.Tensor, torch.Tensor]:
        """(ρ at the single nodes, ρ_el at the pairs), eq. (36a)."""
        return inp.f1 * self.rho(inp.s), inp.f2 * self.ddisc(inp.ps, inp.pt, inp.positive)


@dataclass
class NodeInputs:
    """Grid nodes and prefactors (× A) as tensors."""

    s: torch.Tensor
    f1: torch.Tensor
    ps: torch.Tensor
    pt: torch.Tensor
    f2: torch.Tensor
    positive: torch.Tensor


__all__ = ["NetConfig", "TwoPRRNetworks", "f_ddisc", "f_rho"]
