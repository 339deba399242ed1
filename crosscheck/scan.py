"""Small scan of the zero-ddisc (c0, c2) region by both primal formulations and the dual SDP: the
README's main job until the full crosscheck lands. Prints an agreement table and writes a plot.

Agreement per row: both primal values on the allowed side of the rigorous dual bound (weak
duality, to the solver's 1e-7), and the better primal within AGREEMENT_RTOL of the dual bound
(the bracket primal … dual is narrower than that)."""
from __future__ import annotations

import json
import math
import time

import numpy as np

from sdp.zero_ddisc_dual import solve_dual
from sdp.zero_ddisc_grid import GridConfig, solve_grid
from sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet

AGREEMENT_RTOL = 1e-3  # best primal vs dual at the quick sizes (docs/dual.md)
_WEAK_DUALITY_SLACK = 1e-7


def _row(objective, c0, wcfg, gcfg):
    w = solve_wavelet(objective, c0, wcfg)
    g = solve_grid(objective, c0, gcfg)
    d = solve_dual(objective, c0)
    sign = -1.0 if objective == "min-c2" else 1.0       # primal ≤ dual for max, ≥ for min
    gap = lambda p: sign * (d.value - p.value) / abs(d.value) if None not in (p.value, d.value) else float("nan")
    weak = all(gap(p) >= -_WEAK_DUALITY_SLACK for p in (w, g))
    return {"objective": objective, "c0": w.c0 if c0 is None else c0,
            "wavelet": w.value, "wavelet_c2": w.c2, "grid_c2": g.c2, "wavelet_certified": w.certified,
            "wavelet_violation": (w.certificate or {}).get("max_unitarity_violation"),
            "grid": g.value, "grid_certified": g.certified,
            "grid_violation": (g.certificate or {}).get("max_unitarity_violation"),
            "dual": d.value, "dual_certified": d.certified,
            "gap_wavelet": gap(w), "gap_grid": gap(g), "weak_duality": bool(weak),
            "agree": bool(weak and d.certified and min(gap(w), gap(g)) <= AGREEMENT_RTOL),
            "seconds": w.seconds + g.seconds + d.seconds}


def run_scan(slices: int, nmax: int, grid: int, plot: str | None, as_json: bool) -> int:
    if slices < 1:
        print("error: --slices must be ≥ 1")
        return 2
    t0 = time.perf_counter()
    wcfg, gcfg = WaveletConfig(nmax=nmax), GridConfig(nodes=grid)
    rows = [_row("max-c0", None, wcfg, gcfg)]
    c0max = rows[0]["wavelet"]
    for frac in np.linspace(0.1, 0.9, slices):
        for obj in ("min-c2", "max-c2"):
            rows.append(_row(obj, float(frac * c0max), wcfg, gcfg))
            if not as_json:
                print(f"  … {obj} at c0/π = {frac * c0max / math.pi:.3f} done", flush=True)
    agreement = all(r["agree"] for r in rows)
    if plot:
        _plot(rows, plot)
    if as_json:
        print(json.dumps({"agreement": agreement, "rows": rows, "seconds": time.perf_counter() - t0}))
        return 0
    print(f"\nzero-ddisc scan: primal wavelet (Nmax={nmax}), primal grid ({grid} nodes), dual SDP (rigorous)")
    print(f"agree: primal ≤ dual (weak duality) and the better primal within {AGREEMENT_RTOL:g} of the dual bound")
    print(f"{'objective':9} {'c0/π':>8} {'wavelet':>12} {'grid':>12} {'dual':>12} {'gap w':>8} {'gap g':>8} "
          f"{'cert w/g/d':>10} {'agree':>5}")
    for r in rows:
        cert = "/".join("y" if r[k] else "n" for k in ("wavelet_certified", "grid_certified", "dual_certified"))
        print(f"{r['objective']:9} {r['c0'] / math.pi:8.4f} {r['wavelet']:12.8g} {r['grid']:12.8g} {r['dual']:12.8g} "
              f"{r['gap_wavelet']:8.1e} {r['gap_grid']:8.1e} {cert:>10} {'yes' if r['agree'] else 'NO':>5}")
    print(f"agreement: {agreement}   ({time.perf_counter() - t0:.1f} s)" + (f"   plot: {plot}" if plot else ""))
    return 0


def _plot(rows, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for method, style in (("wavelet", "o-"), ("grid", "x--")):
        lo = sorted((r["c0"], r[method]) for r in rows if r["objective"] == "min-c2")
        hi = sorted((r["c0"], r[method]) for r in rows if r["objective"] == "max-c2")
        top = [r for r in rows if r["objective"] == "max-c0"][0]
        pts = [(0.0, 0.0)] + lo + [(top[method], top[f"{method}_c2"])] + hi[::-1] + [(0.0, 0.0)]
        c0s, c2s = zip(*pts)
        ax.plot(np.array(c0s) / math.pi, c2s, style, label=f"primal-{method}", ms=4)
        ax.axvline(top[method] / math.pi, color="gray", lw=0.6, ls=":")
    lo = sorted((r["c0"], r["dual"]) for r in rows if r["objective"] == "min-c2")
    hi = sorted((r["c0"], r["dual"]) for r in rows if r["objective"] == "max-c2")
    top = [r for r in rows if r["objective"] == "max-c0"][0]
    c0s, c2s = zip(*([(0.0, 0.0)] + lo + hi[::-1] + [(0.0, 0.0)]))
    ax.plot(np.array(c0s) / math.pi, c2s, "s:", color="C3", ms=3, label="dual bounds (rigorous)")
    ax.axvline(top["dual"] / math.pi, color="C3", lw=0.8, ls="--", label="dual max c0")
    c0 = np.linspace(0, max(r["c0"] for r in rows), 50)
    ax.plot(c0 / math.pi, 3 * c0 / 64, color="k", lw=0.6, label="c2 = 3c0/64 (eq. 35)")
    ax.set_xlabel("c0/π")
    ax.set_ylabel("c2")
    ax.set_title("zero-ddisc allowed region: primal amplitudes inside dual bounds")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
