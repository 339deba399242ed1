"""η0(s) injection into the zero-ddisc primal SDPs (P2 §5.3, eqs. 80–81, for spin 0 only):
|S0(s)|² ≤ 1 − η0(s), i.e. the cone ‖(Re S0, Im S0)‖ ≤ sqrt(1 − η0) at every imposed point.

The profile is a file of `smatrix.inelasticity` (path in the config, its content hash in the
result's config). The certificate re-measures |S0|² − 1 + η0 on the denser grid; outside the
file's s range η0 is what `extend` says, and with extend="error" it is taken as 0 there (only
|S0| ≤ 1 is checked where the profile says nothing), as in the full model (smatrix.sdp.full_wavelet).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from smatrix.inelasticity import InelasticityProfile, load_profile
from smatrix.result import config_hash


def load_eta0(path: str | None, extend: str) -> InelasticityProfile | None:
    """The profile at `path` (None: elastic), with a clear error if it has no η_0."""
    return load_profile(path, extend, spins=[0])


def eta_hash(profile: InelasticityProfile | None) -> str | None:
    return None if profile is None else config_hash(profile.to_dict())


def cone_radius(profile: InelasticityProfile | None, s) -> np.ndarray:
    """sqrt(1 − η̂0(s_j)) at the imposed points s_j (1 without a profile), where η̂0(s_j) is the
    largest η0 between the midpoints (in log(s − 4)) to the neighbouring points. η0 is linear in
    log(s − 4) between the profile's energies, so that maximum is attained at an end or at a
    profile energy: it is exact. Imposing the cell maximum (not η0(s_j)) keeps |S0|² ≤ 1 − η0
    between the points for a smooth amplitude, which the certificate re-measures; raises if the
    profile does not cover the points."""
    s = np.asarray(s, dtype=float)
    if profile is None:
        return np.ones(s.size)
    order = np.argsort(s)
    y = np.log(s[order] - 4.0)
    edges = np.concatenate([[y[0]], (y[1:] + y[:-1]) / 2, [y[-1]]])
    at_edges = profile(0, 4.0 + np.exp(edges))
    eta = np.maximum(np.maximum(at_edges[:-1], at_edges[1:]), profile(0, s[order]))
    knots = np.log(profile.s - 4.0)
    inside = (knots > edges[0]) & (knots < edges[-1])
    cell = np.clip(np.searchsorted(edges, knots[inside], side="right") - 1, 0, y.size - 1)
    np.maximum.at(eta, cell, profile.eta[0][inside])
    radius = np.empty(s.size)
    radius[order] = np.sqrt(1.0 - eta)
    return radius


def covered(profile: InelasticityProfile | None, s: np.ndarray) -> np.ndarray:
    """The points of `s` where a cone radius can be imposed: all of them unless the profile says
    nothing outside its s range (extend="error"); used for the points the refinement adds."""
    return s if profile is None else s[profile.covers(s)]


def certificate_eta(profile: InelasticityProfile | None) -> Callable[[np.ndarray], np.ndarray] | None:
    """η0 on the certificate's points (hook of smatrix.certify.certify_spin0)."""
    if profile is None:
        return None

    def eta(s):
        s = np.asarray(s, dtype=float)
        out = np.zeros(s.size)
        inside = profile.covers(s)
        out[inside] = profile(0, s[inside])
        return out
    return eta
