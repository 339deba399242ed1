"""Small primal scan of the zero-ddisc (c0, c2) region by both primal formulations: the README's
main job until the full crosscheck lands. Prints an agreement table and writes a plot."""
from __future__ import annotations

import json
import math
import time

import numpy as np

from sdp.zero_ddisc_grid import GridConfig, solve_grid
from sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet

AGREEMENT_RTOL = 1e-3  # primal-grid vs primal-wavelet at the default sizes (docs/convergence.md)


def _row(objective, c0, wcfg, gcfg):
    w = solve_wavelet(objective, c0, wcfg)
    g = solve_grid(objective, c0, gcfg)
    rel = abs(w.value - g.value) / abs(w.value) if (w.value and g.value is not None) else float("nan")
    return {"objective": objective, "c0": w.c0 if c0 is None else c0,
            "wavelet": w.value, "wavelet_c2": w.c2, "grid_c2": g.c2, "wavelet_certified": w.certified,
            "wavelet_violation": (w.certificate or {}).get("max_unitarity_violation"),
            "grid": g.value, "grid_certified": g.certified,
            "grid_violation": (g.certificate or {}).get("max_unitarity_violation"),
            "rel_diff": rel, "agree": bool(rel <= AGREEMENT_RTOL),
            "seconds": w.seconds + g.seconds}


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
    print(f"\nzero-ddisc primal scan (wavelet Nmax={nmax}, grid nodes={grid}); agreement if rel. diff ≤ {AGREEMENT_RTOL:g}")
    print(f"{'objective':9} {'c0/π':>8} {'wavelet':>13} {'grid':>13} {'rel.diff':>9} {'cert w/g':>9} {'viol w':>8} {'viol g':>8}")
    for r in rows:
        print(f"{r['objective']:9} {r['c0'] / math.pi:8.4f} {r['wavelet']:13.8g} {r['grid']:13.8g} "
              f"{r['rel_diff']:9.1e} {('y' if r['wavelet_certified'] else 'n') + '/' + ('y' if r['grid_certified'] else 'n'):>9} "
              f"{r['wavelet_violation']:8.1e} {r['grid_violation']:8.1e}")
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
    c0 = np.linspace(0, max(r["c0"] for r in rows), 50)
    ax.plot(c0 / math.pi, 3 * c0 / 64, color="k", lw=0.6, label="c2 = 3c0/64 (eq. 35)")
    ax.set_xlabel("c0/π")
    ax.set_ylabel("c2")
    ax.set_title("zero-ddisc allowed region (primal)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
