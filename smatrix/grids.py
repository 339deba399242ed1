"""Energy grids of the toolkit, each builder written once (issue 13).

Every grid is a sorted float64 array of energies s (or a product of two, `product_grid`), built
from a few maps of [4, ∞):
- the wavelet angle θ(s) = 2 arctan sqrt((s − 4)/(s* − 4)), s* = 20/3 the image of s0 = 4/3
  (inverse of P1 eq. 91): uniform θ is dense at threshold and through the resonance region;
- log(s − 4): geometric spacing towards threshold (`above_threshold`, `log_subdivide`);
- log log s: the Regge region (`regge_nodes`);
- the Chebyshev angles of P1 eq. (92): the unitarity grid and the wavelet centres (eq. 93).
The grids of the methods (spectral-grid primal, neural primal, dual multiplier, certificates)
are compositions of these; the 2PRR node set (x = 4 + sinh²ξ) lives with its transforms in
smatrix.twoprr.grid.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

MOTHER_CENTRE = 20.0 / 3.0  # s* of the mother wavelet: the image of s0 = 4/3 (8 − 4/3)


# --- the wavelet angle (P1 eq. 91) ----------------------------------------------------------------

def theta_of_s(s, centre: float = MOTHER_CENTRE) -> np.ndarray:
    """Wavelet angle θ(s) = 2 arctan sqrt((s − 4)/(s* − 4)) (inverse of eq. 91); θ(∞) = π."""
    return 2.0 * np.arctan(np.sqrt((np.asarray(s, dtype=float) - 4.0) / (centre - 4.0)))


def s_of_theta(theta, centre: float = MOTHER_CENTRE) -> np.ndarray:
    """Inverse map on the unit circle, eq. (91): s = 4 + (σ − 4) tan²(θ/2), accurate near θ → π."""
    theta = np.asarray(theta, dtype=float)
    half = 0.5 * theta
    tan_half = np.where(theta < 0.5 * np.pi, np.tan(half), 1.0 / np.tan(0.5 * np.pi - half))
    return 4.0 + (centre - 4.0) * tan_half**2


def theta_nodes(s_hi: float, n: int, s_lo: float = 4.0) -> np.ndarray:
    """n + 1 energies uniform in θ from s_lo to s_hi, both ends included (from threshold the
    angles are the exact multiples θ(s_hi)·k/n)."""
    lo, hi = float(theta_of_s(s_lo)), float(theta_of_s(s_hi))
    th = hi * np.arange(n + 1) / n if lo == 0.0 else np.linspace(lo, hi, n + 1)
    return s_of_theta(th)


# --- geometric and Regge spacings ---------------------------------------------------------------

def above_threshold(d_lo: float, d_hi: float, n: int) -> np.ndarray:
    """n energies 4 + (s − 4) with s − 4 geometric from d_lo to d_hi."""
    return 4.0 + np.geomspace(d_lo, d_hi, n)


def log_subdivide(y: np.ndarray, factor: int) -> np.ndarray:
    """Every gap [y_k, y_{k+1}] of the increasing `y` split into `factor` equal parts: the left
    ends y_k + (y_{k+1} − y_k)·i/factor, i < factor (the last y is not included)."""
    frac = np.arange(factor) / factor
    return (y[:-1, None] + np.diff(y)[:, None] * frac[None, :]).ravel()


def subdivided_points(points, factor: int) -> np.ndarray:
    """`factor` points per gap of the increasing energies `points` > 4, even in log(s − 4) (the last
    point not included)."""
    return 4.0 + np.exp(log_subdivide(np.log(np.asarray(points, dtype=float) - 4.0), factor))


def regge_nodes(s_lo: float, s_hi: float, step: float, max_step: float) -> np.ndarray:
    """Energies above s_lo up to s_hi with Δlog s = min(step·log s, max_step) (log-log spacing)."""
    L, out = math.log(s_lo), []
    while L < math.log(s_hi):
        L += min(step * L, max_step)
        out.append(min(L, math.log(s_hi)))
    return np.exp(out)


def refined_nodes(nodes: np.ndarray, lo: float, hi: float, factor: int) -> np.ndarray:
    """`nodes` with every segment inside [lo, hi] split into `factor` geometric pieces."""
    k = np.nonzero((nodes[:-1] >= lo) & (nodes[1:] <= hi))[0]
    frac = np.arange(1, factor) / factor
    extra = np.exp(np.log(nodes[k])[:, None] + np.log(nodes[k + 1] / nodes[k])[:, None] * frac[None]).ravel()
    return np.sort(np.concatenate([nodes, extra]))


# --- the grids of the methods -------------------------------------------------------------------

def spectral_nodes(n: int, s_switch: float = 1e4, s_max: float = 1e12, bulk_fraction: float = 0.75) -> np.ndarray:
    """n nodes: 4, then uniform in θ up to s_switch — dense at threshold and through the resonance
    region — then geometric in s − 4 up to s_max (the Regge region, exponentially large s)."""
    if n < 8:
        raise ValueError(f"spectral grid too small: {n} nodes (need ≥ 8)")
    if not (10.0 < s_switch < s_max) or not (0.1 <= bulk_fraction < 1.0):
        raise ValueError("spectral grid needs 10 < s_switch < s_max and 0.1 ≤ bulk_fraction < 1")
    n_bulk = max(2, int(round(bulk_fraction * (n - 1))))
    bulk = theta_nodes(s_switch, n_bulk)[1:]
    tail = above_threshold(s_switch - 4.0, s_max - 4.0, n - n_bulk)[1:]
    return np.concatenate([[4.0], bulk, tail])


def primal_nodes(threshold_min: float, threshold_max: float, threshold_density: int, bulk: int,
                 s_bulk: float, regge_step: float, regge_max_step: float, s_max: float) -> np.ndarray:
    """The neural-primal grid (P1 eq. 82): 4, threshold nodes geometric in s − 4, bulk nodes
    uniform in θ, Regge nodes in log log s up to s_max."""
    decades = math.log10(threshold_max / threshold_min)
    thr = above_threshold(threshold_min, threshold_max, max(2, int(round(threshold_density * decades))))
    middle = theta_nodes(s_bulk, bulk, 4.0 + threshold_max)[1:]
    return np.concatenate([[4.0], thr, middle, regge_nodes(s_bulk, s_max, regge_step, regge_max_step)])


def dual_nodes(cutoff: float, segments: int, max_ratio: float = 1.15) -> np.ndarray:
    """Nodes of the dual multiplier on [4, Λ]: uniform in θ — dense at threshold, as the amplitudes
    are — with segments wider than a factor `max_ratio` in s split geometrically (large Λ)."""
    if not cutoff > 4.0:
        raise ValueError(f"the cutoff Λ must be above threshold (Λ > 4), got {cutoff}")
    if segments < 2:
        raise ValueError("the dual grid needs at least 2 segments")
    s = theta_nodes(cutoff, segments)
    s[0], s[-1] = 4.0, cutoff
    pieces = [s[:2]]
    for a, b in zip(s[1:-1], s[2:]):
        k = max(1, int(np.ceil(np.log(b / a) / np.log(max_ratio))))
        pieces.append(np.geomspace(a, b, k + 1)[1:])
    return np.concatenate(pieces)


def dense_check_points(imposed, factor: int = 4, s_far: float = 1e16) -> np.ndarray:
    """Certificate points: `factor`× as many as `imposed` (each gap split evenly in log(s − 4)),
    plus points approaching threshold (4 + 10⁻¹²…) and the deep UV up to `s_far`."""
    s = np.unique(np.asarray(imposed, dtype=float))
    s = s[s > 4.0]
    if s.size < 2 or factor < 1:
        raise ValueError("need ≥ 2 imposed points above threshold and factor ≥ 1")
    y = np.log(s - 4.0)
    lo = np.linspace(min(y[0], np.log(1e-12)), y[0], 12, endpoint=False)
    hi = np.linspace(y[-1], max(np.log(s_far), y[-1]), 13)
    return 4.0 + np.exp(np.unique(np.concatenate([lo, log_subdivide(y, factor), hi])))


# --- Chebyshev nodes: the unitarity grid and the wavelet centres (P1 eqs. 92–93) ----------------

def chebyshev_fractions(n: int) -> list[Fraction]:
    """k/(n+1), k = 1..n: the Chebyshev angles θ = (π/2)(1 + cos(π k/(n+1))) of eq. (92)."""
    return [Fraction(k, n + 1) for k in range(1, n + 1)]


def theta_of_fraction(fr) -> np.ndarray:
    """θ = (π/2)(1 + cos(π f)) = π cos²(π f / 2) of the Chebyshev fractions f."""
    fr = np.asarray([float(f) for f in fr])
    return np.pi * np.cos(0.5 * np.pi * fr) ** 2


def unitarity_grid(n: int, centre: float = MOTHER_CENTRE) -> np.ndarray:
    """Chebyshev unitarity grid of eq. (92), sorted in increasing s (from 4⁺ to ~n⁴)."""
    if n < 1:
        raise ValueError("unitarity grid needs at least one point")
    return np.sort(s_of_theta(theta_of_fraction(chebyshev_fractions(n)), centre))


def wavelet_centres(nmax: int) -> np.ndarray:
    """Centre grid Σ(Nmax) = ∪_{k=1}^{Nmax} θ_k mapped by the mother wavelet, eq. (93)/P2 (91)."""
    if nmax < 1:
        raise ValueError("Nmax must be at least 1")
    fracs = sorted({f for n in range(1, nmax + 1) for f in chebyshev_fractions(n)})
    return np.sort(s_of_theta(theta_of_fraction(fracs)))


# --- two-dimensional grids ----------------------------------------------------------------------

def product_grid(s, t) -> tuple[np.ndarray, np.ndarray]:
    """The points (s_i, t_k) of two 1D grids as two (len(s), len(t)) arrays (row i: s_i)."""
    s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
    return np.broadcast_arrays(s[:, None], t[None, :])


__all__ = ["MOTHER_CENTRE", "theta_of_s", "s_of_theta", "theta_nodes", "above_threshold", "log_subdivide",
           "subdivided_points", "regge_nodes", "refined_nodes", "spectral_nodes", "primal_nodes", "dual_nodes",
           "dense_check_points", "chebyshev_fractions", "theta_of_fraction", "unitarity_grid",
           "wavelet_centres", "product_grid"]
