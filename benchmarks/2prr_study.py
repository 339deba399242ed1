"""2PRR convergence study (docs/2prr.md): c2 at 28π against N and s_max, the c0 scan with
certificates, peak η_J, Re f0 and T(s, −1) at large s. Prints Markdown tables.

    python benchmarks/2prr_study.py [convergence|smax|scan|all]
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from smatrix.twoprr.certify import certify
from smatrix.twoprr.grid import NodeGrid
from smatrix.twoprr.run import RunConfig, regge_analysis, run_2prr
from smatrix.twoprr.solver import SolverConfig, richardson, solve
from smatrix.twoprr.system import TwoPRRSystem


def c2_at(c0: float, n: int, s_max: float) -> tuple[float, float]:
    t = time.perf_counter()
    system = TwoPRRSystem(NodeGrid(n, s_max))
    sol = solve(c0, SolverConfig(n=n, s_max=s_max), system=system)
    assert sol.status == "converged", sol.residual
    return system.c2(sol.u), time.perf_counter() - t


def convergence(c0: float = 28 * math.pi, s_max: float = 1e8, ns=(32, 40, 48, 56, 64)) -> None:
    print(f"\n### c2 at c0 = {c0 / math.pi:g}π against N (s_max = {s_max:g})\n")
    print("| N | c2 | Richardson (last three) | error estimate | order p | seconds |")
    print("|---|---|---|---|---|---|")
    vals = []
    for n in ns:
        c2, sec = c2_at(c0, n, s_max)
        vals.append(c2)
        if len(vals) >= 2:
            r = richardson(ns[: len(vals)], vals)
            print(f"| {n} | {c2:.8f} | {r.value:.8f} | {r.error:.1e} | {r.order:.2f} | {sec:.0f} |", flush=True)
        else:
            print(f"| {n} | {c2:.8f} | | | | {sec:.0f} |", flush=True)


def smax_study(c0s=(28 * math.pi, 40 * math.pi), smaxes=(1e6, 1e8, 1e12), ladder=(32, 40, 48)) -> None:
    print(f"\n### Reggeization: extrapolated c2 (ladder {ladder}) against s_max\n")
    print("| c0/π | s_max | c2 (extrapolated) | error | c2 at N = 48 | T∞ fit of T(s, −1) | Re f0 > 0 and decaying |")
    print("|---|---|---|---|---|---|---|")
    for c0 in c0s:
        for sm in smaxes:
            run = run_2prr(RunConfig(c0=c0, n=ladder[-1], s_max=sm, ladder=ladder))
            res = run.result
            rg = res.extra["regge"]
            print(f"| {c0 / math.pi:g} | {sm:g} | {res.c2:.7f} | {res.extra['c2_error']:.1e} | "
                  f"{res.extra['c2_finest']:.7f} | {rg['T_inf']:.3g} (γ = {rg['gamma']:.2g}) | "
                  f"{rg['re_f0_positive'] and rg['re_f0_decaying']} |", flush=True)


def scan(c0s=(4, 10, 20, 28, 40, 44, 48, 52, 56, 60, 64, 72)) -> None:
    print("\n### c0 scan at the default resolution (N = 48, s_max = 1e8, ladder 32, 40, 48)\n")
    print("| c0/π | status | c2 ± error | max|F| | ||S_J|²−1| on 4<s<16 (J=2…10) | max(|S_J|²−1), s>16 | "
          "spin 0 between nodes | peak η0 | 0.12 (c0/32π)^2.5 | peak η2 | Re f0 > 0, decaying | T∞ | certified | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in c0s:
        c0 = c * math.pi
        run = run_2prr(RunConfig(c0=c0))
        res = run.result
        if res.status != "converged":
            print(f"| {c} | {res.status} | — | {res.extra['residual']:.1e} | | | | | | | | | no | {res.seconds:.0f} |",
                  flush=True)
            continue
        d = res.certificate["details"]
        rg = res.extra["regge"]
        fit = 0.12 * (c0 / (32 * math.pi)) ** 2.5
        print(f"| {c} | {res.status} | {res.c2:.6f} ± {res.extra['c2_error']:.1e} | {res.extra['residual']:.0e} | "
              f"{d['elastic_max_abs']:.1e} | {d['inelastic_max']:.1e} | "
              f"{d['spins']['0']['spin0_residual_offgrid']:.1e} | {res.extra['eta_peak']['0']:.4f} | {fit:.4f} | "
              f"{res.extra['eta_peak']['2']:.4f} | {rg['re_f0_positive']}, {rg['re_f0_decaying']} | "
              f"{rg['T_inf'] if rg['T_inf'] is None else round(rg['T_inf'], 2)} | {res.certified} | "
              f"{res.seconds:.0f} |", flush=True)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("convergence", "all"):
        convergence()
    if what in ("smax", "all"):
        smax_study()
    if what in ("scan", "all"):
        scan()
