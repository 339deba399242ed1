"""Mandelstam kinematics for identical scalars of mass 1 (spec README, P1 §1)."""
from __future__ import annotations

import numpy as np

S0_CROSSING = 4.0 / 3.0  # s = t = u = 4/3
S_THRESHOLD = 4.0
S_MULTIPARTICLE = 16.0


def u_of(s, t):
    """u = 4 − s − t."""
    return 4.0 - np.asarray(s) - np.asarray(t)


def phase_space(s):
    """ϱ(s) = sqrt((s − 4)/s), P1 eq. (9); real for s ≥ 4."""
    s = np.asarray(s, dtype=float)
    return np.sqrt((s - 4.0) / s)


def t_of_z(s, z):
    """t(s, z) = −(s − 4)(1 − z)/2 (P2 eq. 83c)."""
    return -0.5 * (np.asarray(s) - 4.0) * (1.0 - np.asarray(z))


def x_of_s(s):
    """Compact variable x = 4/s ∈ (0, 1] (P1 eq. 34)."""
    return 4.0 / np.asarray(s, dtype=float)


def s_of_x(x):
    return 4.0 / np.asarray(x, dtype=float)
