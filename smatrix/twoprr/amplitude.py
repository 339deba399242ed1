"""`MandelstamAmplitude`: an amplitude of the full Mandelstam representation (P2 eq. 2) given by
c0, ρ(s) and ρ(s, t) on the 2PRR node grid; it implements the `Amplitude` interface, so partial
waves, phase shifts, certification and plots work on it unchanged."""
from __future__ import annotations


import numpy as np

from ..amplitude import Amplitude
from ..kinematics import S0_CROSSING, phase_space, u_of
from .grid import NodeGrid
from .operators import SpinOperators, taylor_c2


class MandelstamAmplitude(Amplitude):
    """T(s, t) = c0 + c1·[H(s) + H(t) + H(u)] + H(s)ᵀR H(t) + H(s)ᵀR H(u) + H(t)ᵀR H(u) with
    R = ρ_el + ρ_elᵀ (eq. 27; `rho_mp` adds a symmetric multi-particle part)."""

    model = "full"

    def __init__(self, grid: NodeGrid, c0: float, c1, rho_el, rho_mp=None):
        self.grid = grid
        self._c0 = float(c0)
        self.c1 = np.asarray(c1, dtype=float)
        self.rho_el = np.asarray(rho_el, dtype=float)
        if self.c1.shape != (grid.n + 1,) or self.rho_el.shape != (grid.n, grid.n):
            raise ValueError("ρ(s) needs n + 1 coefficients and ρ_el an n × n node matrix")
        self.rho_mp = np.zeros_like(self.rho_el) if rho_mp is None else np.asarray(rho_mp, dtype=float)
        self.R = self.rho_el + self.rho_el.T + self.rho_mp

    # ---- evaluation ---------------------------------------------------------------------------

    def _H(self, x) -> np.ndarray:
        return self.grid.cauchy(np.ravel(x))

    def T(self, s, t):
        s, t = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(t, dtype=float))
        if np.any(s > self.grid.nodes[-2]) or np.any(t > self.grid.nodes[-2]):
            raise ValueError("the 2PRR amplitude is evaluated below its last free node s_{n−2}")
        n = self.grid.n
        Hs, Ht, Hu = self._H(s), self._H(t), self._H(u_of(s, t))
        single = (Hs + Ht + Hu) @ self.c1
        R = self.R
        double = (np.einsum("pm,mn,pn->p", Hs[:, :n], R, Ht[:, :n])
                  + np.einsum("pm,mn,pn->p", Hs[:, :n], R, Hu[:, :n])
                  + np.einsum("pm,mn,pn->p", Ht[:, :n], R, Hu[:, :n]))
        return (self._c0 + single + double).reshape(s.shape)

    def spin_operators(self, s) -> SpinOperators:
        s = np.atleast_1d(np.asarray(s))
        return SpinOperators(self.grid, s if np.iscomplexobj(s) else s.astype(float))

    def f0(self, s):
        """Spin-0 wave on the upper lip, or off the axis in the upper half plane (zeros of S0)."""
        return self.spin_operators(s).f0(self._c0, self.c1, self.R)

    def f(self, J: int, s):
        """f_J(s): J = 0 from the representation (eq. 84), J ≥ 2 by Froissart–Gribov (eq. 85)."""
        if J == 0:
            return self.f0(s)
        return self.spin_operators(s).partial_wave(J, self.c1, self.R)

    def eta(self, J: int, s) -> np.ndarray:
        """η_J(s) of eq. (23) (η_0 = η_2PRR, eq. 24b; with ρ_MP, η_0 lacks the η_MP of 24c),
        ρ_el(t, s) + ρ_MP(t, s) interpolated in s."""
        ops = self.spin_operators(s)
        rho_ts = (self.rho_el + self.rho_mp) @ self.grid.hat_matrix(ops.s).T     # ρ(t_j, s_k) of eq. 23
        eta = 2.0 * phase_space(ops.s) * np.einsum("kj,jk->k", ops.fg_weights(J), rho_ts)
        # ρ_el(t, s) and ρ_MP vanish for s < 16 (eqs. 15b, 16): exactly zero there, not the
        # interpolation between the last node below 16 and the first above
        return np.where(ops.s < 16.0, 0.0, eta)

    def spectral_density(self, s):
        s = np.atleast_1d(np.asarray(s, dtype=float))
        n = self.grid.n
        return self.grid.hat_matrix(s) @ self.c1[:n] + self.grid.tail(s) * self.c1[n]

    def double_spectral_density(self, s, t) -> np.ndarray:
        """ρ(s, t) bilinear in (ξ_s, ξ_t) between nodes."""
        s, t = np.broadcast_arrays(np.atleast_1d(s), np.atleast_1d(t))
        Hs = self.grid.hat_matrix(s.ravel())
        Ht = self.grid.hat_matrix(t.ravel())
        return np.einsum("pm,mn,pn->p", Hs, self.R, Ht).reshape(s.shape)

    @property
    def taylor(self):
        c2 = taylor_c2(self.grid, self.c1, self.R)
        x = 0.05            # odd part along s = t = s0 + x, u = s0 − 2x: T_odd = −2 c3 x³ + O(x⁵)
        pts = np.array([S0_CROSSING + x, S0_CROSSING - x, S0_CROSSING + 2 * x, S0_CROSSING - 2 * x])
        Tv = self.T(pts, pts).real
        odd1, odd2 = 0.5 * (Tv[0] - Tv[1]), 0.5 * (Tv[2] - Tv[3])
        c3 = -(32 * odd1 - odd2) / (48 * x**3)              # the x⁵ terms cancel
        return {"c0": self._c0, "c2": c2, "c3": float(c3)}


__all__ = ["MandelstamAmplitude"]
