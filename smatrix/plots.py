"""Figures of one amplitude or dual multiplier; every function returns a matplotlib Figure.

Figures are built with `matplotlib.figure.Figure` (no pyplot, no backend switch): in a notebook
they display as they are, in a script `fig.savefig(path)`.

- `plot_partial_wave_modulus`: |S_J(s)| against s − 4 (unitarity: |S_J| ≤ 1);
- `plot_argand`: S_J(s) in the complex plane with the unit circle;
- `plot_phase_shifts`: δ_J(s) = arg S_J/2, unwrapped (J = 0 by smatrix.analysis.phase_shift);
- `plot_spectral_density`: ρ(s) = Im T (eq. 5);
- `plot_dual_multiplier`: the dual w(s) on [4, Λ] (eq. 38);
- `plot_regge_tail`: Re f0 and Im f0 at large s with the universal tail of the Regge fit.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from .analysis import phase_shift, regge_fit_amplitude, regge_re_f0

S_MINUS_4 = (1e-8, 1e8)      # default range of s − 4 (log scale)


def _energies(s=None, n: int = 600) -> np.ndarray:
    return 4.0 + np.geomspace(*S_MINUS_4, n) if s is None else np.asarray(s, dtype=float)


def _axes(title: str):
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    return fig, ax


def plot_partial_wave_modulus(amplitude, spins: Sequence[int] = (0,), s=None) -> Figure:
    """|S_J(s)| for each J in `spins`, against s − 4 (log axis)."""
    s = _energies(s)
    fig, ax = _axes("|S_J(s)|")
    for J in spins:
        ax.plot(s - 4, np.abs(amplitude.S(J, s)).astype(float), label=f"J = {J}")
    ax.axhline(1.0, color="k", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("s − 4")
    ax.set_ylabel("|S_J|")
    ax.legend()
    return fig


def plot_argand(amplitude, J: int = 0, s=None) -> Figure:
    """S_J(s) in the complex plane (Argand diagram) with the unit circle."""
    S = np.asarray(amplitude.S(J, _energies(s)), dtype=complex)
    fig, ax = _axes(f"Argand diagram of S_{J}")
    phi = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(phi), np.sin(phi), color="k", lw=0.6, ls=":")
    ax.plot(S.real, S.imag)
    ax.plot(S.real[:1], S.imag[:1], "o", color="C3", label="threshold")
    ax.set_aspect("equal")
    ax.set_xlabel("Re S")
    ax.set_ylabel("Im S")
    ax.legend()
    return fig


def plot_phase_shifts(amplitude, spins: Sequence[int] = (0,), s=None) -> Figure:
    """δ_J(s) = arg S_J(s)/2, unwrapped along s (radians)."""
    s = _energies(s)
    fig, ax = _axes("phase shifts")
    for J in spins:
        delta = phase_shift(amplitude, s) if J == 0 else \
            0.5 * np.unwrap(np.angle(np.asarray(amplitude.S(J, s), dtype=complex)))
        ax.plot(s - 4, delta, label=f"δ_{J}")
    ax.set_xscale("log")
    ax.set_xlabel("s − 4")
    ax.set_ylabel("δ_J (rad)")
    ax.legend()
    return fig


def plot_spectral_density(amplitude, s=None) -> Figure:
    """ρ(s) = Im T(s + i0, t) (zero-ddisc amplitudes, eq. 5)."""
    s = _energies(s)
    fig, ax = _axes("spectral density ρ(s)")
    ax.plot(s - 4, np.asarray(amplitude.spectral_density(s), dtype=float))
    ax.set_xscale("log")
    ax.set_xlabel("s − 4")
    ax.set_ylabel("ρ(s)")
    return fig


def plot_dual_multiplier(s, w, cutoff: float | None = None) -> Figure:
    """The dual multiplier w(s) (values `w` at energies `s`), with the cutoff Λ marked."""
    s, w = np.asarray(s, dtype=float), np.asarray(w, dtype=float)
    fig, ax = _axes("dual multiplier w(s)")
    ax.plot(s - 4, w)
    if cutoff is not None:
        ax.axvline(cutoff - 4, color="k", lw=0.6, ls=":", label="Λ")
        ax.legend()
    ax.axhline(0.0, color="k", lw=0.4)
    ax.set_xscale("log")
    ax.set_xlabel("s − 4")
    ax.set_ylabel("w(s)")
    return fig


def plot_regge_tail(amplitude, s_min: float = 1e6, s_max: float = 1e20, n: int = 30) -> Figure:
    """Re f0 and Im f0 at large s (log-log where positive) and the universal tail Re f0(s; L0)
    through the last point (smatrix.analysis.regge_fit), with the boundary criterion's verdict."""
    fit = regge_fit_amplitude(amplitude, s_min, s_max, n)
    fig, ax = _axes("Regge tail of f0")
    fig.suptitle(f"criterion: {fit.reason}", fontsize="small")
    ax.plot(fit.s, np.abs(fit.re_f0), "o-", label="|Re f0|")
    ax.plot(fit.s, np.abs(fit.im_f0), "s-", label="|Im f0|")
    if fit.L0 is not None:
        ax.plot(fit.s, regge_re_f0(fit.s, fit.L0), "k--", lw=0.8, label=f"universal tail, L0 = {fit.L0:.4g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("s")
    ax.legend(fontsize="small")
    return fig


__all__ = ["plot_partial_wave_modulus", "plot_argand", "plot_phase_shifts", "plot_spectral_density",
           "plot_dual_multiplier", "plot_regge_tail"]
