"""Figures of a 2PRR amplitude (P2 Figs. 9–20): each function returns a matplotlib Figure and
never switches the backend."""
from __future__ import annotations

import math

import numpy as np

from .amplitude import MandelstamAmplitude
from .grid import landau_s_channel, landau_t_channel, x_of_xi, xi_of_x


def _figure(ncols: int = 1, width: float = 5.2):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width * ncols, 3.9), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def _energies(amp: MandelstamAmplitude, n: int = 240) -> np.ndarray:
    top = amp.grid.nodes[-2]
    return x_of_xi(np.linspace(xi_of_x(4.0 + 1e-4), xi_of_x(top) * 0.999, n))


def plot_single_density(amp: MandelstamAmplitude):
    """ρ(s) against x = 4/s (P2 Fig. 9) and against s."""
    fig, (a, b) = _figure(2)
    s = _energies(amp)
    rho = amp.spectral_density(s)
    a.plot(4 / s, rho / (16 * math.pi))
    a.set_xlabel("x = 4/s")
    a.set_ylabel("ρ(s)/16π")
    b.semilogx(s, rho / (16 * math.pi))
    b.set_xlabel("s")
    fig.suptitle(f"single spectral density, c0/π = {amp.c0 / math.pi:.4g}")
    return fig


def plot_double_density(amp: MandelstamAmplitude):
    """ρ(s, t) in the (x, y) = (4/s, 4/t) plane with the Landau curves (15a), (15b) (P2 Fig. 10)."""
    fig, (a,) = _figure(1, 6.0)
    x = np.linspace(0.002, 0.998, 180)
    X, Y = np.meshgrid(x, x)
    s, t = 4 / X, 4 / Y
    top = amp.grid.nodes[-2]
    ok = (s < top) & (t < top)
    rho = np.where(ok, amp.double_spectral_density(np.where(ok, s, 5.0), np.where(ok, t, 5.0)), np.nan)
    lim = np.nanmax(np.abs(rho)) or 1.0
    im = a.pcolormesh(X, Y, rho, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
    fig.colorbar(im, ax=a, label="ρ(s, t)")
    xs = np.linspace(0.001, 0.999, 400)
    ss = 4 / xs
    a.plot(xs, 4 / landau_s_channel(ss), "k-", lw=1, label="t = 16s/(s−4) (15a)")
    big = ss > 16
    a.plot(xs[big], 4 / landau_t_channel(ss[big]), "k--", lw=1, label="t = 4s/(s−16) (15b)")
    a.set_xlim(0, 1)
    a.set_ylim(0, 1)
    a.set_xlabel("x = 4/s")
    a.set_ylabel("y = 4/t")
    a.legend(loc="upper right", fontsize=8)
    a.set_title(f"double spectral density, c0/π = {amp.c0 / math.pi:.4g}")
    return fig


def plot_partial_waves(amp: MandelstamAmplitude, spins=(0, 2, 4, 6, 8, 10)):
    """|S_J(s)| and η_J(s) against x = 4/s (P2 Figs. 13–16)."""
    fig, (a, b) = _figure(2)
    s = _energies(amp)
    for J in spins:
        S = amp.S(J, s)
        a.plot(4 / s, np.abs(S), label=f"J = {J}")
        b.semilogy(4 / s, np.maximum(amp.eta(J, s), 1e-12), label=f"J = {J}")
    a.axvline(0.25, color="grey", lw=0.7, ls=":")
    a.set_xlabel("x = 4/s")
    a.set_ylabel("|S_J|")
    b.set_xlabel("x = 4/s")
    b.set_ylabel("η_J = 1 − |S_J|²")
    b.set_ylim(1e-8, 1)
    a.legend(fontsize=7)
    fig.suptitle("partial waves (elastic for s < 16, the dotted line)")
    return fig


def plot_regge(amp: MandelstamAmplitude, regge: dict | None = None):
    """T(s, −1) (P2 Fig. 18, with the fit T∞ + k/log^γ s) and Im T(s, 0) (Fig. 19) against s."""
    fig, (a, b) = _figure(2)
    s = np.geomspace(10.0, amp.grid.nodes[-2] * 0.999, 120)
    a.semilogx(s, np.abs(amp.T(s, np.full_like(s, -1.0))), label="|T(s, −1)|")
    if regge and regge.get("T_inf") is not None:
        fit = regge["T_inf"] + regge["k"] / np.log(s) ** regge["gamma"]
        a.semilogx(s, fit, "--", label=f"T∞ + k/log^γ s, T∞ = {regge['T_inf']:.3g}")
    a.set_xlabel("s")
    a.legend(fontsize=8)
    b.semilogx(s, amp.T(s, np.zeros_like(s)).imag, label="Im T(s, 0)")
    b.set_xlabel("s")
    b.legend(fontsize=8)
    fig.suptitle(f"high energy, c0/π = {amp.c0 / math.pi:.4g}")
    return fig


FIGURES = {"rho_single.png": plot_single_density, "rho_double.png": plot_double_density,
           "partial_waves.png": plot_partial_waves, "regge.png": plot_regge}
