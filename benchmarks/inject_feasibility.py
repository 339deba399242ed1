"""Is the 2PRR amplitude behind `data/2prr/c0-28pi.eta.json` a feasible point of the injected
problem, and what does the 184-energy profile miss? (docs/2prr_injection.md, "Table 3 against the
2PRR c2"). Analysis only, not a library path.

Min c2 at c0 = 28π, J_min = 10, J ≤ 16, on the table's starting points (grid 300 with the profile's
η nodes), no refinement, for three profiles:
  shipped               the file (η_J at 184 energies, linear in log(s − 4) between them);
  dense-clipped         1 − |S_J(s)|² of the 2PRR amplitude itself at 1500 energies, clipped to [0, 1];
  dense-with-negative   the same unclipped: where the 2PRR S-wave exceeds |S_0| = 1 (near threshold)
                        the bound is relaxed by exactly that much, so the 2PRR amplitude meets every
                        imposed J ≤ 10 constraint up to interpolation (J = 12 … 16: |S_J| ≤ 1 holds, measured).
The last is loaded around the profile checks (η < 0 is refused by design) by replacing the solver's
profile loader: only here.

Usage: python benchmarks/inject_feasibility.py SOLUTION.npz NMAX [VARIANTS]
(SOLUTION from `smatrix 2prr --c0 28pi --n 48 --ladder 48 --out DIR`).
"""
import math
import sys
import time

import numpy as np

import smatrix.sdp.full_wavelet as fw
from smatrix.crosscheck.inject import load_2prr_amplitude
from smatrix.grids import unitarity_grid
from smatrix.inelasticity import InelasticityProfile, load_profile

ETA = "data/2prr/c0-28pi.eta.json"


def profiles(solution: str) -> dict:
    amp = load_2prr_amplitude(solution)
    ship = load_profile(ETA, "auto")
    top = float(amp.grid.nodes[-2])
    s = 4 + np.exp(np.linspace(np.log(ship.s[0] - 4), np.log(top - 4), 1500))
    true = {J: 1 - np.abs(np.asarray(amp.S(J, s))) ** 2 for J in range(0, 11, 2)}
    for J, v in true.items():   # elastic below s = 16, except the S-wave's own excess over |S_0| = 1
        v[s < 16] = np.minimum(v[s < 16], 0.0) if J == 0 else 0.0
    clipped = {J: np.clip(v, 0.0, 1.0) for J, v in true.items()}
    negative = InelasticityProfile(s, clipped, ship.meta, "zero")
    negative.eta = {J: np.minimum(v, 1.0) for J, v in true.items()}
    k = int(np.argmin(true[0]))
    print(f"2PRR c2 {amp.c2:.7f}; max(|S_0|² − 1) = {-true[0][k]:.2e} at s = {s[k]:.4g}; "
          + ", ".join(f"max(|S_{J}|² − 1 + η_{J}) = {np.max(ship(J, s) - true[J]):.1e}" for J in true), flush=True)
    return {"shipped": ship, "dense-clipped": InelasticityProfile(s, clipped, ship.meta, "zero"),
            "dense-with-negative": negative}


def main() -> None:
    solution, nmax = sys.argv[1], int(sys.argv[2])
    variants = profiles(solution)
    grid = unitarity_grid(300)
    points = fw.with_eta_nodes(grid, fw.eta_nodes(variants["shipped"], 10, grid[0], grid[-1]))
    for name in (sys.argv[3].split(",") if len(sys.argv) > 3 else variants):
        prof = variants[name]
        fw._load_full_profile = lambda config, prof=prof: prof
        t = time.perf_counter()
        r = fw.solve_full("min-c2", 28 * math.pi, fw.FullConfig(nmax=nmax, jmax=16, jmin=10, inelasticity=ETA,
                                                                 eta_extend="zero", rounds=0, svd_cutoff=1e-8),
                          points=points)
        print(f"{name:20s} Nmax {nmax}: min c2 {r.value:.7f} ({r.status}), re-measured max(|S_J|² − 1) "
              f"{r.certificate['max_unitarity_violation']:.1e}, {time.perf_counter() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
