"""Closed-form amplitudes with the Amplitude interface (T on the upper lip, f(J, s), S(J, s)):
the textbook trees of φ⁴ and φ³ (QOTAM paper eqs. 31, 34, i stripped: A = iT) and a finite sum
of chosen partial waves. They are probes for unitarity checks (optical defect, QOTAM kernel),
not bootstrap results: trees violate unitarity at O(coupling²), partial-wave sums are exact.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from scipy.special import eval_legendre

from .kinematics import phase_space, u_of
from .partial_waves import project, s_matrix


class _Projected:
    """f(J, s) by direct projection of T (smatrix.partial_waves.project), S from f."""

    model = "textbook"

    def f(self, J: int, s) -> np.ndarray:
        return project(self.T, J, s)

    def S(self, J: int, s) -> np.ndarray:
        return s_matrix(self.f(J, s), s)


class Phi4Tree(_Projected):
    """Tree of L_int = −(λ/4!)φ⁴: T = −λ (QOTAM eq. 31 is A = iT = −iλ)."""

    def __init__(self, coupling: float):
        self.coupling = float(coupling)

    def T(self, s, t) -> np.ndarray:
        s, t = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(t, dtype=float))
        return np.full(s.shape, -self.coupling, dtype=complex)


class Phi3Tree(_Projected):
    """Tree of L_int = −(g/3!)φ³ with the exchanged particle of mass m = 1:
    T = −g² [1/(s − 1) + 1/(t − 1) + 1/(u − 1)] (QOTAM eq. 34, i stripped)."""

    def __init__(self, coupling: float):
        self.coupling = float(coupling)

    def T(self, s, t) -> np.ndarray:
        s, t = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(t, dtype=float))
        return -self.coupling**2 * (1 / (s - 1) + 1 / (t - 1) + 1 / (u_of(s, t) - 1)) + 0j


class PartialWaveSum:
    """T(s, t) = 16π Σ_J (2J+1) f_J(s) P_J(z), z = 1 + 2t/(s − 4), from chosen S_J(s) (even J):
    f_J = (S_J − 1)/(iϱ). `waves` maps J to a constant S_J or a function of s. Exact partial waves:
    S_J = e^{2iδ_J} gives a unitary amplitude, |S_J| < 1 an inelastic one, |S_J| > 1 a violation."""

    model = "partial-wave-sum"

    def __init__(self, waves: Mapping[int, complex | Callable]):
        if any(J < 0 or J % 2 for J in waves):
            raise ValueError(f"identical scalars have even spins only, got {sorted(waves)}")
        self.waves = dict(waves)

    def S(self, J: int, s) -> np.ndarray:
        s = np.atleast_1d(np.asarray(s, dtype=float))
        w = self.waves.get(J, 1.0)
        return np.asarray(w(s) if callable(w) else np.full(s.shape, w), dtype=complex)

    def f(self, J: int, s) -> np.ndarray:
        return (self.S(J, s) - 1.0) / (1j * phase_space(np.atleast_1d(np.asarray(s, dtype=float))))

    def T(self, s, t) -> np.ndarray:
        s, t = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(t, dtype=float))
        z = 1.0 + 2.0 * t / (s - 4.0)
        flat = s.ravel()
        total = np.zeros(flat.shape, dtype=complex)
        for J in self.waves:
            total += (2 * J + 1) * self.f(J, flat) * eval_legendre(J, z.ravel())
        return (16 * np.pi * total).reshape(s.shape)


__all__ = ["Phi3Tree", "Phi4Tree", "PartialWaveSum"]
