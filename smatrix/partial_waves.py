"""Partial waves (spec README conventions; P2 eqs. 83a–c):
f_J(s) = (1/32π) ∫_{−1}^{1} dz P_J(z) T(s, t(z)),  S_J(s) = 1 + i ϱ(s) f_J(s).

`project` is a direct numerical projection of any amplitude T(s, t): for even J (identical
particles, T(s,t) = T(s,u)) it integrates z ∈ [0, 1] with `smatrix.quadrature.angular_rule` (Gauss–
Legendre on z ∈ [0, ½], then panels in y = log(1 − t) towards the forward point, where T varies on
|t| ~ 1 while z spans s); the full model's partial-wave rows use the same rule.
"""
from __future__ import annotations

import numpy as np
from scipy.special import eval_legendre

from .kinematics import phase_space, t_of_z
from .quadrature import HIGH_SPIN_FROM, angular_rule, projection_rule


def legendre(spins, z) -> np.ndarray:
    """P_J(z) for each J of `spins`, (len(spins), *z.shape): scipy's eval_legendre up to
    HIGH_SPIN_FROM, above it one pass of the three-term recurrence up to max(spins)
    ((n + 1) P_{n+1} = (2n + 1) z P_n − n P_{n−1}; eval_legendre costs O(J) per value and spin)."""
    spins = list(spins)
    z = np.asarray(z)
    if not spins or max(spins) <= HIGH_SPIN_FROM:
        return np.stack([eval_legendre(J, z) for J in spins]) if spins else np.empty((0, *z.shape))
    where = {J: k for k, J in enumerate(spins)}
    out = np.empty((len(spins), *z.shape), dtype=z.dtype)
    prev, cur = np.ones_like(z), z.copy()
    for n in range(max(spins) + 1):
        if n in where:
            out[where[n]] = prev
        prev, cur = cur, ((2 * n + 3) * z * cur - (n + 1) * prev) / (n + 2)
    return out


def project(T, J: int, s) -> np.ndarray:
    """f_J(s) for even J by direct quadrature of T(s, t) over the physical angle (s > 4)."""
    if J < 0 or J % 2:
        raise ValueError(f"identical scalars have even spins only, got J = {J}")
    s_arr = np.atleast_1d(np.asarray(s, dtype=float))
    out = np.empty(s_arr.size, dtype=complex)
    for k, sk in enumerate(s_arr):
        z, w = angular_rule(sk, projection_rule(J))
        z, w = z[0], w[0]
        t = t_of_z(sk, z)
        vals = T(np.full_like(t, sk), t)
        out[k] = np.sum(w * eval_legendre(J, z) * vals) / (16.0 * np.pi)
    return out


def s_matrix(f, s) -> np.ndarray:
    """S_J(s) = 1 + i ϱ(s) f_J(s), P2 eq. (83b)."""
    return 1.0 + 1j * phase_space(s) * np.asarray(f)
