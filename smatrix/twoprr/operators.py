"""Linear operators of the Mandelstam representation on the 2PRR grid (P2 eqs. 2, 13, 22–24, 71,
App. A), shared by the classical and the neural solver.

State: the single density ρ(s) as hat coefficients c1 (n nodes plus the Regge tail) and the
double density ρ(s, t) = ρ_el(s, t) + ρ_el(t, s) (eq. 27) as the symmetric node matrix R.
With H(x) the vector of transforms H_m(x) (grid.NodeGrid.cauchy) the amplitude is
    T(s, t) = c0 + c1·[H(s) + H(t) + H(u)] + H(s)ᵀR H(t) + H(s)ᵀR H(u) + H(t)ᵀR H(u),
and every quantity below follows from it:
- T_t(s, t_j) = c1_j + Σ_m R_mj [H_m(s + i0) + H_m(u)]   (eq. 13; Im T_t = ρ(s, t_j));
- f0(s) = (1/16π)[c0 + c1·(H(s) + 2L(s)) + Σ R_mn (2H_m(s)L_n(s) + W_mn(s))], W = avg_z H(t)H(u)ᵀ
  (eq. 84 with the corrections of spec/2prr.md: log((s − 4 + t')/t') and 1/π² — derived here);
- f_J(s) = (1/8π²) ∫ dz Q_J(z) T_t(s, t(z)) (Froissart–Gribov, eq. 85, T_t linear between nodes);
- η_J(s) = (ϱ/4π²) ∫ dz Q_J(z) ρ_el(t(z), s) (eq. 23, in z), η_2PRR = η_0 (eq. 24b);
- c2 = ½ H''(s0)·c1 − ½ H'(s0)ᵀ R H'(s0) (eq. 71 from the representation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..kinematics import phase_space, t_of_z
from ..quadrature import angular_rule, panel_rule
from .grid import NodeGrid, elastic_support, legendre_q, x_of_xi


def tail_ratio(grid: NodeGrid) -> float:
    """ρ(s_max)/ρ(s_{n−2}) of the Regge continuation ρ ∝ 1/log² s that ties the last node."""
    x = grid.nodes
    return (math.log(x[-2]) / math.log(x[-1])) ** 2


def single_from_free(grid: NodeGrid, free) -> np.ndarray:
    """c1 (n hats + tail) from the free values ρ(s_1 … s_{n−2}): ρ(4) = 0 (regular threshold,
    eq. 19), ρ(s_max) and the tail amplitude tied by the Regge continuation."""
    free = np.asarray(free)
    c1 = np.zeros(free.shape[:-1] + (grid.n + 1,), dtype=free.dtype)
    c1[..., 1:grid.n - 1] = free
    c1[..., grid.n - 1] = tail_ratio(grid) * free[..., -1]
    c1[..., grid.n] = c1[..., grid.n - 1]
    return c1


def single_map(grid: NodeGrid) -> np.ndarray:
    """The matrix of `single_from_free` ((n + 1) × (n − 2))."""
    return single_from_free(grid, np.eye(grid.n - 2)).T


def double_from_elastic(grid: NodeGrid, rho_el_pairs) -> tuple[np.ndarray, np.ndarray]:
    """(ρ_el node matrix, R = ρ_el + ρ_elᵀ) from the values on the support pairs."""
    pairs = np.argwhere(elastic_support(grid))
    el = np.zeros((grid.n, grid.n))
    el[pairs[:, 0], pairs[:, 1]] = rho_el_pairs
    return el, el + el.T


@dataclass
class SpinOperators:
    """f0 and the Froissart–Gribov weights at a set of energies s (any 4 < s < s_{n−2})."""

    grid: NodeGrid
    s: np.ndarray

    @cached_property
    def H(self) -> np.ndarray:
        return self.grid.cauchy(self.s)

    @cached_property
    def L(self) -> np.ndarray:
        return self.grid.angular_average(self.s)

    @cached_property
    def W(self) -> np.ndarray:
        """avg_z H(t)H(u)ᵀ over the physical angle (symmetrised: z and −z swap t and u)."""
        n = self.grid.n
        cplx = np.iscomplexobj(self.s)
        out = np.empty((self.s.size, n, n), dtype=complex if cplx else float)
        for k, sk in enumerate(self.s):
            z, w = angular_rule(sk)     # off the axis (zeros of S0): t, u complex, Gauss–Legendre in z
            z, w = z[0], w[0]
            t = t_of_z(sk, z)
            Ht = self.grid.cauchy(t)[:, :n]
            Hu = self.grid.cauchy(4.0 - sk - t)[:, :n]
            if not cplx:
                Ht, Hu = Ht.real, Hu.real
            A = (Ht * w[:, None]).T @ Hu
            out[k] = 0.5 * (A + A.T)       # ½∫_{−1}^{1} = ∫_0^1 of the symmetrised product
        return out

    @cached_property
    def f0_single(self) -> np.ndarray:
        """16π ∂f0/∂c1 (complex)."""
        return self.H + 2.0 * self.L

    @cached_property
    def f0_double(self) -> np.ndarray:
        """16π ∂f0/∂R_mn (complex, symmetric in m, n)."""
        n = self.grid.n
        A = 2.0 * self.H[:, :n, None] * self.L[:, None, :n] + self.W
        return 0.5 * (A + np.transpose(A, (0, 2, 1)))

    def f0(self, c0: float, c1, R) -> np.ndarray:
        """Spin-0 partial wave at self.s (eq. 84, corrected)."""
        return (c0 + self.f0_single @ c1 + np.einsum("kmn,mn->k", self.f0_double, R)) / (16 * math.pi)

    def fg_weights(self, J: int) -> np.ndarray:
        """(1/8π²)∫ φ_j(t) Q_J(1 + 2t/(s−4)) 2dt/(s−4) for every node j (rows: energies)."""
        g = self.grid
        xi, w, p, vv = panel_rule(g.xi, 16)
        t = x_of_xi(xi)
        dt = w * np.sinh(2.0 * xi)
        d = (self.s - 4.0)[:, None]
        vals = legendre_q(J, 1.0 + 2.0 * t[None, :] / d) * dt[None, :] * 2.0 / d / (8 * math.pi**2)
        out = np.zeros((self.s.size, g.n))
        np.add.at(out.T, p, ((1 - vv) * vals).T)
        np.add.at(out.T, p + 1, (vv * vals).T)
        return out

    def t_discontinuity(self, c1, R) -> np.ndarray:
        """T_t(s_k + i0, t_j) at the nodes t_j (rows: energies), eq. (13)."""
        g = self.grid
        n = g.n
        u = 4.0 - self.s[:, None] - g.nodes[None, :]
        Hu = g.cauchy(u.ravel()).real[:, :n].reshape(self.s.size, n, n)
        Z = self.H[:, None, :n] + Hu                      # Z[k, j, m] = H_m(s_k) + H_m(u_kj)
        return c1[None, :n] + np.einsum("kjm,mj->kj", Z, R)

    def partial_wave(self, J: int, c1, R) -> np.ndarray:
        """f_J(s) by Froissart–Gribov (J ≥ 2), eq. (85)."""
        if J < 2 or J % 2:
            raise ValueError("Froissart–Gribov partial waves are for even J ≥ 2")
        return np.einsum("kj,kj->k", self.fg_weights(J), self.t_discontinuity(c1, R))

    def inelasticity(self, J: int, rho_el: np.ndarray) -> np.ndarray:
        """η_J(s) of eq. (23) from the crossed elastic density ρ_el(t, s) (η_0 = η_2PRR, eq. 24b);
        needs the energies to be nodes (ρ_el(t_j, s) is read off the node matrix)."""
        idx = self.node_index
        return 2.0 * phase_space(self.s) * np.einsum("kj,jk->k", self.fg_weights(J), rho_el[:, idx])

    @cached_property
    def node_index(self) -> np.ndarray:
        idx = np.searchsorted(self.grid.nodes, self.s)
        idx = np.clip(idx, 0, self.grid.n - 1)
        if not np.allclose(self.grid.nodes[idx], self.s, rtol=1e-13, atol=0):
            raise ValueError("η_J from the node matrix needs the energies to be grid nodes")
        return idx


def taylor_c2(grid: NodeGrid, c1, R) -> float:
    """c2 = ¼ ∂²T/∂s² at s = t = 4/3 (eq. 71) = ½ H''·c1 − ½ H'ᵀ R H' (spec/2prr.md)."""
    d1 = grid.derivative(1)
    d2 = grid.derivative(2)
    n = grid.n
    return float(0.5 * d2 @ c1 - 0.5 * d1[:n] @ R @ d1[:n])


def bubble_c2(c0: float) -> float:
    """Weak-coupling limit c2 → (c0²/32π²)∫₄^∞ ds sqrt(1 − 4/s)/(s − 4/3)³ (spec/2prr.md)."""
    from scipy.integrate import quad
    val = quad(lambda s: math.sqrt(1 - 4 / s) / (s - 4 / 3) ** 3, 4, np.inf, epsabs=1e-15, epsrel=1e-13)[0]
    return c0**2 / (32 * math.pi**2) * val
