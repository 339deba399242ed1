"""Figures of an almond scan (from the stored points; nothing is recomputed). The drawing
functions return matplotlib Figures (matplotlib.figure.Figure: no pyplot state and no backend
switch; `draw_all` saves them as PNG):

- almond.png (`draw_almond`): the allowed (c0, c2) region (P1 Fig. 2a). Left: each method's
  boundary — primal methods (achieved, unitary amplitudes) inside, dual methods (rigorous bounds)
  outside; a dual outline is closed through its max-c0 bound (c0 ≤ c0max holds at every c2: the
  closing point sits at c0max and the c2 of the primal tip amplitude, or of the extrapolated
  boundaries when no primal tip is there), a primal outline through its own max-c0 amplitude.
  Uncertified points are hollow. Grey: the tangent c2 = 3c0/64 at the origin (eq. 35).
  Right: the gap panel — |value − reference dual| / |reference| per method on a log scale
  (min c2 ▽-side markers, max c2 filled, max c0 at c0max), hollow when uncertified.
- boundary_S0.png (`draw_boundary_S0`): |S0(s)| and δ0(s) of the boundary amplitudes of one
  primal method, lower and upper boundary, coloured by c0; uncertified amplitudes dotted, the
  largest re-measured |S0|² − 1 in the legend.
- zeros.png (`draw_zeros`): zeros of S0 along the boundary (P1 Fig. 9): resonance zeros in the
  complex s plane (argument principle) and the real zero below threshold against c0, eq. (69).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from .methods import REFERENCE_DUAL

_STYLE = {"primal-wavelet": ("C0", "o", "-"), "primal-grid": ("C1", "s", "-"), "primal-nn": ("C2", "^", "-"),
          "dual-sdp": ("C3", "v", "--"), "dual-nn": ("C4", "D", ":")}
CAPTIONS = {
    "almond_plot": "the (c0, c2) almond by every method (P1 Fig. 2a): primal boundaries (achieved amplitudes) "
                   "inside, dual bounds outside, closed through their max-c0 point; right: relative gap to the "
                   "reference dual per method (log scale); hollow markers: uncertified",
    "boundary_plot": "|S0| and δ0 of the boundary amplitudes (lower, upper boundary; max c0 dashed); dotted: "
                     "uncertified (|S0|² − 1 re-measured above the tolerance)",
    "zeros_plot": "zeros of S0 along the boundary (P1 Fig. 9): resonances in the complex s plane and the real "
                  "zero below threshold with eq. (69)",
}


def _ok(r: dict) -> bool:
    return r["status"] == "done" and r.get("value") is not None


def _violation(r: dict) -> float | None:
    v = ((r.get("result") or {}).get("certificate") or {}).get("max_unitarity_violation")
    return float(v) if isinstance(v, (int, float)) else None


def draw_all(almond: dict[str, Any], out: Path) -> dict[str, str]:
    """Every figure of the scan as PNG in `out`; {key: path}."""
    out = Path(out)
    files = {"almond_plot": str(out / "almond.png")}
    figures = {"almond_plot": draw_almond(almond)}
    with_analysis = [r for r in almond["points"] if _ok(r) and "s" in ((r.get("result") or {}).get("analysis") or {})]
    if with_analysis:
        files["boundary_plot"] = str(out / "boundary_S0.png")
        files["zeros_plot"] = str(out / "zeros.png")
        figures["boundary_plot"] = draw_boundary_S0(almond, with_analysis)
        figures["zeros_plot"] = draw_zeros(almond, with_analysis)
    for key, fig in figures.items():
        fig.savefig(files[key], dpi=120)
    return files


def _tip_c2(almond: dict) -> float | None:
    """c2 of the certified (else any) primal max-c0 amplitude closest to the reference c0max."""
    tips = [r for r in almond["points"] if r["objective"] == "max-c0" and _ok(r)
            and almond["methods"][r["method"]]["kind"] == "primal" and (r.get("result") or {}).get("c2") is not None]
    if not tips:
        return None
    best = max(tips, key=lambda r: (bool(r.get("certified")), r["value"]))
    return float(best["result"]["c2"])


def _extrapolated(pts: list[tuple[float, float]], c0: float) -> float | None:
    if len(pts) < 2:
        return pts[-1][1] if pts else None
    (x0, y0), (x1, y1) = pts[-2], pts[-1]
    return y1 + (y1 - y0) * (c0 - x1) / (x1 - x0)


def _outline(almond: dict, m: str, rows: list[dict], tip_c2: float | None) -> list[tuple[float, float]]:
    """(0, 0) → lower boundary → the tip → upper boundary → (0, 0)."""
    lo = sorted((r["c0"], r["value"]) for r in rows if r["objective"] == "min-c2")
    hi = sorted((r["c0"], r["value"]) for r in rows if r["objective"] == "max-c2")
    tip = next((r for r in rows if r["objective"] == "max-c0"), None)
    middle = []
    if tip is not None and almond["methods"][m]["kind"] == "primal" and (tip.get("result") or {}).get("c2") is not None:
        middle = [(tip["value"], tip["result"]["c2"])]              # the extremal amplitude itself
    elif tip is not None:                                           # a dual bound c0 ≤ c0max, at every c2
        c2 = tip_c2
        if c2 is None:
            ends = [_extrapolated(lo, tip["value"]), _extrapolated(hi, tip["value"])]
            c2 = None if None in ends else 0.5 * sum(ends)
        middle = [] if c2 is None else [(tip["value"], c2)]
    return [(0.0, 0.0)] + lo + middle + hi[::-1] + [(0.0, 0.0)]


def draw_almond(almond: dict) -> Figure:
    """The almond and the gap panel (see the module docstring)."""
    fig = Figure(figsize=(13, 5.2))
    ax, gx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    tip_c2 = _tip_c2(almond)
    c0max = almond["c0max_reference"]
    for m, meta in almond["methods"].items():
        color, marker, ls = _STYLE.get(m, ("k", ".", "-"))
        rows = [r for r in almond["points"] if r["method"] == m and _ok(r)]
        if not rows:
            continue
        c0s, c2s = (np.array(v) for v in zip(*_outline(almond, m, rows, tip_c2)))
        what = "achieved amplitudes" if meta["kind"] == "primal" else "rigorous bound"
        ax.plot(c0s / math.pi, c2s, ls, color=color, lw=1, label=f"{m}: {what}")
        for r in rows:
            if r["objective"] == "max-c0":
                if meta["kind"] != "primal" or (r.get("result") or {}).get("c2") is None:
                    continue
                x, y = r["value"], r["result"]["c2"]
            else:
                x, y = r["c0"], r["value"]
            ax.scatter([x / math.pi], [y], s=14, marker=marker, edgecolors=color,
                       facecolors=color if r.get("certified") else "none", zorder=3)
        tip = next((r for r in rows if r["objective"] == "max-c0"), None)
        if tip is not None and meta["kind"] == "dual":
            ax.axvline(tip["value"] / math.pi, color=color, lw=0.6, ls=ls)
        _gap_points(gx, almond, m, color, marker)
    c0 = np.linspace(0, c0max * 0.45, 20)
    ax.plot(c0 / math.pi, 3 * c0 / 64, color="gray", lw=0.6, label="c2 = 3c0/64: tangent at the origin (eq. 35)")
    ax.scatter([], [], s=14, marker="o", edgecolors="k", facecolors="none", label="hollow: uncertified amplitude")
    ax.set_xlabel("c0/π")
    ax.set_ylabel("c2")
    ax.set_title("zero-ddisc allowed region (P1 Fig. 2a): primal inside, dual outside")
    ax.legend(fontsize=7, loc="upper left")
    gx.set_yscale("log")
    gx.set_xlabel("c0/π  (max c0 drawn at c0max)")
    gx.set_ylabel(f"|value − {REFERENCE_DUAL}| / |{REFERENCE_DUAL}|")
    gx.set_title("gap to the reference dual (▼ min c2, ▲ max c2, ★ max c0; hollow: uncertified)", fontsize=9)
    gx.grid(True, which="major", lw=0.3)
    handles, labels = gx.get_legend_handles_labels()
    if handles:
        gx.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def _gap_points(gx, almond: dict, m: str, color: str, marker: str) -> None:
    """|gap| of one method against the reference, per objective (points without a gap skipped)."""
    shape = {"min-c2": "v", "max-c2": "^", "max-c0": "*"}
    labelled = False
    for r in almond["points"]:
        gap = r.get("gap")
        if r["method"] != m or not _ok(r) or gap is None or r.get("reference") == m:
            continue
        x = (r["value"] if r["objective"] == "max-c0" else r["c0"]) / math.pi
        gx.scatter([x], [max(abs(gap), 1e-12)], marker=shape[r["objective"]], s=22, edgecolors=color,
                   facecolors=color if r.get("certified") else "none", label=None if labelled else m)
        labelled = True


def _analysis_method(rows: list[dict]) -> str:
    names = {r["method"] for r in rows}
    return next((m for m in ("primal-grid", "primal-wavelet", "primal-nn") if m in names), sorted(names)[0])


def draw_boundary_S0(almond: dict, rows: list[dict]) -> Figure:
    """|S0| and δ0/π along the lower and upper boundary (one primal method)."""
    method = _analysis_method(rows)
    rows = [r for r in rows if r["method"] == method]
    c0max = almond["c0max_reference"]
    cmap = colormaps["viridis"]
    fig = Figure(figsize=(10.5, 7))
    axes = fig.subplots(2, 2, sharex=True)
    for i, obj in enumerate(("min-c2", "max-c2")):
        for r in sorted((r for r in rows if r["objective"] in (obj, "max-c0")), key=lambda r: r["c0"] or c0max):
            a = r["result"]["analysis"]
            x = np.array(a["s"]) - 4.0
            tip = r["objective"] == "max-c0"
            viol = _violation(r)
            style = dict(color="k", ls="--", lw=1.2) if tip else dict(color=cmap(r["c0"] / c0max), lw=0.9)
            if not r.get("certified"):
                style["ls"] = ":"
            if tip:
                style["label"] = ("max c0" + ("" if r.get("certified") else
                                              f" (UNCERTIFIED: max |S0|²−1 = {viol:.1e})" if viol is not None
                                              else " (uncertified)"))
            axes[i, 0].plot(x, a["abs_S0"], **style)
            axes[i, 1].plot(x, np.array(a["delta0"]) / math.pi, **style)
        n_unc = sum(not r.get("certified") for r in rows if r["objective"] == obj)
        axes[i, 0].set_ylabel(f"|S0|   ({'lower' if obj == 'min-c2' else 'upper'} boundary, {obj})")
        axes[i, 1].set_ylabel("δ0/π")
        axes[i, 0].set_title(f"{obj}: {n_unc} of {sum(r['objective'] == obj for r in rows)} amplitudes uncertified "
                             "(dotted)", fontsize=8)
        if axes[i, 0].get_legend_handles_labels()[0]:
            axes[i, 0].legend(fontsize=7, loc="lower left")
    for ax in axes[1]:
        ax.set_xlabel("s − 4")
    for ax in axes.ravel():
        ax.set_xscale("log")
    sm = ScalarMappable(cmap=cmap, norm=Normalize(0, c0max / math.pi))
    fig.colorbar(sm, ax=axes, label="c0/π", shrink=0.8)
    fig.suptitle(f"S-wave along the boundary ({method}); dotted: uncertified (|S0| > 1 somewhere by more than "
                 "the tolerance)", fontsize=10)
    return fig


def draw_zeros(almond: dict, rows: list[dict]) -> Figure:
    """Resonance zeros of S0 (complex s) and the real zero below threshold against c0."""
    c0max = almond["c0max_reference"]
    cmap = colormaps["viridis"]
    fig = Figure(figsize=(11, 4.5))
    ax, bx = fig.subplots(1, 2)
    for r in rows:
        color, marker, _ = _STYLE.get(r["method"], ("k", ".", "-"))
        a = r["result"]["analysis"]
        c0 = r["c0"] if r["c0"] is not None else r["value"]
        filled = r["objective"] != "max-c2"
        for z in a.get("resonance_zeros", []):
            zc = cmap(min(c0 / c0max, 1.0))
            ax.scatter(z["re"], z["im"], edgecolors=[zc], marker=marker, s=22, facecolors=[zc] if filled else "none")
        for s0 in a.get("real_zeros", []):
            bx.scatter(c0 / math.pi, s0, edgecolors=color, marker=marker, s=18, facecolors=color if filled else "none")
    for m in sorted({r["method"] for r in rows}):
        color, marker, _ = _STYLE.get(m, ("k", ".", "-"))
        ax.scatter([], [], color="gray", marker=marker, label=m)
        bx.scatter([], [], color=color, marker=marker, label=m)
    c0 = np.linspace(0, c0max, 200)
    k = (c0 / (16 * math.pi)) ** 2
    bx.plot(c0 / math.pi, 4 * k / (1 + k), color="gray", lw=0.8, label="eq. (69), leading order")
    ax.set_xlabel("Re s")
    ax.set_ylabel("Im s")
    ax.set_title("resonance zeros of S0 (open: upper boundary)")
    ax.legend(fontsize=8)
    sm = ScalarMappable(cmap=cmap, norm=Normalize(0, c0max / math.pi))
    fig.colorbar(sm, ax=ax, label="c0/π")
    bx.set_xlabel("c0/π")
    bx.set_ylabel("real zero of S0 below threshold, s")
    bx.set_title("zero below threshold (eqs. 68–69; open: upper boundary)")
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig
