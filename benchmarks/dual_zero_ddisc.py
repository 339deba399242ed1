"""Dual SDP of the zero-ddisc model: the Λ-scan of the max-c0 bound with the sum rule on and off
(P1 Fig. 6), and seconds per bound. Prints Markdown tables (docs/dual.md quotes them).

    python benchmarks/dual_zero_ddisc.py [--quick]
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from smatrix.sdp.zero_ddisc_dual import DualConfig, dual_operators, solve_dual
from smatrix.dual import dual_quadrature
from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet


def _bound(objective, c0=None, **kw):
    t = time.perf_counter()
    r = solve_dual(objective, c0, DualConfig(**kw))
    return r, time.perf_counter() - t


def lambda_scan(cutoffs):
    print("| Λ | max c0, sum rule on | c0/32π | max c0, sum rule off | c0/32π | certified (on/off) |")
    print("|---|---|---|---|---|---|")
    for lam in cutoffs:
        on, _ = _bound("max-c0", cutoff=lam)
        off, _ = _bound("max-c0", cutoff=lam, sum_rule=False)
        f = lambda r: (f"{r.value:.6f}", f"{r.value / (32 * math.pi):.6f}") if r.value else (r.status, "")
        print(f"| {lam:.0e} | {f(on)[0]} | {f(on)[1]} | {f(off)[0]} | {f(off)[1]} | {on.certified}/{off.certified} |",
              flush=True)


def timings():
    print("\n| objective | bound | status | certified | first call s (kernels built) | cached call s |")
    print("|---|---|---|---|---|---|")
    for obj, c0 in [("max-c0", None), ("min-c2", 28 * math.pi), ("max-c2", 28 * math.pi),
                    ("min-c2", 60 * math.pi), ("max-c2", 60 * math.pi)]:
        dual_quadrature.cache_clear()
        dual_operators.cache_clear()
        r1, t1 = _bound(obj, c0)
        r2, t2 = _bound(obj, c0)
        print(f"| {obj}{'' if c0 is None else f' @ {c0 / math.pi:.0f}π'} | {r2.value:.8f} | {r2.status} "
              f"| {r2.certified} | {t1:.2f} | {t2:.2f} |", flush=True)


def slice_table(n: int):
    """Weak duality and gaps per c0 slice: primal (wavelet Nmax=16, grid 300 nodes) vs dual."""
    print("\n| c0/π | objective | wavelet (cert.) | grid (cert.) | dual bound | rel. gap wavelet | rel. gap grid |")
    print("|---|---|---|---|---|---|---|")
    top = solve_dual("max-c0").value
    for c0 in np.linspace(0.02, 0.98, n) * top:
        for obj in ("min-c2", "max-c2"):
            w = solve_wavelet(obj, c0, WaveletConfig(nmax=16))
            g = solve_grid(obj, c0, GridConfig())
            d = solve_dual(obj, c0)
            sign = 1 if obj == "max-c2" else -1
            gap = lambda p: sign * (d.value - p.value) / abs(d.value)
            print(f"| {c0 / math.pi:.3f} | {obj} | {w.value:.8f} ({'y' if w.certified else 'n'}) | "
                  f"{g.value:.8f} ({'y' if g.certified else 'n'}) | {d.value:.8f} | {gap(w):.1e} | {gap(g):.1e} |",
                  flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    timings()
    slice_table(4 if a.quick else 10)
    print()
    lambda_scan([30, 100, 1e3, 1e5] if a.quick else [8, 12, 20, 30, 50, 100, 300, 1e3, 3e3, 1e4, 1e5, 1e6, 1e7])
