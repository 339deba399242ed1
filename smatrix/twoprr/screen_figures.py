"""Figures of a screened amplitude (P2 Figs. 26–27): |S_J(s)| and ρ_MP(s, t) with the Landau
curves. Each returns a matplotlib Figure and never switches the backend."""
from __future__ import annotations

import math

import numpy as np

from .aks_bounds import t_mp
from .figures import _energies, _figure
from .grid import landau_s_channel, landau_t_channel
from .screening import ScreenedAmplitude


def plot_screened_waves(amp: ScreenedAmplitude, extra_spins: int = 2):
    """|S_J(s)| against x = 4/s for J ≤ J_max + 2·extra_spins (P2 Fig. 26), and 1 − |S_J|²."""
    fig, (a, b) = _figure(2)
    s = _energies(amp)
    for J in range(0, amp.jmax + 2 * extra_spins + 1, 2):
        S = np.abs(amp.S(J, s))
        style = "-" if J <= amp.jmax else "--"
        a.plot(4 / s, S, style, label=f"J = {J}" + (" (screened)" if J <= amp.jmax else ""))
        b.semilogy(4 / s, np.maximum(np.abs(1 - S**2), 1e-12), style, label=f"J = {J}")
    for ax in (a, b):
        ax.axvline(0.25, color="grey", lw=0.7, ls=":")
        ax.set_xlabel("x = 4/s")
    a.set_ylabel("|S_J|")
    b.set_ylabel("|1 − |S_J|²|")
    a.legend(fontsize=7)
    fig.suptitle(f"screened partial waves, J_max = {amp.jmax}, c0/π = {amp.c0 / math.pi:.4g}")
    return fig


def plot_rho_mp(amp: ScreenedAmplitude):
    """ρ_MP(s, t) (left) and the total ρ(s, t) (right) in (x, y) = (4/s, 4/t), with the Landau
    curves (15a), (15b) and the planar-cross curve (16) (P2 Fig. 27)."""
    fig, axes = _figure(2, 5.6)
    x = np.linspace(0.002, 0.998, 160)
    X, Y = np.meshgrid(x, x)
    s, t = 4 / X, 4 / Y
    top = amp.grid.nodes[-2]
    ok = (s < top) & (t < top)
    Hs, Ht = amp.grid.hat_matrix(np.where(ok, s, 5.0).ravel()), amp.grid.hat_matrix(np.where(ok, t, 5.0).ravel())
    mp = np.where(ok, np.einsum("pm,mn,pn->p", Hs, amp.rho_mp, Ht).reshape(s.shape), np.nan)
    total = np.where(ok, amp.double_spectral_density(np.where(ok, s, 5.0), np.where(ok, t, 5.0)), np.nan)
    xs = np.linspace(0.001, 0.999, 400)
    ss = 4 / xs
    big = ss > 16
    xm = xs[big & (ss > 16.2)]
    ym = np.array([4 / t_mp(v) for v in 4 / xm])
    for ax, data, label in ((axes[0], mp, "ρ_MP(s, t)"), (axes[1], total, "ρ(s, t)")):
        lim = np.nanmax(np.abs(data)) or 1.0
        im = ax.pcolormesh(X, Y, data, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="auto")
        fig.colorbar(im, ax=ax, label=label)
        ax.plot(xs, 4 / landau_s_channel(ss), "k-", lw=0.8, label="(15a)")
        ax.plot(xs[big], 4 / landau_t_channel(ss[big]), "k--", lw=0.8, label="(15b)")
        ax.plot(xm, ym, "k:", lw=1.2, label="planar cross (16)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("x = 4/s")
        ax.set_ylabel("y = 4/t")
    axes[0].legend(loc="upper right", fontsize=7)
    fig.suptitle(f"multi-particle double discontinuity, J_max = {amp.jmax}, c0/π = {amp.c0 / math.pi:.4g}")
    return fig


__all__ = ["plot_rho_mp", "plot_screened_waves"]
