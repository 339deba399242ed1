"""Neural dual vs Chebyshev SDP dual vs primal (zero-ddisc), with timings, and the amplitudes the
dual multipliers reconstruct (eq. 43) against the primal extremal amplitude (plot).

    python benchmarks/nn_dual_zero_ddisc.py [--plot docs/nn_dual_amplitude.png]
"""
from __future__ import annotations

import argparse
import math

import numpy as np

from smatrix.neural.zero_ddisc_dual import NNDualConfig, train_dual
from smatrix.sdp.zero_ddisc_dual import DualConfig, _operators, solve_dual
from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
from smatrix.dual import dual_partial_wave
from smatrix.kinematics import phase_space

CASES = [("max-c0", None), ("min-c2", 28 * math.pi), ("max-c2", 28 * math.pi)]


def main(plot: str | None) -> None:
    print("| objective | NN dual | SDP dual | primal grid 400 (spline) | NN − SDP (rel.) | NN s | SDP s |")
    print("|---|---|---|---|---|---|---|")
    keep = {}
    for obj, c0 in CASES:
        nn = train_dual(obj, c0, NNDualConfig(), progress=False)
        sdp = solve_dual(obj, c0)
        prim = solve_grid(obj, c0, GridConfig(nodes=400, spline=True))
        rel = (nn.value - sdp.value) / abs(sdp.value)
        print(f"| {obj}{'' if c0 is None else ' @ 28π'} | {nn.value:.8f} ({'cert.' if nn.certified else 'NOT cert.'}) "
              f"| {sdp.value:.8f} | {prim.value:.8f} | {rel:+.1e} | {nn.seconds:.1f} | {sdp.seconds:.2f} |", flush=True)
        keep[obj] = (nn, sdp, prim)
    if plot:
        _plot(keep["max-c0"], plot)


def _plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    nn, sdp, prim = results
    s = 4 + np.geomspace(1e-4, 1e3, 600)
    grid_nn = nn.extra["grid_nodes"]
    from smatrix.dual import DualGrid
    S_nn = dual_partial_wave(DualGrid(grid_nn), nn.extra["w_nodes"], nn.extra["nu"], 0.0, s)
    ops = _operators(DualConfig(), 2)
    S_sdp = dual_partial_wave(ops.grid, ops.E @ sdp.extra["coef"], sdp.extra["nu"], 0.0, s)
    S_pr = prim.amplitude.S(0, s)
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    for S, lab, st in ((S_pr, "primal grid (spline, 400)", "-"), (S_sdp, "SDP dual, eq. (43)", "--"),
                       (S_nn, "NN dual, eq. (43)", ":")):
        f0 = (S - 1) / (1j * phase_space(s))
        ax[0].semilogx(s - 4, np.abs(S), st, label=lab)
        ax[1].semilogx(s - 4, f0.real, st, label=lab)
        ax[2].semilogx(s - 4, f0.imag, st, label=lab)
    for a, t in zip(ax, ("|S0|", "Re f0", "Im f0")):
        a.set_xlabel("s − 4")
        a.set_title(f"{t} at max c0")
    ax[0].set_ylim(0.9, 1.01)
    ax[2].set_yscale("log")
    ax[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--plot", default=None)
    main(ap.parse_args().plot)
