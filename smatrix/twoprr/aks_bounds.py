"""Screening bounds of P2 §5.2 (eqs. 76–78): how fast ρ_MP(s, ·) must grow with the number of
screened spins, from the Landau curves alone.

At fixed s > 16 the crossed elastic density ρ_el(t, s) starts at t_el(s) = 4s/(s − 16) (15b) and
ρ_MP(t, s) at t_MP(s), the planar-cross curve (16) read at fixed s. With z = 1 + 2t/(s − 4),
χ(z) = z + sqrt(z² − 1) and u = 1/χ (eq. 76), Q_J(z) ~ u(z)^J at large J, so
    R(s) = u(z_el)/u(z_MP) = χ(z_MP)/χ(z_el)           (single moment, eq. 77),
    B(s) = χ(2R(s) − 1)                                (all moments J ≤ J_max, eq. 78),
and ‖ρ_MP(s, ·)‖ ≳ B(s)^J_max up to s-dependent constants and powers of J_max.
"""
from __future__ import annotations


import numpy as np
from scipy.optimize import brentq, minimize_scalar

from .grid import landau_t_channel, planar_cross


def chi(z):
    """χ(z) = z + sqrt(z² − 1) (z ≥ 1), eq. (76)."""
    z = np.asarray(z, dtype=float)
    return z + np.sqrt(z * z - 1.0)


def t_mp(s: float) -> float:
    """t on the planar-cross curve (16) at fixed s > 16: the lower edge of the ρ_MP support
    (the left side of (16) is negative at t = 16 and positive above the curve)."""
    s = float(s)
    if not s > 16.0:
        raise ValueError(f"the planar-cross curve is reached for s > 16, got s = {s!r}")
    f = lambda t: float(planar_cross(s, t))
    hi = 32.0
    while f(hi) <= 0:
        hi *= 2.0
        if hi > 1e300:
            raise ValueError(f"no planar-cross crossing found at s = {s!r}")
    return brentq(f, 16.0, hi, xtol=1e-14 * hi, rtol=1e-15, maxiter=500)


KERNEL_SCALE = 2.0      # z = 1 + 2t/(s − 4), the Froissart–Gribov argument (eq. 76)
P2_FIG28_SCALE = 8.0    # z = 1 + 8t/(s − 4): the only variant found that puts B's maximum at P2's s ≈ 32.2


def ratio_r(s: float, scale: float = KERNEL_SCALE) -> float:
    """R(s) = χ(z_MP)/χ(z_el) (eq. 77), z = 1 + scale·t/(s − 4) (`scale` ≠ 2 only for the comparison
    with P2's Fig. 28 in docs/aks_screening.md)."""
    z = lambda t: 1.0 + scale * t / (s - 4.0)
    return float(chi(z(t_mp(s))) / chi(z(float(landau_t_channel(s)))))


def bound_b(s: float, scale: float = KERNEL_SCALE) -> float:
    """B(s) = χ(2R(s) − 1) (eq. 78)."""
    return float(chi(2.0 * ratio_r(s, scale) - 1.0))


def b_maximum(lo: float = 16.0 + 1e-6, hi: float = 1e6, scale: float = KERNEL_SCALE) -> tuple[float, float]:
    """(s*, B(s*)): the largest B on [lo, hi] (a bounded search on a log grid, then refined)."""
    s = np.geomspace(lo - 16.0, hi - 16.0, 400) + 16.0
    b = np.array([bound_b(x, scale) for x in s])
    k = int(np.argmax(b))
    if k in (0, s.size - 1):
        return float(s[k]), float(b[k])
    res = minimize_scalar(lambda x: -bound_b(x, scale), bounds=(s[k - 1], s[k + 1]), method="bounded",
                          options={"xatol": 1e-10 * s[k]})
    return float(res.x), float(-res.fun)


def plot_bounds(s_min: float = 16.05, s_max: float = 1e5):
    """R(s) and B(s) against s (P2 Fig. 28); returns a matplotlib Figure."""
    from matplotlib.figure import Figure
    s = np.geomspace(s_min, s_max, 300)
    R = np.array([ratio_r(x) for x in s])
    B = chi(2 * R - 1)
    fig = Figure(figsize=(5.6, 3.9), layout="constrained")
    a = fig.add_subplot(1, 1, 1)
    a.semilogx(s, R, label="R(s) = u(z_el)/u(z_MP)  (77)")
    a.semilogx(s, B, label="B(s) = χ(2R − 1)  (78)")
    R8 = np.array([ratio_r(x, P2_FIG28_SCALE) for x in s])
    a.semilogx(s, R8, "C0--", lw=0.9, label="R, B with z = 1 + 8t/(s − 4) (max at 32.2, as P2 states)")
    a.semilogx(s, chi(2 * R8 - 1), "C1--", lw=0.9)
    a.axhline(1.0, color="grey", lw=0.6)
    a.set_xlabel("s")
    a.set_ylabel("growth per unit J")
    a.legend(fontsize=8)
    a.set_title("Aks screening bounds from the Landau curves (15b), (16)")
    return fig


__all__ = ["KERNEL_SCALE", "P2_FIG28_SCALE", "b_maximum", "bound_b", "chi", "plot_bounds", "ratio_r", "t_mp"]
