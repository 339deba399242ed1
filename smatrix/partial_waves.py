"""Partial waves (spec README conventions; P2 eqs. 83a–c):
f_J(s) = (1/32π) ∫_{−1}^{1} dz P_J(z) T(s, t(z)),  S_J(s) = 1 + i ϱ(s) f_J(s).

`project` is a direct numerical projection of any amplitude T(s, t): for even J (identical
particles, T(s,t) = T(s,u)) it integrates z ∈ [0, 1] with two Gauss–Legendre pieces, the one
near the forward point z → 1 in y = log(1 − t), where T varies on |t| ~ 1 while z spans s.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import eval_legendre

from .kinematics import phase_space


@lru_cache(maxsize=8)
def _gl(n: int):
    return np.polynomial.legendre.leggauss(n)


def projection_rule(s: float, order: int = 96):
    """Points z_k ∈ (0, 1) and weights for ∫_0^1 dz g(z), adapted to the forward peak at s ≫ 1."""
    g, w = _gl(order)
    d = s - 4.0
    z_split = 0.5 if d > 8.0 else 0.0
    # piece A: z ∈ [0, z_split], plain GL
    za = 0.5 * z_split * (g + 1.0)
    wa = 0.5 * z_split * w
    # piece B: τ = −t ∈ [0, d(1 − z_split)/2] in y = log(1 + τ); z = 1 − 2τ/d
    y_max = np.log1p(0.5 * d * (1.0 - z_split))
    y = 0.5 * y_max * (g + 1.0)
    tau = np.expm1(y)
    zb = 1.0 - 2.0 * tau / d
    wb = 0.5 * y_max * w * (1.0 + tau) * 2.0 / d
    return np.concatenate([za, zb]), np.concatenate([wa, wb])


def project(T, J: int, s) -> np.ndarray:
    """f_J(s) for even J by direct quadrature of T(s, t) over the physical angle (s > 4)."""
    if J < 0 or J % 2:
        raise ValueError(f"identical scalars have even spins only, got J = {J}")
    s_arr = np.atleast_1d(np.asarray(s, dtype=float))
    out = np.empty(s_arr.size, dtype=complex)
    for k, sk in enumerate(s_arr):
        z, w = projection_rule(sk)
        t = -0.5 * (sk - 4.0) * (1.0 - z)
        vals = T(np.full_like(t, sk), t)
        out[k] = np.sum(w * eval_legendre(J, z) * vals) / (16.0 * np.pi)
    return out


def s_matrix(f, s) -> np.ndarray:
    """S_J(s) = 1 + i ϱ(s) f_J(s), P2 eq. (83b)."""
    return 1.0 + 1j * phase_space(s) * np.asarray(f)
