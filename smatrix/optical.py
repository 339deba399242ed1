"""The optical defect: unitarity of all spins at once, from T(s, t) without partial-wave projection.

With T = 16π Σ_J (2J+1) f_J P_J(z), η_J = 1 − |1 + iϱ f_J|² = 2ϱ Im f_J − ϱ²|f_J|² (spec README),
P_J(1) = 1 and ∫_{−1}^{1} P_J P_J' dz = 2δ_JJ'/(2J+1):

  D(s) ≡ Σ_J (2J+1) η_J(s) = ϱ Im T(s, 0)/(8π) − ϱ² ∫_{−1}^{1} |T(s, t(z))|² dz / (512π²),

the optical theorem at fixed energy (the same number is the defect of the transport plan |K|² of
the QOTAM kernel at every direction, see smatrix.qotam). D < 0 proves that some wave, possibly
above any imposed J_max, violates unitarity; D ≥ 0 is necessary but not sufficient (one wave can
be super-unitary while another is inelastic). Only T(s, t) on the upper lip is needed, so this
works for any object with the Amplitude interface; the tail above J_max uses its `S(J, s)`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kinematics import phase_space, t_of_z
from .quadrature import PROJECTION_RULE, angular_rule

# Denser than PROJECTION_RULE: |T|² is integrated over both hemispheres, near forward poles too.
OPTICAL_RULE = {"forward_nodes": 48, "panels": 32, "per_panel": 16}


def spin_sum(spins, eta) -> np.ndarray:
    """Σ_J (2J+1) η_J over the given spins; eta has shape (len(spins), m)."""
    weights = 2 * np.asarray(list(spins), dtype=float) + 1
    return weights @ np.asarray(eta, dtype=float)


@dataclass(frozen=True)
class OpticalDefect:
    """D(s) = Σ_J (2J+1) η_J(s) with its two terms; with J_max, the η_J of the amplitude's own
    partial waves for even J ≤ J_max and the tail D − Σ_{J≤J_max} (2J+1) η_J."""

    s: np.ndarray
    total: np.ndarray
    forward: np.ndarray          # ϱ Im T(s, 0)/(8π)
    elastic: np.ndarray          # ϱ² ∫|T|² dz/(512π²)
    spins: list[int] | None = None
    eta: np.ndarray | None = None    # (len(spins), m)
    tail: np.ndarray | None = None   # Σ_{J > J_max} (2J+1) η_J


def forward_and_elastic(T, s, rule: dict = OPTICAL_RULE, crossing_symmetric: bool = False,
                        chunk: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Im T(s, 0) and ∫_{−1}^{1} |T(s, t(z))|² dz at each s > 4 with `angular_rule` on z ∈ [0, 1],
    mirrored onto [−1, 0] (no t ↔ u symmetry assumed) or, if `crossing_symmetric`, doubled."""
    s = np.atleast_1d(np.asarray(s, dtype=float))
    if np.any(s <= 4):
        raise ValueError("the optical defect is defined above threshold, s > 4")
    im_forward = np.asarray(np.imag(T(s, np.zeros_like(s))), dtype=float)
    norm2 = np.empty(s.size)
    for start in range(0, s.size, chunk):
        sc = s[start:start + chunk]
        z, w = angular_rule(sc, rule, full=not crossing_symmetric)
        w = 2 * w if crossing_symmetric else w
        t = t_of_z(sc[:, None], z)
        vals = np.asarray(T(np.broadcast_to(sc[:, None], t.shape), t), dtype=complex)
        norm2[start:start + chunk] = np.sum(w * np.abs(vals) ** 2, axis=1)
    return im_forward, norm2


def optical_defect(amplitude, s, jmax: int | None = None, rule: dict = OPTICAL_RULE,
                   crossing_symmetric: bool = False) -> OpticalDefect:
    """D(s) = Σ_J (2J+1) η_J(s) = ϱ Im T(s,0)/(8π) − ϱ² ∫|T|² dz/(512π²) (module docstring), and
    with `jmax` the tail above it, D − Σ_{even J ≤ jmax} (2J+1) η_J, η_J = 1 − |S_J|² from the
    amplitude's own partial waves `S(J, s)`."""
    s = np.atleast_1d(np.asarray(s, dtype=float))
    im_forward, norm2 = forward_and_elastic(amplitude.T, s, rule, crossing_symmetric)
    rho = phase_space(s)
    forward = rho * im_forward / (8 * np.pi)
    elastic = rho**2 * norm2 / (512 * np.pi**2)
    total = forward - elastic
    if jmax is None:
        return OpticalDefect(s, total, forward, elastic)
    if jmax < 0 or jmax % 2:
        raise ValueError(f"jmax must be an even spin ≥ 0, got {jmax}")
    spins = list(range(0, jmax + 1, 2))
    eta = np.array([1.0 - np.abs(np.asarray(amplitude.S(J, s))) ** 2 for J in spins])
    return OpticalDefect(s, total, forward, elastic, spins, eta, total - spin_sum(spins, eta))


TAIL_SPIN_LIMIT = 200   # the waves a negative tail is traced through, one by one
TAIL_POINTS = 8         # at the energies where the tail is most negative


def all_spin_check(amplitude, s, spins, eta, tolerance: float, rule: dict = PROJECTION_RULE,
                   crossing_symmetric: bool = True, trace: bool = True) -> dict:
    """The all-spin row of a certificate: D(s) on the check points s and the tail
    D − Σ_{J ∈ spins} (2J+1) η_J above the spins checked one by one (η_J given, (len(spins), m)).

    A tail below −tolerance proves that waves above max(spins) are super-unitary, but not by how
    much each (one weighted sum, unboundedly many waves). It is then traced: at the TAIL_POINTS
    most negative points the waves J = max(spins) + 2, … are measured one by one until the rest
    of the tail is within tolerance (or J = TAIL_SPIN_LIMIT). `passed` when no traced wave exceeds
    |S_J|² − 1 > tolerance and no tail below −tolerance is left untraced (without `trace`: when
    the tail is ≥ −tolerance everywhere)."""
    s = np.asarray(s, dtype=float)
    D = optical_defect(amplitude, s, rule=rule, crossing_symmetric=crossing_symmetric)
    tail = D.total - spin_sum(spins, eta)
    k, kt = int(np.argmin(D.total)), int(np.argmin(tail))
    row = {"min_defect": float(D.total[k]), "worst_s_defect": float(s[k]), "min_tail": float(tail[kt]),
           "worst_s_tail": float(s[kt]), "max_tail": float(np.max(tail)), "tail_above_spin": int(max(spins)),
           "check_points": int(s.size), "tolerance": tolerance, "traced": None, "passed": True}
    if tail[kt] < -tolerance and not trace:
        row["passed"] = False
    elif tail[kt] < -tolerance:
        pts = np.argsort(tail)[:TAIL_POINTS]
        pts = pts[tail[pts] < -tolerance]
        row["traced"] = traced = trace_tail(amplitude, s[pts], int(max(spins)), tail[pts], tolerance)
        row["passed"] = traced["max_violation"] <= tolerance and traced["remaining_tail"] >= -tolerance
    return row


def trace_tail(amplitude, s, above: int, tail, tolerance: float, limit: int = TAIL_SPIN_LIMIT) -> dict:
    """Waves J = above + 2, … at the points s, until tail − Σ (2J+1) η_J ≥ −tolerance at all of
    them: the largest |S_J|² − 1 met (and where), the spins measured, what remains of the tail."""
    rest = np.array(tail, dtype=float)
    worst, where = -np.inf, (None, None)
    J = above
    for J in range(above + 2, limit + 1, 2):
        excess = np.abs(np.asarray(amplitude.S(J, s))) ** 2 - 1.0
        if np.max(excess) > worst:
            worst, where = float(np.max(excess)), (J, float(s[int(np.argmax(excess))]))
        rest = rest + (2 * J + 1) * excess
        if np.all(rest >= -tolerance):
            break
    return {"max_violation": worst, "spin": where[0], "s": where[1], "spins_up_to": J, "points": int(np.size(s)),
            "remaining_tail": float(np.min(rest))}


__all__ = ["TAIL_POINTS", "TAIL_SPIN_LIMIT", "all_spin_check", "trace_tail", "OPTICAL_RULE", "OpticalDefect", "forward_and_elastic", "optical_defect", "spin_sum"]
