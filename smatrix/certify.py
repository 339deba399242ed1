"""Certification: re-measure unitarity of a reported amplitude on a grid denser than the one
imposed, including s → 4⁺ and s far beyond the last imposed point (spec README).

Every unitarity certificate — spin 0 (zero-ddisc primal and neural methods, the elastic baselines),
J ≤ J_max + 4 (the full model, sdp/full_wavelet.py) and the 2PRR amplitudes (smatrix/twoprr/certify.py)
— is built here by `unitarity_certificate` from |S_J|² − 1 (+ η_J) measured on the amplitude's own
partial waves (`wave_violation`), never from the operators its solve used. The type is
smatrix.certificate.Certificate; the further checks of a model are `Check`s passed in.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .amplitude import Amplitude
from .certificate import Certificate, Check
from .grids import dense_check_points
from .partial_waves import s_matrix

DEFAULT_TOLERANCE = 1e-6


def wave_violation(amplitude: Amplitude, s, spins: Sequence[int]) -> np.ndarray:
    """|S_J(s)|² − 1 (positive = violated), (len(spins), m), from the amplitude's partial waves."""
    S = s_matrix(amplitude.partial_waves(s, spins), s)
    return np.abs(S) ** 2 - 1.0


def unitarity_violation(amplitude: Amplitude, s, eta=None) -> np.ndarray:
    """|S0(s)|² − 1 + η0(s) (positive = violated), spin 0."""
    viol = wave_violation(amplitude, np.atleast_1d(s), [0])[0]
    return viol if eta is None else viol + np.asarray(eta)


def worst_point(s, violation, spins: Sequence[int]) -> tuple[int, float]:
    """(J, s) of the largest violation in `violation` (len(spins), m); the first non-finite
    value where there is one (where the measurement broke down)."""
    v = np.asarray(violation, dtype=float).reshape(len(spins), -1)
    bad = ~np.isfinite(v)
    k = int(np.argmax(bad)) if np.any(bad) else int(np.argmax(v))
    k_spin, k_s = np.unravel_index(k, v.shape)
    return int(spins[k_spin]), float(np.asarray(s, dtype=float)[k_s])


def unitarity_certificate(s, violation, spins: Sequence[int], tolerance: float, *,
                          headline: Sequence[int] | None = None, checks: Mapping[str, Check] | None = None,
                          details: dict[str, Any] | None = None, facts: dict[str, Any] | None = None) -> Certificate:
    """The certificate of |S_J|² − 1 (+ η_J) measured at the check points s, `violation`
    (len(spins), m): per-spin maxima, and the headline max(0, max over the `headline` spins
    (default all)) — NaN when a value there is not finite (the certificate then fails)."""
    spins = [int(J) for J in spins]
    v = np.asarray(violation, dtype=float).reshape(len(spins), -1)
    rows = [k for k, J in enumerate(spins) if headline is None or J in headline]
    head = v[rows]
    worst = max(float(np.max(head)), 0.0) if np.all(np.isfinite(head)) else math.nan
    return Certificate(max_unitarity_violation=worst, check_points=int(np.size(s)), spins_checked=spins,
                       tolerance=tolerance, per_spin_max={J: float(np.max(row)) for J, row in zip(spins, v)},
                       checks=dict(checks or {}), details=dict(details or {}), facts=dict(facts or {}))


def certify_spin0(amplitude: Amplitude, imposed, tolerance: float = DEFAULT_TOLERANCE,
                  factor: int = 4, eta=None, s_far: float = 1e16) -> Certificate:
    """Re-measure max(|S0|² − 1) on `dense_check_points(imposed, factor, s_far)`; the details
    also give max ||S0|² − 1 (+ η)|, the residual of the equality where one was imposed."""
    s, viol = measure_spin0(amplitude, imposed, factor, eta, s_far)
    return spin0_certificate(s, viol, tolerance, factor, int(np.size(imposed)))


def measure_spin0(amplitude: Amplitude, imposed, factor: int = 4, eta=None, s_far: float = 1e16,
                  known: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(check points, |S0|² − 1 (+ η) there), the amplitude evaluated from its own formula; `known`
    = (s, values) of an earlier measurement of the same amplitude (the 4× points inside the 16×
    ones): its values are kept where its points are check points, the rest is evaluated."""
    s = dense_check_points(imposed, factor, s_far)
    viol = np.empty(s.size)
    todo = np.ones(s.size, dtype=bool)
    if known is not None and np.size(known[0]):
        k = np.clip(np.searchsorted(known[0], s), 0, known[0].size - 1)
        todo = known[0][k] != s
        viol[~todo] = np.asarray(known[1], dtype=float)[k[~todo]]
    x = s[todo]
    viol[todo] = unitarity_violation(amplitude, x, None if eta is None else eta(x))
    return s, viol


def spin0_certificate(s, viol, tolerance: float, factor: int, imposed_points: int) -> Certificate:
    """Certificate from |S0|² − 1 (+ η) already measured at the check points s."""
    s = np.asarray(s, dtype=float)
    viol = np.asarray(viol, dtype=float)
    finite = np.all(np.isfinite(viol))
    return unitarity_certificate(
        s, viol[None, :], [0], tolerance,
        details={"worst_s": worst_point(s, viol[None, :], [0])[1], "s_range": [float(s[0]), float(s[-1])],
                 "density_factor": factor, "imposed_points": imposed_points,
                 "max_abs_residual": float(np.max(np.abs(viol))) if finite else float("nan")})
