"""Neural primal (zero-ddisc): wall time of NN amplitude + Newton polish at c0 = 28π, and the
tables and figure of docs/nn_primal.md.

    python benchmarks/nn_primal_zero_ddisc.py                  # timing (target ≤ 2 min on 2 cores)
    python benchmarks/nn_primal_zero_ddisc.py --tables --plot docs/nn_primal.png

On a shared 2-core machine run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 (the 600² dense
linear algebra is slower with two BLAS threads competing for the cores).
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from smatrix.neural.zero_ddisc_primal import NNPrimalConfig, train_primal
from smatrix.sdp.zero_ddisc_dual import solve_dual
from smatrix.dispersion import SpectralGrid, spectral_grid
from smatrix.elastic import ElasticProblem, continued_newton, solve_elastic
from smatrix.unitarity import GridSpec, grid_operators

C0 = 28 * math.pi


def dual_bounds(c0: float) -> tuple[float, float]:
    return solve_dual("min-c2", c0).value, solve_dual("max-c2", c0).value


def row(r) -> str:
    c = r.certificate
    return (f"{r.status} | {r.c2:.10f} | {c['nn_residual']:.1e} | {c['polished_residual']:.1e} | "
            f"{c['details']['max_abs_residual']:.1e} | {'yes' if r.certified else 'no'} | {r.seconds:.0f}")


def timing() -> None:
    t = time.perf_counter()
    grid_operators(GridSpec())
    print(f"grid operators (disk cache or build): {time.perf_counter() - t:.1f} s")
    lo, hi = dual_bounds(C0)
    print("| case | status | c2 | NN max ‖S0|²−1| | polished | 4× denser check | certified | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, c2, cfg in (("singular, c2 = 0.76 (just above the minimum)", 0.76, NNPrimalConfig(ansatz="singular")),
                          ("regular, c2 = dual min (lower boundary)", lo, NNPrimalConfig())):
        r = train_primal(C0, c2, cfg, progress=False, dual_bounds=(lo, hi))
        print(f"| {name} | {row(r)} |", flush=True)
        assert lo <= r.c2 + 1e-7 and r.c2 <= hi


def baselines_and_regular() -> dict:
    """Where fixed point / Newton from ρ = 0 / Newton with continuation converge, and the NN."""
    problem = ElasticProblem(SpectralGrid(spectral_grid(250).nodes))
    print("| c0 | fixed point (73) | Newton (76) from ρ = 0 | Newton + continuation | NN regular + polish: "
          "status | c2 − dual min | 4× denser check | s |")
    print("|---|---|---|---|---|---|---|---|")
    out = {}
    for k in (2, 10, 16, 17, 20, 28, 40, 60, 75):
        c0 = k * math.pi
        fp = solve_elastic(problem, c0, "fixed-point", max_iter=300).converged
        nw = solve_elastic(problem, c0, "newton", max_iter=300).converged
        cn = continued_newton(problem, c0, max_iter=300).converged
        lo, hi = dual_bounds(c0)
        r = train_primal(c0, lo, NNPrimalConfig(), progress=False, dual_bounds=(lo, hi))
        mark = lambda ok: "converges" if ok else "diverges"
        print(f"| {k}π | {mark(fp)} | {mark(nw)} | {mark(cn)} | {r.status}{' (cert.)' if r.certified else ''} | "
              f"{r.c2 - lo:+.1e} | {r.certificate['details']['max_abs_residual']:.1e} | {r.seconds:.0f} |", flush=True)
        out[k] = r
    return out


def singular_family() -> dict:
    lo, hi = dual_bounds(C0)
    print(f"dual bounds at 28π: {lo:.8f} ≤ c2 ≤ {hi:.8f}")
    print("| target c2 | status | c2 reached | NN max ‖S0|²−1| | polished | 4× denser check | certified | s | Regge |")
    print("|---|---|---|---|---|---|---|---|---|")
    out = {}
    for t in (0.752, 0.755, 0.76, 0.8, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 3.53, 3.54, 3.6, 4.0):
        r = train_primal(C0, t, NNPrimalConfig(ansatz="singular"), progress=False, dual_bounds=(lo, hi))
        out[t] = r
        print(f"| {t} | {row(r)} | {r.certificate['regge']['reason']} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ck = str(Path(tmp) / "c3.pt")
        train_primal(C0, 3.0, NNPrimalConfig(ansatz="singular"), checkpoint=ck, progress=False)
        for epochs in (2000, 1000, 500):
            r = train_primal(C0, 3.3, NNPrimalConfig(ansatz="singular", epochs=epochs), init=ck, progress=False)
            print(f"| 3.3, hot start from 3.0, {epochs} epochs | {row(r)} | |", flush=True)
    return out


def inelastic(path: str | None) -> None:
    print("| target c2 | status | c2 reached | max η0 | λ | max(|S0|²−1) | elastic part residual | s |")
    print("|---|---|---|---|---|---|---|---|")
    for t in (0.752, 0.755):
        r = train_primal(C0, t, NNPrimalConfig(inelastic=True), progress=False,
                         eta_out=path if t == 0.752 else None)
        c = r.certificate
        print(f"| {t} | {r.status} | {r.c2:.8f} | {c['details']['max_eta']:.3f} | {c['eta_scale']:.1f} | "
              f"{c['max_unitarity_violation']:.1e} | {c['details']['max_abs_residual_elastic_part']:.1e} | "
              f"{r.seconds:.0f} |", flush=True)


def plot(regular: dict, family: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ks = np.array([0.5, 1, 2, 4, 8, 12, 16, 20, 28, 36, 44, 52, 60, 66, 70, 74, 76, 77, 77.3])
    b = np.array([dual_bounds(k * math.pi) for k in ks], dtype=float)
    lower = lambda k: np.interp(k, ks, b[:, 0])
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.6))
    ax[0].fill_between(ks, b[:, 0], b[:, 1], color="0.92", label="dual almond (SDP)")
    ax[0].plot(ks, b[:, 1], "k-", lw=0.8)
    for top, color, lab, lw in ((41, "tab:green", "Newton + continuation (c0 ≤ 41π)", 9),
                                (16, "tab:orange", "Newton from ρ = 0 (c0 ≤ 16π)", 6),
                                (4.36, "tab:red", "fixed point (c0 ≤ 4.36π)", 3)):
        kk = np.linspace(0.5, top, 60)
        ax[0].plot(kk, lower(kk), color=color, lw=lw, alpha=0.6, solid_capstyle="butt", label=lab)
    ax[0].plot(ks, b[:, 0], "k-", lw=0.8)
    for k, r in regular.items():
        ax[0].plot(k, r.c2, "s", ms=5, mfc="tab:purple" if r.certified else "white", mec="tab:purple")
    for t, r in family.items():
        if r.status == "polished":
            ax[0].plot(28, r.c2, "o", color="tab:blue", ms=5)
        elif r.status == "outside":
            ax[0].plot(28, t, "x", color="tab:red", ms=6)
    ax[0].plot([], [], "s", color="tab:purple", label="NN + polish, regular (open: not certified)")
    ax[0].plot([], [], "o", color="tab:blue", label="NN + polish, singular, certified")
    ax[0].plot([], [], "x", color="tab:red", label="target flagged outside (criterion)")
    ax[0].set_xlabel("c0 / π")
    ax[0].set_ylabel("c2")
    ax[0].set_title("zero-ddisc: elastic amplitudes reached (P1 Fig. 2a)")
    ax[0].legend(fontsize=7, loc="upper left")
    for t in (2.0, 3.0, 3.5, 3.53, 3.54, 3.6):
        f = family[t].extra["regge_fit"]
        ax[1].semilogx(f.s, f.re_f0, label=f"c2 = {t}: {'inside' if f.inside else 'outside'}")
    ax[1].axhline(0, color="k", lw=0.6)
    ax[1].set_xlabel("s")
    ax[1].set_ylabel("Re f0")
    ax[1].set_title("boundary criterion at c0 = 28π (dual max c2 = 3.5309)")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", action="store_true", help="also the convergence, family and inelastic tables")
    ap.add_argument("--plot", default=None, help="figure of the reached points and the criterion (needs --tables)")
    ap.add_argument("--eta-out", default=None, help="write the inelastic example's η0 here")
    a = ap.parse_args()
    timing()
    if a.tables:
        reg = baselines_and_regular()
        fam = singular_family()
        inelastic(a.eta_out)
        if a.plot:
            plot(reg, fam, a.plot)
