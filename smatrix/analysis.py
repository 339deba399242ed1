"""Analysis of an amplitude's S-wave: phase shifts, zeros of S0 near the real axis (resonances,
P1 Fig. 9) located and verified by the argument principle, the spin-2 unitarity violation
of the zero-ddisc model (|S2|² = 1 + ϱ² f2² ≥ 1, P1 eq. (13), Fig. 12), and Regge fits of the
large-s behaviour with P1's boundary criterion (§5.1)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import mpmath as mp
import numpy as np

from .amplitude import Amplitude


def phase_shift(amplitude: Amplitude, s) -> np.ndarray:
    """δ0(s) = arg S0(s)/2, unwrapped along increasing s (radians): pass points dense enough
    that the phase of S0 moves by less than π between neighbours (narrow resonances!)."""
    return 0.5 * np.unwrap(np.angle(amplitude.S(0, np.asarray(s, dtype=float))))


@dataclass
class Zero:
    s: complex
    abs_S0: float
    winding: int        # zeros of S0 inside a small circle around s (argument principle)


def s0_zeros(amplitude: Amplitude, s_min: float, s_max: float, n_scan: int = 400,
             max_zeros: int = 3) -> list[Zero]:
    """Zeros of S0 in the upper half plane near [s_min, s_max]: seeded where the phase shift
    rises fastest, refined by complex Newton (secant), kept only if the argument principle counts
    exactly one zero inside a circle around each."""
    s = np.linspace(s_min, s_max, n_scan)
    rate = np.gradient(phase_shift(amplitude, s), s)
    peaks = [i for i in range(1, n_scan - 1) if rate[i] >= rate[i - 1] and rate[i] >= rate[i + 1] and rate[i] > 0]
    peaks = sorted(peaks, key=lambda i: -rate[i])[:max_zeros]
    S0 = lambda z: complex(amplitude.S(0, np.array([complex(z)]))[0])
    zeros: list[Zero] = []
    for i in peaks:
        width = 1.0 / float(rate[i])                    # Breit–Wigner: dδ/ds = 1/Γ at the peak (Γ = 2 Im s*)
        try:
            z = complex(mp.findroot(lambda x: S0(complex(x)), mp.mpc(float(s[i]), float(0.5 * width)), tol=1e-20, maxsteps=60))
        except (ValueError, ZeroDivisionError):
            continue
        if not np.isfinite(z) or z.imag <= 0 or any(abs(z - o.s) < 1e-6 for o in zeros):
            continue
        circle = lambda z_arr: amplitude.S(0, np.asarray(z_arr, dtype=complex))  # one batched call
        zeros.append(Zero(z, abs(S0(z)), _winding(circle, z, 0.5 * z.imag)))
    return [zr for zr in zeros if zr.winding == 1]


def _winding(f, centre: complex, radius: float, n: int = 256) -> int:
    """(1/2π)∮ d arg f around a circle: the number of zeros minus poles inside (f vectorised)."""
    th = np.linspace(0, 2 * np.pi, n + 1)
    vals = np.asarray(f(centre + radius * np.exp(1j * th)), dtype=complex)
    if not np.all(np.isfinite(vals)):      # circle through a singularity (s = 0): not a verified zero
        return 0
    return int(round(np.sum(np.diff(np.unwrap(np.angle(vals)))) / (2 * np.pi)))


def spin2_violation(amplitude: Amplitude, s) -> np.ndarray:
    """|S2(s)|² − 1 = ϱ² f2² ≥ 0: how much the zero-ddisc model violates spin-2 unitarity."""
    return np.abs(amplitude.S(2, np.asarray(s, dtype=float))) ** 2 - 1.0


def s0_real_zeros(amplitude: Amplitude, s_min: float = 1e-3, s_max: float = 4.0 - 1e-6,
                  n_scan: int = 200) -> list[float]:
    """Real zeros of S0 below threshold (0 < s < 4), where S0 = 1 − sqrt((4 − s)/s) f0(s) is real
    (eq. 68): sign changes on a scan, refined by Brent's method. For small c0 the zero sits at
    s ≈ 4(c0/16π)²/(1 + (c0/16π)²) (eq. 69) and moves to threshold as c0 grows."""
    from scipy.optimize import brentq

    def S0(s):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)  # longdouble rows, imag part 0
            return np.real(amplitude.S(0, np.asarray(s, dtype=complex)))
    s = np.linspace(s_min, s_max, n_scan)
    v = S0(s)
    out = []
    for i in np.flatnonzero(np.isfinite(v[:-1]) & np.isfinite(v[1:]) & (np.sign(v[:-1]) * np.sign(v[1:]) < 0)):
        out.append(float(brentq(lambda x: float(S0(np.array([x]))[0]), s[i], s[i + 1], xtol=1e-12)))
    return out


# --- Regge behaviour and the boundary criterion (P1 §5.1, eq. 26) --------------------------------
# Elastic unitarity at large s, Im f0 ≈ ϱ(Re f0)²/2 with ρ = 16π Im f0, turns the dispersion relation
# (16) into dR/dL = −(3/2π)R² + (2/π)R dR/dL + O(R⁴) for R = Re f0, L = log s (the kernel's
# zeroth and first log-moments are −3 and 2). Its solutions decay universally,
#     1/Re f0 = (3/2π)(L − L0) + (2/π) log(L − L0),
# with one constant L0 (checked against a solution imposed to s = 10⁵⁵: 3e-5 over 30 decades).
REGGE_A, REGGE_B = 3.0 / (2.0 * np.pi), 2.0 / np.pi


def regge_re_f0(s, L0: float) -> np.ndarray:
    """The universal decaying Re f0(s) through L0 (valid for log s − L0 > 1)."""
    y = np.log(np.asarray(s, dtype=float)) - L0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(y > 1.0, 1.0 / (REGGE_A * y + REGGE_B * np.log(np.maximum(y, 1.0))), np.nan)


def regge_L0(s: float, re_f0: float) -> float | None:
    """L0 of the universal tail through (s, Re f0); None if none passes (Re f0 ≤ 0 or too large)."""
    from scipy.optimize import brentq
    if not (np.isfinite(re_f0) and 0 < re_f0 < 1.0 / REGGE_A):
        return None
    g = lambda y: REGGE_A * y + REGGE_B * np.log(y) - 1.0 / re_f0
    return float(np.log(s) - brentq(g, 1.0, 2.0 / (REGGE_A * re_f0) + 10.0, xtol=1e-14))


@dataclass
class ReggeFit:
    """Large-s behaviour of f0 on a window of energies and the boundary criterion: inside the
    allowed region Re f0 > 0 and Im f0 decay along the universal tail; for targets outside, the
    elastic solution's Re f0 turns negative and grows (no decaying tail), P1 §5.1."""

    s: np.ndarray
    re_f0: np.ndarray
    im_f0: np.ndarray
    L0: float | None           # universal tail through the last point
    deviation: float           # max |Re f0 / universal − 1| on the window (inf if none passes)
    re_decays: bool
    im_decays: bool
    inside: bool
    reason: str

    def summary(self) -> dict:
        return {"s_window": [float(self.s[0]), float(self.s[-1])], "L0": self.L0,
                "re_f0_end": float(self.re_f0[-1]), "im_f0_end": float(self.im_f0[-1]),
                "deviation_from_universal": self.deviation, "re_f0_decays": self.re_decays,
                "im_f0_decays": self.im_decays, "inside": self.inside, "reason": self.reason}


def regge_fit(s, re_f0, im_f0) -> ReggeFit:
    """Fit Re f0 on increasing energies s to the universal tail through the last point and apply
    the criterion: inside iff Re f0 > 0 and both |Re f0| and Im f0 decrease across the window.
    The deviation from the universal form is reported (it shrinks like 1/(log s − L0)²), not
    used: near the tip of the region the asymptotic regime starts only at log s − L0 ~ 300."""
    s, re, im = (np.asarray(a, dtype=float) for a in (s, re_f0, im_f0))
    if s.size < 3 or np.any(np.diff(s) <= 0):
        raise ValueError("regge_fit needs ≥ 3 increasing energies")
    re_dec = bool(np.all(np.diff(np.abs(re)) < 0))
    im_dec = bool(im[-1] < im[0] and np.all(np.diff(im) < 1e-3 * np.abs(im[:-1]) + 1e-300))
    L0 = regge_L0(float(s[-1]), float(re[-1]))
    dev = float(np.nan_to_num(np.max(np.abs(re / regge_re_f0(s, L0) - 1.0)), nan=np.inf)) if L0 is not None \
        else float("inf")
    if not np.all(re > 0):
        reason = "Re f0 turns negative at large s: no decaying tail (outside the allowed region)"
    elif not re_dec:
        reason = "Re f0 stops decaying at large s (outside the allowed region)"
    elif not im_dec:
        reason = "Im f0 stops decaying at large s (outside the allowed region)"
    else:
        reason = "Re f0 > 0 and Im f0 decay along the universal tail"
    inside = reason.startswith("Re f0 > 0")
    return ReggeFit(s, re, im, L0, dev, re_dec, im_dec, inside, reason)


def regge_fit_amplitude(amplitude: Amplitude, s_min: float = 1e6, s_max: float = 1e20, n: int = 30) -> ReggeFit:
    """`regge_fit` of an amplitude's f0 on n energies geometric in [s_min, s_max]."""
    s = np.geomspace(s_min, s_max, n)
    f = amplitude.f0(s)
    return regge_fit(s, f.real, f.imag)
