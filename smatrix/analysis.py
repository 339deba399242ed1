"""Analysis of an amplitude's S-wave: phase shifts, zeros of S0 near the real axis (resonances,
P1 Fig. 9) located and verified by the argument principle, and the spin-2 unitarity violation
of the zero-ddisc model (|S2|² = 1 + ϱ² f2² ≥ 1, P1 eq. (13), Fig. 12)."""
from __future__ import annotations

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
        width = 1.0 / rate[i]                       # Breit–Wigner: dδ/ds = 1/Γ at the peak (Γ = 2 Im s*)
        try:
            z = complex(mp.findroot(lambda x: S0(complex(x)), mp.mpc(s[i], 0.5 * width), tol=1e-20, maxsteps=60))
        except (ValueError, ZeroDivisionError):
            continue
        if z.imag <= 0 or any(abs(z - o.s) < 1e-6 for o in zeros):
            continue
        zeros.append(Zero(z, abs(S0(z)), _winding(S0, z, 0.5 * z.imag)))
    return [zr for zr in zeros if zr.winding == 1]


def _winding(f, centre: complex, radius: float, n: int = 256) -> int:
    """(1/2π)∮ d arg f around a circle: the number of zeros minus poles inside."""
    th = np.linspace(0, 2 * np.pi, n + 1)
    vals = np.array([f(centre + radius * np.exp(1j * t)) for t in th])
    return int(round(np.sum(np.diff(np.unwrap(np.angle(vals)))) / (2 * np.pi)))


def spin2_violation(amplitude: Amplitude, s) -> np.ndarray:
    """|S2(s)|² − 1 = ϱ² f2² ≥ 0: how much the zero-ddisc model violates spin-2 unitarity."""
    return np.abs(amplitude.S(2, np.asarray(s, dtype=float))) ** 2 - 1.0
