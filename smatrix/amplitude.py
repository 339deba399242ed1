"""The amplitude interface (`Amplitude`, no model in it) and the amplitudes of the
zero-double-discontinuity model (P1 §2, `ZeroDdiscAmplitude`) that can be evaluated anywhere.

Both concrete zero-ddisc types are crossing-symmetric functions T(s, t) on the upper lip of the cuts:
- `SpectralAmplitude`: c0 and a piecewise-linear spectral density ρ(s), eq. (3);
- `WaveletAmplitude`: α0 + Σ α_σ [ρ_σ(s) + ρ_σ(t) + ρ_σ(u)], eq. (65).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .dispersion import SpectralGrid, f0_matrix, sum_rule_kernel
from .kinematics import S0_CROSSING, phase_space, u_of
from .partial_waves import project, s_matrix
from .wavelets import (rho_wavelet, rho_wavelet_derivative, threshold_term,
                       threshold_term_derivative, xlog1p, xsqrt)


class Amplitude(ABC):
    """A crossing-symmetric 2→2 amplitude of identical scalars, with no model baked in: T(s, t) on
    the upper lip, the partial waves f_J(s) and S_J(s) of the spins it has (`spins`: even J), and
    its Taylor data at s = t = u = 4/3. Subclasses name their `model` ("zero-ddisc", "full");
    `ZeroDdiscAmplitude` (here), `smatrix.full_amplitude.FullAmplitude` and
    `smatrix.twoprr.amplitude.MandelstamAmplitude` implement it, and certification
    (smatrix.certify), analysis and plots use only this interface."""

    model: str
    spin_step = 2           # identical scalars: only even spins

    @abstractmethod
    def T(self, s, t) -> np.ndarray:
        """T(s, t), real s > 4 taken on the upper lip."""

    @abstractmethod
    def f(self, J: int, s) -> np.ndarray:
        """The partial wave f_J(s) = (1/32π)∫_{−1}^{1} P_J(z) T(s, t(z)) dz."""

    @property
    @abstractmethod
    def taylor(self) -> dict[str, float]:
        """{"c0", "c2", …} of eq. (1)."""

    @property
    def c0(self) -> float:
        return self.taylor["c0"]

    @property
    def c2(self) -> float:
        return self.taylor["c2"]

    def spins(self, jmax: int) -> list[int]:
        """The spins of this amplitude up to `jmax`."""
        return list(range(0, jmax + 1, self.spin_step))

    def f0(self, s) -> np.ndarray:
        """The spin-0 wave f_0(s)."""
        return self.f(0, s)

    def partial_waves(self, s, spins) -> np.ndarray:
        """f_J(s) for each J in `spins`: (len(spins), m)."""
        return np.stack([np.atleast_1d(self.f(J, s)) for J in spins])

    def S(self, J: int, s) -> np.ndarray:
        """S_J(s) = 1 + iϱ(s) f_J(s)."""
        return s_matrix(self.f(J, s), s)


class ZeroDdiscAmplitude(Amplitude):
    """An amplitude of the zero-double-discontinuity model (P1 §2): a single spectral density
    ρ(s), the same in every channel; f0 in closed form, higher spins by projection of T."""

    model = "zero-ddisc"

    @abstractmethod
    def f0(self, s) -> np.ndarray:
        """Spin-0 partial wave (closed form or precomputed kernels)."""

    @abstractmethod
    def spectral_density(self, s) -> np.ndarray:
        """ρ(s) = Im T(s + i0, t) for s > 4 (t-independent in this model), eq. (5)."""

    def f(self, J: int, s) -> np.ndarray:
        """f_J(s); J = 0 from `f0`, higher spins by direct projection of T."""
        return self.f0(s) if J == 0 else project(self.T, J, s)


class SpectralAmplitude(ZeroDdiscAmplitude):
    """T = c0 + (1/π)∫ρ(s')[1/(s'−s) + 1/(s'−t) + 1/(s'−u) − 3/(s'−4/3)] ds', eq. (3),
    with ρ = 16π h/ϱ and h = 1 − Re S0 piecewise linear on `grid` (see smatrix.dispersion)."""

    def __init__(self, c0: float, grid: SpectralGrid, h_nodes):
        self.grid = grid
        self.h_nodes = np.asarray(h_nodes, dtype=float)
        if self.h_nodes.shape != (grid.size,):
            raise ValueError("h must have one value per spectral node")
        self._c0 = float(c0)
        self._subtraction = grid.smooth_weights(sum_rule_kernel(1)) @ self.h_nodes

    def _F(self, x) -> np.ndarray:
        """(1/π)∫ρ(s')/(s' − x) ds' for each x (one channel)."""
        x = np.asarray(x)
        flat = x.ravel()
        return (self.grid.cauchy_matrix(flat, self.h_nodes) / np.pi).reshape(x.shape)

    def T(self, s, t):
        s, t = np.broadcast_arrays(np.asarray(s), np.asarray(t))
        return self._c0 + self._F(s) + self._F(t) + self._F(u_of(s, t)) - 3.0 * self._subtraction / np.pi

    def f0(self, s):
        # eq. (16): f0 = c0/16π + (1/16π²)∫ρ [1/(s'−s) − 3/(s'−4/3) + K(s,s')] (s + i0);
        # complex s: the same integrals off the axis (physical sheet)
        s = np.atleast_1d(np.asarray(s))
        s = s if np.iscomplexobj(s) else s.astype(float)
        return self._c0 / (16 * np.pi) + f0_matrix(self.grid, s, h=self.h_nodes)

    def spectral_density(self, s):
        s = np.asarray(s, dtype=float)
        return 16 * np.pi * (self.grid.h_values(s) @ self.h_nodes) / phase_space(s)

    @property
    def taylor(self):
        w = {p: self.grid.smooth_weights(sum_rule_kernel(p)) @ self.h_nodes for p in (3, 4)}
        return {"c0": self._c0, "c2": w[3] / np.pi, "c3": 3.0 * w[4] / np.pi}



class WaveletAmplitude(ZeroDdiscAmplitude):
    """T = α0 + Σ_σ α_σ [ρ_σ(s) + ρ_σ(t) + ρ_σ(u)] + β [g(s) + g(t) + g(u)], eq. (65) plus the
    optional threshold term g = 1/sqrt(4 − s) (β = 0 without it).

    Coefficients may be huge with large cancellations (the basis is ill-conditioned), so the
    amplitude is evaluated in extended precision (numpy longdouble) throughout.
    """

    uses_longdouble = True   # results are marked where longdouble is float64 (smatrix.precision)

    def __init__(self, centres, alpha0: float, alpha, beta: float = 0.0):
        self.centres = np.asarray(centres, dtype=float)
        self.alpha0 = np.longdouble(alpha0)
        self.alpha = np.asarray(alpha, dtype=np.longdouble)
        self.beta = np.longdouble(beta)
        if self.alpha.shape != self.centres.shape:
            raise ValueError("one coefficient per wavelet centre")

    @property
    def coefficients(self) -> np.ndarray:
        """(α0, α_σ…, β) in the column order of `wavelet_f0_rows`."""
        return np.concatenate([[self.alpha0], self.alpha, [self.beta]])

    def T(self, s, t):
        s, t = np.broadcast_arrays(np.asarray(s), np.asarray(t))
        sig = self.centres.astype(np.longdouble)[:, None]
        total = self.alpha0
        for x in (s, t, u_of(s, t)):
            xe = np.ravel(x).astype(_ext(x))
            total = total + self.alpha @ rho_wavelet(sig, xe[None, :]) + self.beta * threshold_term(xe)
        return total.reshape(s.shape)

    def f0(self, s):
        return (wavelet_f0_rows(self.centres, s) @ self.coefficients) / (16 * np.pi)

    def spectral_density(self, s):
        s = np.asarray(s, dtype=np.longdouble)
        sig = self.centres.astype(np.longdouble)[:, None]
        return np.imag(self.alpha @ rho_wavelet(sig, s[None]) + self.beta * threshold_term(s))

    @property
    def taylor(self):
        sig = self.centres.astype(np.longdouble)
        x0 = np.longdouble(S0_CROSSING)
        d = {n: self.alpha @ rho_wavelet_derivative(sig, x0, n) + self.beta * threshold_term_derivative(x0, n)
             for n in (0, 2, 3)}
        return {"c0": float(self.alpha0 + 3 * d[0]), "c2": float(d[2] / 2), "c3": float(d[3] / 2)}


def _ext(x):
    return np.clongdouble if np.iscomplexobj(x) else np.longdouble


def wavelet_f0_rows(centres, s) -> np.ndarray:
    """16π f0 rows for (α0, α_σ, β) in extended precision: 1; ρ_σ(s) + (2/(s−4))∫_{−(s−4)}^0 ρ_σ(t)dt;
    g(s) + 4/(√s + 2) for the threshold term (the closed form of the spec README at ℓ = 0).

    ∫ρ_σ dt = [−v² + 4av − 4a² log(a + v)]_{v=2}^{√s}, v = sqrt(4 − t), a = sqrt(σ − 4).
    """
    s = np.atleast_1d(np.asarray(s))
    dtype = object if (s.dtype == object or np.asarray(centres).dtype == object) else _ext(s)  # complex s: off the axis
    s = s.astype(dtype)
    sig = np.asarray(centres).astype(dtype)
    a = xsqrt(sig - 4)[None, :]
    d = (s - 4)[:, None]
    dv = d / (xsqrt(s)[:, None] + 2)  # √s − 2, without cancellation
    G = -d + 4 * a * dv - 4 * a**2 * xlog1p(dv / (a + 2))
    tiny = np.abs(d) < 1e-30
    ang = np.where(tiny, 2 * (a - 2) / (a + 2), 2 * G / np.where(tiny, 1, d))
    rows = rho_wavelet(sig[None, :], s[:, None]) + ang
    thr = threshold_term(s) + 4 / (xsqrt(s) + 2)
    return np.concatenate([np.ones((s.size, 1), dtype=rows.dtype), rows, thr[:, None]], axis=1)


__all__ = ["Amplitude", "ZeroDdiscAmplitude", "SpectralAmplitude", "WaveletAmplitude", "wavelet_f0_rows"]
