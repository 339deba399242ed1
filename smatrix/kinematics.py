"""Mandelstam kinematics for identical scalars of mass 1 (spec README, P1 §1)."""
from __future__ import annotations

import numpy as np

S0_CROSSING = 4.0 / 3.0  # s = t = u = 4/3


def u_of(s, t):
    """u = 4 − s − t."""
    return 4.0 - np.asarray(s) - np.asarray(t)


def t_of_z(s, z):
    """t = −(s − 4)(1 − z)/2 at scattering angle z = cos θ (any array library)."""
    return -0.5 * (s - 4.0) * (1.0 - z)


def phase_space(s):
    """ϱ(s) = sqrt((s − 4)/s), P1 eq. (9); real for s ≥ 4. Complex s: the principal branch, the
    continuation of the upper lip into the upper half plane (i·sqrt((4 − s)/s) above 0 < s < 4)."""
    s = np.asarray(s)
    if np.iscomplexobj(s):
        return np.sqrt((s - 4.0) / s)
    s = s.astype(float)
    return np.sqrt((s - 4.0) / s)
