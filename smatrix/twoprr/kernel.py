"""The Mandelstam kernel (P2 eq. 10) on the 2PRR node grid, precomputed once per grid and cached.

At fixed s (d = s − 4), with T_t(s ± i0, t) piecewise linear in ξ_t on the nodes t_j,
    ρ_el(s, t_k) = pref(s) Σ_{j,l} M[k, j, l] (Re T_j Re T_l + Im T_j Im T_l),   pref = ϱ/(16π²),
    M[k, j, l] = ∫∫_{η',η'' ≥ z1, η+ ≤ z_k} dη' dη'' φ_j(η') φ_l(η'') / sqrt((z_k − η+)(z_k − η−)),
with z = 1 + 2t/d, z1 = 1 + 8/d, η± = η'η'' ± sqrt((η'² − 1)(η''² − 1)) (eq. 11).

In hyperbolic variables η = cosh a the domain is the triangle a', a'' ≥ a1, a' + a'' ≤ a
(z_k = cosh a) and the measure is sinh a' sinh a'' da' da'' / sqrt(F₊F₋), F± = cosh a − cosh(a' ± a'')
written as products of sinh (no cancellation). Panels are aligned with the node lines; on the
panel touching the hypotenuse the inner variable δ = a − a' − a'' = c sinh²τ (c = 2a') makes
dδ/sqrt(δ(δ + c)) = 2dτ flat (the 1/sqrt singularity and the near-singular corner), and on the
outer panel touching a' = a − a1 the substitution a' = e − L w² removes the sqrt end point.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from ..cache import cached_arrays
from ..quadrature import gauss_legendre
from .grid import NodeGrid, elastic_support, xi_of_x

KERNEL_ORDER = 8


def _acosh1p(y):
    """acosh(1 + y) for y ≥ 0 without cancellation."""
    y = np.asarray(y, dtype=float)
    return np.log1p(y + np.sqrt(y * (y + 2.0)))


def node_angles(grid: NodeGrid, s: float) -> np.ndarray:
    """a_j = acosh(1 + 2t_j/(s − 4)) of every node t_j (a_0 = a1, t = 4)."""
    return _acosh1p(2.0 * grid.nodes / (s - 4.0))


def _hat_rows(grid: NodeGrid, s: float, a, panel) -> tuple[np.ndarray, np.ndarray]:
    """(index, weight of index + 1) of the hats at angles a lying in the given panels."""
    t = (s - 4.0) * np.sinh(0.5 * a) ** 2
    return panel, grid.in_panel(xi_of_x(np.maximum(t, 4.0)), panel)


def _measure(a, ap, app, half_delta=None):
    """sinh a' sinh a'' / sqrt(F₊ F₋) with F± = cosh a − cosh(a' ± a'') = 2 sinh((a+p)/2) sinh((a−p)/2)."""
    p, q = ap + app, ap - app
    hd = 0.5 * (a - p) if half_delta is None else half_delta
    f_plus = 2.0 * np.sinh(0.5 * (a + p)) * np.sinh(hd)
    f_minus = 2.0 * np.sinh(0.5 * (a + q)) * np.sinh(0.5 * (a - q))
    with np.errstate(invalid="ignore", divide="ignore"):   # empty panels (masked by the caller)
        return np.sinh(ap) * np.sinh(app) / np.sqrt(f_plus * f_minus)


def kernel_at(grid: NodeGrid, s: float, targets, order: int = KERNEL_ORDER) -> np.ndarray:
    """M[k, j, l] for the target nodes `targets` (indices k) at energy s."""
    n = grid.n
    A = node_angles(grid, s)
    a1 = A[0]
    v, wv = gauss_legendre(order)
    out = np.zeros((len(targets), n, n))
    for row, k in enumerate(targets):
        a = A[k]
        e = a - a1                                   # largest a'
        # outer panels: cut at the node lines a' = A_j and at a' = a − A_l, where the upper end
        # b = a − a' of the inner range crosses a node (the inner integral has kinks there);
        # on each, a' = e − σ² (σ uniform) makes the sqrt(e − a') end behaviour smooth
        cuts = np.concatenate([A, a - A])
        cuts = np.unique(np.concatenate([[a1, e], cuts[(cuts > a1) & (cuts < e)]]))
        lo, hi = cuts[:-1], cuts[1:]
        keep = hi - lo > 1e-14 * max(1.0, a)
        lo, hi = lo[keep], hi[keep]
        s_lo, s_hi = np.sqrt(e - hi), np.sqrt(e - lo)
        sig = s_lo[:, None] + (s_hi - s_lo)[:, None] * v[None, :]
        ap = (e - sig**2).ravel()
        wp = (2.0 * sig * (s_hi - s_lo)[:, None] * wv[None, :]).ravel()
        pan = np.repeat(np.clip(np.searchsorted(A, 0.5 * (lo + hi)) - 1, 0, n - 2), order)
        jo, fo = _hat_rows(grid, s, ap, pan)
        b = a - ap                                   # upper end of the inner range
        # inner panels [A_l, min(A_{l+1}, b)] in δ = b − a'' = c sinh²τ, c = 2a': then
        # dδ/sqrt(δ(δ + c)) = 2dτ and the hypotenuse singularity (and the near-singular corner)
        # is smooth on every panel, however close b is to a node
        c = 2.0 * ap[:, None]
        p_lo = np.minimum(A[None, :-1], b[:, None])
        p_hi = np.minimum(A[None, 1:], b[:, None])
        t_lo = np.arcsinh(np.sqrt((b[:, None] - p_hi) / c))
        t_hi = np.arcsinh(np.sqrt((b[:, None] - p_lo) / c))
        tau = t_lo[..., None] + (t_hi - t_lo)[..., None] * v                   # (outer, panel, order)
        delta = c[..., None] * np.sinh(tau) ** 2
        app = b[:, None, None] - delta
        wt = (t_hi - t_lo)[..., None] * wv * c[..., None] * np.sinh(2.0 * tau)
        meas = np.where(wt > 0, _measure(a, ap[:, None, None], app, half_delta=0.5 * delta), 0.0) * wt
        panel = np.broadcast_to(np.arange(n - 1)[None, :, None], app.shape)
        _, fe = _hat_rows(grid, s, app, panel)
        G = np.zeros((ap.size, n))
        G[:, :-1] += np.sum(meas * (1.0 - fe), axis=2)
        G[:, 1:] += np.sum(meas * fe, axis=2)
        H_out = np.zeros((ap.size, n))
        H_out[np.arange(ap.size), jo] = (1.0 - fo) * wp
        H_out[np.arange(ap.size), jo + 1] += fo * wp
        Mk = H_out.T @ G
        out[row] = 0.5 * (Mk + Mk.T)
    return out


def mandelstam_prefactor(s):
    """ϱ(s)/(16π²) = sqrt(s − 4)/((4π)² sqrt s), eq. (10)."""
    s = np.asarray(s, dtype=float)
    return np.sqrt((s - 4.0) / s) / (16.0 * math.pi**2)


def build_kernel(grid: NodeGrid, order: int = KERNEL_ORDER, progress: bool = False) -> dict[str, np.ndarray]:
    """All rows of the kernel: `pairs` (i, k) of the elastic support and `M` (pairs, n, n)."""
    mask = elastic_support(grid)
    pairs = np.argwhere(mask)
    M = np.empty((len(pairs), grid.n, grid.n))
    t0 = time.perf_counter()
    tty = sys.stderr.isatty()
    if progress:
        print(f"smatrix 2prr: building the Mandelstam kernel (n = {grid.n}, {len(pairs)} support nodes; "
              f"cached for later runs)", file=sys.stderr, flush=True)
    rows = 0
    for i in np.unique(pairs[:, 0]):
        ks = pairs[pairs[:, 0] == i, 1]
        M[rows:rows + ks.size] = kernel_at(grid, float(grid.nodes[i]), ks, order)
        rows += ks.size
        if progress and tty:
            print(f"\r  row {i}/{grid.n - 2} ({time.perf_counter() - t0:.0f} s)", end="", file=sys.stderr, flush=True)
    if progress:
        print(f"{chr(13) if tty else ''}smatrix 2prr: kernel built in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
    return {"pairs": pairs, "M": M}


def mandelstam_kernel(grid: NodeGrid, order: int = KERNEL_ORDER, progress: bool = False) -> dict[str, np.ndarray]:
    """The kernel of `grid`, from the disk cache when present (keyed by the grid and the order)."""
    import hashlib
    params = {"n": grid.n, "s_max": grid.s_max, "grading": grid.grading, "order": order,
              "nodes": hashlib.sha256(grid.nodes.tobytes()).hexdigest()[:16]}   # any change of layout
    arrays = cached_arrays("mandelstam-kernel", params, lambda: build_kernel(grid, order, progress))
    expected = elastic_support(grid)
    if arrays["M"].shape != (int(expected.sum()), grid.n, grid.n) or not np.all(np.isfinite(arrays["M"])):
        raise ValueError("Mandelstam kernel cache entry does not match its grid")
    return arrays
