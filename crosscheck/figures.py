"""Figures of an almond scan (from the stored points; nothing is recomputed):

- almond.png: the allowed (c0, c2) region with each method's boundary (P1 Fig. 2a): primal
  boundaries (achieved amplitudes) inside, dual bounds (rigorous) outside, the tip at max c0,
  and the tangent c2 = 3c0/64 at the origin (eq. 35);
- boundary_S0.png: |S0(s)| and the phase shift δ0(s) of the boundary amplitudes, lower and
  upper boundary, coloured by c0;
- zeros.png: zeros of S0 along the boundary (P1 Fig. 9): resonance zeros in the complex s plane
  (argument principle) and the real zero below threshold against c0 with eq. (69).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

_STYLE = {"primal-wavelet": ("C0", "o", "-"), "primal-grid": ("C1", "s", "-"), "primal-nn": ("C2", "^", "-"),
          "dual-sdp": ("C3", "v", "--"), "dual-nn": ("C4", "D", ":")}


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _ok(r: dict) -> bool:
    return r["status"] == "done" and r.get("value") is not None


def draw_all(almond: dict[str, Any], out: Path) -> dict[str, str]:
    files = {"almond_plot": str(out / "almond.png")}
    draw_almond(almond, files["almond_plot"])
    with_analysis = [r for r in almond["points"] if _ok(r) and "s" in ((r.get("result") or {}).get("analysis") or {})]
    if with_analysis:
        files["boundary_plot"] = str(out / "boundary_S0.png")
        files["zeros_plot"] = str(out / "zeros.png")
        draw_boundary_S0(almond, with_analysis, files["boundary_plot"])
        draw_zeros(almond, with_analysis, files["zeros_plot"])
    return files


def draw_almond(almond: dict, path: str) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    for m, meta in almond["methods"].items():
        color, marker, ls = _STYLE.get(m, ("k", ".", "-"))
        rows = [r for r in almond["points"] if r["method"] == m and _ok(r)]
        lo = sorted((r["c0"], r["value"]) for r in rows if r["objective"] == "min-c2")
        hi = sorted((r["c0"], r["value"]) for r in rows if r["objective"] == "max-c2")
        tip = next((r for r in rows if r["objective"] == "max-c0"), None)
        pts = [(0.0, 0.0)] + lo
        if tip is not None and meta["kind"] == "primal" and (tip.get("result") or {}).get("c2") is not None:
            pts.append((tip["value"], tip["result"]["c2"]))         # the extremal amplitude's own c2
        pts += hi[::-1] + [(0.0, 0.0)]
        c0s, c2s = (np.array(v) for v in zip(*pts))
        label = f"{m} ({'achieved' if meta['kind'] == 'primal' else 'bound'})"
        ax.plot(c0s / math.pi, c2s, ls, color=color, marker=marker, ms=3, lw=1, label=label)
        if tip is not None and meta["kind"] == "dual":
            ax.axvline(tip["value"] / math.pi, color=color, lw=0.8, ls=ls)
    c0 = np.linspace(0, almond["c0max_reference"] * 0.45, 20)
    ax.plot(c0 / math.pi, 3 * c0 / 64, color="gray", lw=0.6, label="c2 = 3c0/64 (eq. 35)")
    ax.set_xlabel("c0/π")
    ax.set_ylabel("c2")
    ax.set_title("zero-ddisc allowed region (P1 Fig. 2a): primal inside, dual outside")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _analysis_method(rows: list[dict]) -> str:
    names = {r["method"] for r in rows}
    return next((m for m in ("primal-grid", "primal-wavelet", "primal-nn") if m in names), sorted(names)[0])


def draw_boundary_S0(almond: dict, rows: list[dict], path: str) -> None:
    plt = _plt()
    method = _analysis_method(rows)
    rows = [r for r in rows if r["method"] == method]
    c0max = almond["c0max_reference"]
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for i, obj in enumerate(("min-c2", "max-c2")):
        for r in sorted((r for r in rows if r["objective"] in (obj, "max-c0")), key=lambda r: r["c0"] or c0max):
            a = r["result"]["analysis"]
            x = np.array(a["s"]) - 4.0
            tip = r["objective"] == "max-c0"
            style = dict(color="k", ls="--", lw=1.2, label="max c0") if tip else dict(color=cmap(r["c0"] / c0max), lw=0.9)
            axes[i, 0].plot(x, a["abs_S0"], **style)
            axes[i, 1].plot(x, np.array(a["delta0"]) / math.pi, **style)
        axes[i, 0].set_ylabel(f"|S0|   ({'lower' if obj == 'min-c2' else 'upper'} boundary, {obj})")
        axes[i, 1].set_ylabel("δ0/π")
        axes[i, 0].legend(fontsize=8, loc="lower left")
    for ax in axes[1]:
        ax.set_xlabel("s − 4")
    for ax in axes.ravel():
        ax.set_xscale("log")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, c0max / math.pi))
    fig.colorbar(sm, ax=axes, label="c0/π", shrink=0.8)
    fig.suptitle(f"S-wave along the boundary ({method})")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_zeros(almond: dict, rows: list[dict], path: str) -> None:
    plt = _plt()
    c0max = almond["c0max_reference"]
    cmap = plt.get_cmap("viridis")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.5))
    for r in rows:
        color, marker, _ = _STYLE.get(r["method"], ("k", ".", "-"))
        a = r["result"]["analysis"]
        c0 = r["c0"] if r["c0"] is not None else r["value"]
        filled = r["objective"] != "max-c2"
        for z in a.get("resonance_zeros", []):
            ax.scatter(z["re"], z["im"], color=cmap(min(c0 / c0max, 1.0)), marker=marker, s=22,
                       facecolors=None if filled else "none")
        for s0 in a.get("real_zeros", []):
            bx.scatter(c0 / math.pi, s0, color=color, marker=marker, s=18, facecolors=None if filled else "none")
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
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, c0max / math.pi))
    fig.colorbar(sm, ax=ax, label="c0/π")
    bx.set_xlabel("c0/π")
    bx.set_ylabel("real zero of S0 below threshold, s")
    bx.set_title("zero below threshold (eqs. 68–69)")
    bx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
