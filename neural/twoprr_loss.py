"""The 2PRR equations of `smatrix.twoprr.system.TwoPRRSystem` as torch tensors (float64, built
once per grid from the system's own linear maps and Mandelstam kernel: no second discretisation),
and the losses of P2 §3.3 on them.

Residuals (the same as TwoPRRSystem.residual, tested against it):
- spin 0: |S0|² − 1 + η_2PRR at the single-density nodes (eqs. 17, 24b);
- Mandelstam: ρ_el − pref Σ M (Re T Re T + Im T Im T) on the support pairs (eq. 10);
- inelastic unitarity: |S_J|² − 1 ≤ 0 for J = 2 … 10 at the nodes s > 16 (Froissart–Gribov, eq. 22);
- η_2PRR ≥ 0 (eq. 52b).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from smatrix.kinematics import phase_space
from smatrix.twoprr.kernel import mandelstam_prefactor
from smatrix.twoprr.system import TwoPRRSystem

HIGH_SPINS = (2, 4, 6, 8, 10)


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)


@dataclass
class Residuals:
    """All residuals at one point, plus what the report needs."""

    spin0: torch.Tensor          # |S0|² − 1 + η0 (n1)
    mandelstam: torch.Tensor     # ρ_el − rhs (n2)
    high_spin: torch.Tensor      # |S_J|² − 1 at s > 16 (spins × nodes)
    eta0: torch.Tensor           # η_2PRR (n1)
    rhs: torch.Tensor            # ρ_el of the Mandelstam equation (n2)


class TorchSystem:
    """Torch copy of a TwoPRRSystem's operators (one grid)."""

    def __init__(self, system: TwoPRRSystem):
        g = system.grid
        self.system = system
        self.n, self.n1, self.n2 = g.n, system.n1, system.n2
        P = system.pairs
        self.P0, self.P1idx = torch.as_tensor(P[:, 0]), torch.as_tensor(P[:, 1])
        self.rows = torch.as_tensor(P[:, 0] - 1)                  # energy row of each pair
        self.single = _t(system.P1)                               # (n + 1, n1)
        Z = system._Z
        self.Zr, self.Zi = _t(Z.real), _t(Z.imag)
        self.F1r, self.F1i = _t(system._F1.real), _t(system._F1.imag)
        self.F2r, self.F2i = _t(system._F2.real), _t(system._F2.imag)
        self.E0 = _t(system._E0)
        self.f0c = 1.0 / (16 * math.pi)
        self.rho = _t(phase_space(system.s))
        self.M = _t(system.kernel["M"])
        self.pref = _t(mandelstam_prefactor(system.s))[self.rows]
        high = system.s > 16.0
        self.high = torch.as_tensor(high)
        self.FG = torch.stack([_t(system.ops.fg_weights(J)[high]) for J in HIGH_SPINS])   # (spins, m, n)
        self.rho_high = self.rho[self.high]
        d1, d2 = g.derivative(1), g.derivative(2)
        self.d1, self.d2 = _t(d1[: g.n]), _t(d2)

    def density_matrix(self, e: torch.Tensor) -> torch.Tensor:
        """R = ρ_el + ρ_elᵀ on the nodes (eq. 27)."""
        el = e.new_zeros(self.n, self.n).index_put((self.P0, self.P1idx), e)
        return el + el.T

    def residuals(self, u1: torch.Tensor, e: torch.Tensor, c0: float) -> Residuals:
        c1 = self.single @ u1
        R = self.density_matrix(e)
        Tr = c1[None, : self.n] + torch.einsum("ijm,mj->ij", self.Zr, R)     # T_t(s_i + i0, t_j), eq. 13
        Ti = torch.einsum("ijm,mj->ij", self.Zi, R)
        f0r = c0 * self.f0c + self.F1r @ u1 + self.F2r @ e
        f0i = self.F1i @ u1 + self.F2i @ e
        eta0 = self.E0 @ e                                                     # eq. 24b
        S0 = (1.0 - self.rho * f0i) ** 2 + (self.rho * f0r) ** 2
        spin0 = S0 - 1.0 + eta0
        a, b = Tr[self.rows], Ti[self.rows]
        quad = torch.einsum("pjl,pl->pj", self.M, a) * a + torch.einsum("pjl,pl->pj", self.M, b) * b
        rhs = self.pref * quad.sum(1)                                          # eq. 10
        fr = torch.einsum("Jkj,kj->Jk", self.FG, Tr[self.high])               # eq. 22
        fi = torch.einsum("Jkj,kj->Jk", self.FG, Ti[self.high])
        SJ = (1.0 - self.rho_high * fi) ** 2 + (self.rho_high * fr) ** 2
        return Residuals(spin0, e - rhs, SJ - 1.0, eta0, rhs)

    def c2(self, u1: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """c2 = ½ H''·c1 − ½ H'ᵀ R H' (eq. 71; operators.taylor_c2)."""
        return 0.5 * self.d2 @ (self.single @ u1) - 0.5 * self.d1 @ self.density_matrix(e) @ self.d1


@dataclass(frozen=True)
class LossWeights:
    """Relative weights of the loss terms (P2 §3.3 weight functions inside each term)."""

    spin0: float = 1.0
    mandelstam: float = 1.0
    high_spin: float = 1.0
    eta: float = 1.0
    w_max: float = 1e4             # regulator of the Mandelstam weight (P2: w_max)
    p2_weights: bool = False       # P2's w0, w_M inside the spin-0 and Mandelstam terms (default: 1, measured better)


def spin0_weight(s: np.ndarray) -> np.ndarray:
    """w0(x) = 2 + log²(1 − x) − log x, x = 4/s (eq. 52a)."""
    x = 4.0 / s
    return 2.0 + np.log(1.0 - x) ** 2 - np.log(x)


def mandelstam_weight(ps: np.ndarray, pt: np.ndarray, w_max: float) -> np.ndarray:
    """Initial Mandelstam weight w_M⁽⁰⁾ of eq. (52c): 1/(x sqrt((1 − x)/4 − y)/(1 − log y)² + 1/w_max)."""
    x, y = 4.0 / ps, 4.0 / pt
    return 1.0 / (x * np.sqrt(np.maximum((1.0 - x) / 4.0 - y, 0.0)) / (1.0 - np.log(y)) ** 2 + 1.0 / w_max)


def high_spin_weight(s: np.ndarray) -> np.ndarray:
    """w_J(x) = (πJ)^{3/2} χ(z1)^{J+1} (1 − x)(1 − log x)², χ(z) = z + sqrt(z² − 1), z1 = 1 + 2x/(1 − x)
    (eq. 52d), rows J = 2 … 10."""
    x = 4.0 / s
    z1 = 1.0 + 2.0 * x / (1.0 - x)
    chi = z1 + np.sqrt(z1**2 - 1.0)
    return np.stack([(math.pi * J) ** 1.5 * chi ** (J + 1) * (1.0 - x) * (1.0 - np.log(x)) ** 2 for J in HIGH_SPINS])


class TwoPRRLoss:
    """The loss of P2 §3.3 in least-squares form (squared residuals, smooth for the L-BFGS
    finish) with P2's weights to the first power, as in P2's L1 terms, normalised per node:
        L = λ0 ⟨w0 r0²⟩ + λM ⟨wM rM²⟩ + λJ ⟨w_J ReLU(|S_J|² − 1)⟩² + λη ⟨w0 ReLU(−η0)⟩².
    (Squaring the weights as well, ⟨(w r)²⟩, was measured to train far worse: the Mandelstam
    weight reaches w_max = 10⁴ near the support boundary and then dominates; docs/2prr_neural.md.)"""

    def __init__(self, tsys: TorchSystem, weights: LossWeights = LossWeights()):
        self.tsys, self.weights = tsys, weights
        s = tsys.system.s
        P = tsys.system.pairs
        nodes = tsys.system.grid.nodes
        self.w0 = _t(spin0_weight(s))
        self.wM = _t(mandelstam_weight(nodes[P[:, 0]], nodes[P[:, 1]], weights.w_max))
        self.w0_fit = self.w0 if weights.p2_weights else torch.ones_like(self.w0)
        self.wM_fit = self.wM if weights.p2_weights else torch.ones_like(self.wM)
        self.wJ = _t(high_spin_weight(s[s > 16.0]))

    def terms(self, u1: torch.Tensor, e: torch.Tensor, c0: float) -> tuple[dict[str, torch.Tensor], Residuals]:
        r = self.tsys.residuals(u1, e, c0)
        t = {"spin0": torch.mean(self.w0_fit * r.spin0 ** 2),
             "mandelstam": torch.mean(self.wM_fit * r.mandelstam ** 2),
             "high_spin": torch.mean(self.wJ * torch.relu(r.high_spin)) ** 2,
             "eta": torch.mean(self.w0 * torch.relu(-r.eta0)) ** 2}
        return t, r

    def total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        w = self.weights
        return (w.spin0 * terms["spin0"] + w.mandelstam * terms["mandelstam"] + w.high_spin * terms["high_spin"]
                + w.eta * terms["eta"])


__all__ = ["HIGH_SPINS", "LossWeights", "Residuals", "TorchSystem", "TwoPRRLoss"]
