"""Figures of the η-injection comparison (P2 Figs. 29–31) from `compare_amplitudes`' output: each
function returns a matplotlib Figure and never switches the backend."""
from __future__ import annotations

import math

import numpy as np


def _figure(ncols: int, width: float = 5.2):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width * ncols, 3.9), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def _z(d: dict) -> np.ndarray:
    return np.asarray(d["re"]) + 1j * np.asarray(d["im"])


def plot_spin0_wave(comparison: dict, jmin: int):
    """|S_0|² and Re S_0 against s of the SDP optima at J_min for every Nmax (opacity rising with
    Nmax) and of the 2PRR amplitude, dashed (P2 Fig. 29)."""
    fig, (a, b) = _figure(2)
    s = np.asarray(comparison["s"])
    runs = [r for r in comparison["sdp"] if r["jmin"] == jmin]
    for k, r in enumerate(runs):
        S0 = _z(r["S"]["0"])
        alpha = 0.35 + 0.65 * (k + 1) / len(runs)
        a.semilogx(s - 4, np.abs(S0) ** 2, color="C0", alpha=alpha, label=f"SDP Nmax {r['nmax']}")
        b.semilogx(s - 4, S0.real, color="C0", alpha=alpha)
    ref = _z(comparison["twoprr"]["S"]["0"])
    a.semilogx(s - 4, np.abs(ref) ** 2, "k--", label="2PRR")
    b.semilogx(s - 4, ref.real, "k--")
    a.set_ylabel("|S_0|²")
    b.set_ylabel("Re S_0")
    for ax in (a, b):
        ax.set_xlabel("s − 4")
    a.legend(fontsize=7)
    fig.suptitle(f"spin 0, J_min = {jmin}, c0/π = {comparison['twoprr']['c0'] / math.pi:.4g}")
    return fig


def plot_forward(comparison: dict, nmax: int | None = None, jmin: int | None = None):
    """Im T(s, 0) of the SDP optima (solid) and the 2PRR amplitude (dashed): at fixed J_min for every
    Nmax (P2 Fig. 30) or at fixed Nmax for every J_min (Fig. 31)."""
    fig, (a,) = _figure(1, 6.0)
    s = np.asarray(comparison["s"])
    runs = [r for r in comparison["sdp"] if (nmax is None or r["nmax"] == nmax) and (jmin is None or r["jmin"] == jmin)]
    for k, r in enumerate(runs):
        a.loglog(s, np.abs(_z(r["T_forward"]).imag), color=f"C{k}",
                 label=f"SDP Nmax {r['nmax']}, J_min {r['jmin']}")
    a.loglog(s, np.abs(_z(comparison["twoprr"]["T_forward"]).imag), "k--", label="2PRR")
    a.set_xlabel("s")
    a.set_ylabel("|Im T(s, 0)|")
    a.legend(fontsize=7)
    fixed = f"J_min = {jmin}" if jmin is not None else f"Nmax = {nmax}"
    fig.suptitle(f"forward amplitude, {fixed}")
    return fig


__all__ = ["plot_forward", "plot_spin0_wave"]
