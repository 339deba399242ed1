"""Quadrature rules of the toolkit, each written once (issue 13).

- `gauss_legendre` (nodes and weights on [0, 1]) and `legendre_rule` (on [−1, 1]), cached;
- `panel_rule`: composite Gauss–Legendre on consecutive panels of any 1D grid;
- `angular_rule`: the rule for the partial-wave projections ∫ dz over the scattering angle at each
  energy s. Physical energies (real s > 4): Gauss–Legendre on z ∈ [0, ½] (none for s − 4 ≤ 8),
  then equal panels in y = log(1 + τ), τ = −t, towards the forward point, where amplitudes vary on
  |t| ~ 1 while z spans s. `full=True` covers z ∈ [−1, 1] (the rule mirrored: for integrands
  without the t ↔ u symmetry); unphysical energies — complex s (zeros of S0 off the axis) or real
  s ≤ 4 — have no forward peak in t and take plain Gauss–Legendre in z.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

PROJECTION_RULE = {"forward_nodes": 32, "panels": 24, "per_panel": 12}
HIGH_SPIN_FROM = 44     # PROJECTION_RULE resolves P_J up to here (|S_J|² to ≤ 2e-12 up to s = 1e16, measured)
UNPHYSICAL_ORDER = 64   # Gauss–Legendre nodes in z on [0, 1] where s is complex or s ≤ 4


@lru_cache(maxsize=32)
def legendre_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [−1, 1] (read-only arrays)."""
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = w.flags.writeable = False
    return x, w


@lru_cache(maxsize=32)
def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [0, 1] (read-only arrays)."""
    x, w = legendre_rule(n)
    v, wv = 0.5 * (x + 1.0), 0.5 * w
    v.flags.writeable = wv.flags.writeable = False
    return v, wv


def panel_rule(edges, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n Gauss–Legendre points on each panel [e_p, e_{p+1}] of the increasing `edges`, flattened:
    (points, weights, panel index p, local coordinate v ∈ (0, 1)), point = e_p + (e_{p+1} − e_p) v."""
    e = np.asarray(edges, dtype=float)
    v, w = gauss_legendre(n)
    widths = np.diff(e)
    p = np.repeat(np.arange(e.size - 1), v.size)
    vv = np.tile(v, e.size - 1)
    return e[p] + widths[p] * vv, np.tile(w, e.size - 1) * widths[p], p, vv


def projection_rule(J: int) -> dict:
    """The angular rule that resolves P_J(z): PROJECTION_RULE up to J = HIGH_SPIN_FROM; above it the
    forward nodes and the panels grow with J (P_J has ~J/6 zeros on z ∈ [0, ½] and the widest panel
    must hold a few of its oscillations: panels in proportion to J and to the y = log(1 + τ) range,
    i.e. to log s). Measured on full-model amplitudes at s = 5e3 … 1e16 against rules with 2–4× the
    nodes: |S_J|² to ≤ 1e-8 for J ≤ 200, where PROJECTION_RULE is off by up to 5e-4 at J = 200."""
    if J <= HIGH_SPIN_FROM:
        return PROJECTION_RULE
    top = -(-J // 32) * 32          # one rule per band of 16 spins (J rounded up to a multiple of 32)
    return {"forward_nodes": top // 2 + 16, "panels": top // 3, "per_panel": 12, "panels_per_unit_y": top / 48}


def spins_by_rule(spins) -> list[tuple[dict, list[int]]]:
    """The spins (positions kept) in at most two groups: J ≤ HIGH_SPIN_FROM on PROJECTION_RULE, the
    others together on the `projection_rule` of the largest (one evaluation of the amplitude on
    its nodes serves them all): [(rule, [k, …]), …]."""
    low = [k for k, J in enumerate(spins) if J <= HIGH_SPIN_FROM]
    high = [k for k, J in enumerate(spins) if J > HIGH_SPIN_FROM]
    return ([(PROJECTION_RULE, low)] if low else []) + \
        ([(projection_rule(max(spins[k] for k in high)), high)] if high else [])


def angular_rule(s, rule: dict = PROJECTION_RULE, full: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z (m, Q) and weights for ∫_0^1 dz (∫_{−1}^{1} dz with `full`) at each of the m
    energies s; physical and unphysical energies as in the module docstring (one kind per call)."""
    s = np.atleast_1d(np.asarray(s))
    if np.iscomplexobj(s) or np.any(s <= 4.0):
        if not (np.iscomplexobj(s) or np.all(s <= 4.0)):
            raise ValueError("angular_rule: energies above and below threshold in one call")
        v, w = gauss_legendre(UNPHYSICAL_ORDER)
        z, wz = np.tile(v, (s.size, 1)), np.tile(w, (s.size, 1))
    else:
        z, wz = _forward_rule(s.astype(float)[:, None], rule)
    if full:
        return np.concatenate([z, -z], axis=1), np.concatenate([wz, wz], axis=1)
    return z, wz


def _forward_rule(s: np.ndarray, rule: dict) -> tuple[np.ndarray, np.ndarray]:
    """z ∈ [0, 1] at real s > 4 (column): Gauss–Legendre on [0, ½] if s − 4 > 8, then τ = −t ∈
    [0, (s−4)(1−z_split)/2] in y = log(1 + τ) on equal panels, z = 1 − 2τ/(s − 4)."""
    d = s - 4.0
    va, wa = gauss_legendre(rule["forward_nodes"])
    vb, wb = gauss_legendre(rule["per_panel"])
    z_split = np.where(d > 8.0, 0.5, 0.0)
    za, wza = z_split * va, z_split * wa
    span = np.log1p(0.5 * d * (1 - z_split))         # the y range of the panels
    # a fixed number of panels, or (high spins) as many as each energy's y range needs: rows with
    # fewer panels are padded with weightless nodes at z = 1, so no energy's rule depends on the others
    P = np.maximum(rule["panels"], np.ceil(rule.get("panels_per_unit_y", 0.0) * span)).astype(int)
    k = np.repeat(np.arange(int(P.max())), vb.size)[None, :]
    used = k < P
    h = span / P
    y = np.where(used, (k + np.tile(vb, int(P.max()))[None, :]) * h, 0.0)
    wy = np.where(used, np.tile(wb, int(P.max()))[None, :] * h, 0.0)
    tau = np.expm1(y)
    return (np.concatenate([za, 1 - 2 * tau / d], axis=1),
            np.concatenate([wza, wy * (1 + tau) * 2 / d], axis=1))


__all__ = ["HIGH_SPIN_FROM", "PROJECTION_RULE", "UNPHYSICAL_ORDER", "projection_rule", "spins_by_rule", "legendre_rule", "gauss_legendre", "panel_rule", "angular_rule"]
