"""The discretised 2PRR equations (P2 §2.1, eqs. 10, 17, 24b, 26–27) as one square nonlinear
system F(u) = 0 with an exact Jacobian, shared by the classical (Newton) and the neural solver.

Unknowns u = (ρ(s_1 … s_{n−2}), ρ_el on the support nodes of eq. 15a). Equations:
- the Mandelstam equation ρ_el(s_i, t_k) − pref Σ M (Re T Re T + Im T Im T) = 0 (eq. 10);
- spin-0 unitarity |S0(s_i)|² − 1 + η_2PRR(s_i) = 0 at the single-density nodes (eqs. 17, 24b).
T_t is linear in u, so the Mandelstam right side is a quadratic form whose derivative is
2 pref M T_t (spec/2prr.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..kinematics import phase_space
from .grid import NodeGrid, elastic_support
from .kernel import mandelstam_kernel, mandelstam_prefactor
from .operators import SpinOperators, double_from_elastic, single_map, taylor_c2


@dataclass
class State:
    """A point of the unknowns, unpacked."""

    c1: np.ndarray        # hat coefficients of ρ(s) (n nodes + tail)
    el: np.ndarray        # ρ_el node matrix
    R: np.ndarray         # ρ = ρ_el + ρ_elᵀ
    T: np.ndarray         # T_t(s_i + i0, t_j), i = 1 … n−2
    f0: np.ndarray        # f0(s_i)
    eta0: np.ndarray      # η_2PRR(s_i)


class TwoPRRSystem:
    """F(u; c0) = 0 on a `NodeGrid`; `kernel` may be passed (else built / read from the cache)."""

    def __init__(self, grid: NodeGrid, kernel: dict | None = None, progress: bool = False):
        grid.validate()
        self.grid = grid
        self.kernel = kernel if kernel is not None else mandelstam_kernel(grid, progress=progress)
        self.pairs = self.kernel["pairs"]
        if not np.array_equal(self.pairs, np.argwhere(elastic_support(grid))):
            raise ValueError("Mandelstam kernel pairs do not match the grid's elastic support")
        self.s = grid.nodes[1:grid.n - 1]
        self.ops = SpinOperators(grid, self.s)
        self.P1 = single_map(grid)
        self.n1 = grid.n - 2
        self.n2 = len(self.pairs)

    @property
    def size(self) -> int:
        return self.n1 + self.n2

    # ---- precomputed linear pieces ---------------------------------------------------------

    @cached_property
    def _Z(self) -> np.ndarray:
        """Z[i, j, m] = H_m(s_i + i0) + H_m(4 − s_i − t_j)."""
        g = self.grid
        n = g.n
        u = 4.0 - self.s[:, None] - g.nodes[None, :]
        Hu = g.cauchy(u.ravel()).real[:, :n].reshape(self.s.size, n, n)
        return self.ops.H[:, None, :n] + Hu

    @cached_property
    def _rows(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per energy row i (index into self.s): (i, positions in pairs, target nodes k)."""
        out = []
        for i in range(self.n1):
            pos = np.flatnonzero(self.pairs[:, 0] == i + 1)
            out.append((i, pos, self.pairs[pos, 1]))
        return out

    @cached_property
    def _F1(self) -> np.ndarray:
        return self.ops.f0_single @ self.P1 / (16 * math.pi)

    @cached_property
    def _F2(self) -> np.ndarray:
        """∂f0(s_i)/∂ρ_el on the pairs (= 2 × the symmetric double-density weight)."""
        P, Q = self.pairs[:, 0], self.pairs[:, 1]
        return 2.0 * self.ops.f0_double[:, P, Q] / (16 * math.pi)

    @cached_property
    def _E0(self) -> np.ndarray:
        """η_2PRR(s_i) = E0 @ ρ_el(pairs): η_0 of eq. (23) reads ρ_el(t_j, s_i) = el[j, i]."""
        Q0 = self.ops.fg_weights(0)
        rho = phase_space(self.s)
        E = np.zeros((self.n1, self.n2))
        P, Q = self.pairs[:, 0], self.pairs[:, 1]
        for i in range(self.n1):
            hit = Q == i + 1
            E[i, hit] = 2.0 * rho[i] * Q0[i, P[hit]]
        return E

    @cached_property
    def _f0_const(self) -> np.ndarray:
        return np.full(self.n1, 1.0 / (16 * math.pi))

    # ---- evaluation ----------------------------------------------------------------------------

    def unpack(self, u: np.ndarray, c0: float, mp: np.ndarray | None = None) -> State:
        """The state at u; `mp` (symmetric node matrix) adds a multi-particle ρ_MP to R (eq. 9)."""
        u1, e = u[: self.n1], u[self.n1: self.n1 + self.n2]
        c1 = self.P1 @ u1
        el, R = double_from_elastic(self.grid, e)
        if mp is not None:
            R = R + mp
        n = self.grid.n
        T = c1[None, :n] + np.einsum("ijm,mj->ij", self._Z, R)
        f0 = c0 * self._f0_const + self._F1 @ u1 + self._F2 @ e
        if mp is not None:
            f0 = f0 + np.einsum("kmn,mn->k", self.ops.f0_double, mp) / (16 * math.pi)
        return State(c1, el, R, T, f0, self._E0 @ e)

    def mandelstam_rhs(self, st: State) -> np.ndarray:
        """pref Σ M (Re T Re T + Im T Im T) on the pairs."""
        out = np.empty(self.n2)
        M = self.kernel["M"]
        pref = mandelstam_prefactor(self.s)
        for i, pos, _ in self._rows:
            if pos.size:
                Ti = st.T[i]
                out[pos] = pref[i] * (np.einsum("kjl,j,l->k", M[pos], Ti.real, Ti.real)
                                      + np.einsum("kjl,j,l->k", M[pos], Ti.imag, Ti.imag))
        return out

    def spin0_residual(self, st: State) -> np.ndarray:
        """|S0|² − 1 + η_2PRR at the single-density nodes."""
        S0 = 1.0 + 1j * phase_space(self.s) * st.f0
        return np.abs(S0) ** 2 - 1.0 + st.eta0

    def residual(self, u: np.ndarray, c0: float) -> np.ndarray:
        st = self.unpack(u, c0)
        return np.concatenate([self.spin0_residual(st), u[self.n1:] - self.mandelstam_rhs(st)])

    def jacobian(self, u: np.ndarray, c0: float, mp: np.ndarray | None = None) -> np.ndarray:
        """∂F/∂u (square), at a state that may carry a fixed ρ_MP (`mp`)."""
        st = self.unpack(u, c0, mp)
        n = self.grid.n
        J = np.zeros((self.n1 + self.n2, self.n1 + self.n2))
        # spin 0: Φ = −2ϱ Im f + ϱ²|f|² + η
        rho = phase_space(self.s)
        dre = 2 * rho**2 * st.f0.real
        dim = -2 * rho + 2 * rho**2 * st.f0.imag
        J[: self.n1, : self.n1] = dre[:, None] * self._F1.real + dim[:, None] * self._F1.imag
        J[: self.n1, self.n1:] = dre[:, None] * self._F2.real + dim[:, None] * self._F2.imag + self._E0
        # Mandelstam: ∂/∂u (e − pref Σ M Re(T T*)) = I − 2 pref Re(V dT), V = M conj(T)
        M = self.kernel["M"]
        pref = mandelstam_prefactor(self.s)
        P, Q = self.pairs[:, 0], self.pairs[:, 1]
        P1 = self.P1[:n]
        for i, pos, _ in self._rows:
            if not pos.size:
                continue
            V = 2.0 * pref[i] * (M[pos] @ np.conj(st.T[i]))          # (K, n)
            Zi = self._Z[i]
            d_single = (V @ P1).real
            d_double = (V[:, Q] * Zi[Q, P][None, :] + V[:, P] * Zi[P, Q][None, :]).real
            J[self.n1 + pos, : self.n1] = -d_single
            J[self.n1 + pos, self.n1:] = -d_double
        J[self.n1:, self.n1:] += np.eye(self.n2)
        return J

    def c2(self, u: np.ndarray) -> float:
        el, R = double_from_elastic(self.grid, u[self.n1:])
        return taylor_c2(self.grid, self.P1 @ u[: self.n1], R)
