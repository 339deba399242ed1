"""Partial waves (spec README conventions; P2 eqs. 83a–c):
f_J(s) = (1/32π) ∫_{−1}^{1} dz P_J(z) T(s, t(z)),  S_J(s) = 1 + i ϱ(s) f_J(s).

`project` is a direct numerical projection of any amplitude T(s, t): for even J (identical
particles, T(s,t) = T(s,u)) it integrates z ∈ [0, 1] with `angular_rule` (Gauss–Legendre on
z ∈ [0, ½], then panels in y = log(1 − t) towards the forward point, where T varies on |t| ~ 1
while z spans s); the full model's partial-wave rows use the same rule.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import eval_legendre

from .kinematics import phase_space


PROJECTION_RULE = {"forward_nodes": 32, "panels": 24, "per_panel": 12}


@lru_cache(maxsize=8)
def _gl(n: int):
    return np.polynomial.legendre.leggauss(n)


def angular_rule(s, rule: dict = PROJECTION_RULE) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z (m, Q) and weights for ∫_0^1 dz at each s: Gauss–Legendre on [0, ½] (none for
    s − 4 ≤ 8), then τ = −t ∈ [0, (s−4)(1−z_split)/2] in y = log(1 + τ) on equal Gauss–Legendre
    panels, z = 1 − 2τ/(s − 4): amplitudes vary on |t| ~ 1 near the forward point while z spans s."""
    s = np.atleast_1d(np.asarray(s, dtype=float))[:, None]
    d = s - 4.0
    ga, wa = _gl(rule["forward_nodes"])
    gb, wb = _gl(rule["per_panel"])
    P = rule["panels"]
    z_split = np.where(d > 8.0, 0.5, 0.0)
    za, wza = 0.5 * z_split * (ga + 1), 0.5 * z_split * wa
    h = np.log1p(0.5 * d * (1 - z_split)) / P
    y = (np.arange(P)[:, None] + 0.5 * (gb[None, :] + 1)).ravel()[None, :] * h
    wy = np.tile(0.5 * wb, P)[None, :] * h
    tau = np.expm1(y)
    return (np.concatenate([za, 1 - 2 * tau / d], axis=1),
            np.concatenate([wza, wy * (1 + tau) * 2 / d], axis=1))


def project(T, J: int, s) -> np.ndarray:
    """f_J(s) for even J by direct quadrature of T(s, t) over the physical angle (s > 4)."""
    if J < 0 or J % 2:
        raise ValueError(f"identical scalars have even spins only, got J = {J}")
    s_arr = np.atleast_1d(np.asarray(s, dtype=float))
    out = np.empty(s_arr.size, dtype=complex)
    for k, sk in enumerate(s_arr):
        z, w = angular_rule(sk)
        z, w = z[0], w[0]
        t = -0.5 * (sk - 4.0) * (1.0 - z)
        vals = T(np.full_like(t, sk), t)
        out[k] = np.sum(w * eval_legendre(J, z) * vals) / (16.0 * np.pi)
    return out


def s_matrix(f, s) -> np.ndarray:
    """S_J(s) = 1 + i ϱ(s) f_J(s), P2 eq. (83b)."""
    return 1.0 + 1j * phase_space(s) * np.asarray(f)
