"""Mandelstam kinematics for identical scalars of mass 1 (spec README, P1 §1)."""
from __future__ import annotations

import numpy as np

S0_CROSSING = 4.0 / 3.0  # s = t = u = 4/3


def u_of(s, t):
    """u = 4 − s − t."""
    return 4.0 - np.asarray(s) - np.asarray(t)


def phase_space(s):
    """ϱ(s) = sqrt((s − 4)/s), P1 eq. (9); real for s ≥ 4."""
    s = np.asarray(s, dtype=float)
    return np.sqrt((s - 4.0) / s)
