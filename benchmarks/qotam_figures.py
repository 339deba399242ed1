"""The measured figures of docs/qotam.md (issue 17): `python benchmarks/qotam_figures.py`.

1. the scaling iteration (eq. 44) on the φ³ tree and on the full-model maximum-c0 amplitude as
   the sphere rule grows; the paper's alternating sweeps (C1–C4) against the Newton scaling;
2. the gradient step (45) with the stated functional;
3. the optical defect of the full-model maximum-c0 amplitude over s and the tail above J_max.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from smatrix.sdp.full_wavelet import FullConfig, solve_full
from smatrix.certify import dense_check_points
from smatrix.kinematics import phase_space
from smatrix.optical import optical_defect, spin_sum
from smatrix.qotam import (complex_sinkhorn, kernel_partial_waves, marginal_errors, plan, qotam_iterate,
                           sphere_kernel, sphere_rule, symmetric_scaling, unitarity_residual)
from smatrix.cli.qotam import qotam_report
from smatrix.simple_amplitudes import Phi3Tree, Phi4Tree
from smatrix.grids import unitarity_grid


def scaling_table(name, amp, s, lmaxes):
    D = optical_defect(amp, [s]).total[0]
    print(f"\n### Scaling (eq. 44) on {name} at s = {s:g}: D = Σ(2J+1)η_J = {D:.6e}\n")
    print("| L | nodes | Newton steps | max|S†S−1| before → after | ‖ΔK‖_F | max|ΔK| | max_J |ΔS_J| "
          "| Σ_{J≤L}(2J+1)η_J before → after | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for L in lmaxes:
        t0 = time.perf_counter()
        r = qotam_report(amp, s, L)
        it = r["iteration"]
        print(f"| {L} | {r['rule']['nodes']} | {it['newton_scalings'][0]} | {r['unitarity_residual']:.3e} → "
              f"{it['unitarity_residual_after']:.3e} | {it['delta_K_frobenius']:.3e} | {it['delta_K_max']:.3e} | "
              f"{it['delta_S_J_max']:.3e} | {it['eta_sum_before']:.6e} → {it['eta_sum_after']:.6e} | "
              f"{time.perf_counter() - t0:.1f} |")
        sys.stdout.flush()


def sweeps_table():
    rule = sphere_rule(8)
    K = sphere_kernel(Phi3Tree(3.0).T, 7.0, rule)
    Kn, steps = symmetric_scaling(K)
    print(f"\n### Paper's sweeps (C1–C4) vs Newton scaling, φ³ tree g = 3, s = 7, L = 8 "
          f"(Newton: {steps} steps, marginal error {max(np.max(np.abs(m)) for m in marginal_errors(Kn)):.1e})\n")
    print("| sweeps | max marginal error | max |Π − Π_Newton| |")
    print("|---|---|---|")
    for n in (1, 10, 100, 1000):
        Ks, _ = complex_sinkhorn(K, max_iterations=n, tol=0.0)
        print(f"| {n} | {max(np.max(np.abs(m)) for m in marginal_errors(Ks)):.2e} | "
              f"{np.max(np.abs(plan(Ks) - plan(Kn))):.2e} |")


def gradient_table():
    print("\n### Gradient step (45) on F = ΣΠc + εΣΠlogΠ, φ⁴ tree λ = 3, s = 7, L = 8, η = 0.1\n")
    print("| ε | steps | F | max phase change | max_J |ΔS_J| | max|S†S−1| after | Σ(2J+1)η_J after |")
    print("|---|---|---|---|---|---|---|")
    for eps in (0.0, 0.01):
        for steps in (1, 10, 100):
            r = qotam_report(Phi4Tree(3.0), 7.0, 8, steps, 0.1, eps)
            it = r["iteration"]
            print(f"| {eps:g} | {steps} | {it['functional'][0]:.6e} → {it['functional'][-1]:.6e} | "
                  f"{it['max_phase_change']:.1e} | {it['delta_S_J_max']:.3e} | {it['unitarity_residual_after']:.3e} | "
                  f"{it['eta_sum_after']:.6e} |")


def full_defect_table(nmax):
    t0 = time.perf_counter()
    res = solve_full("max-c0", None, FullConfig(nmax=nmax))
    amp = res.amplitude
    row = res.certificate["all_spin"]
    print(f"\n### Full-model maximum c0, Nmax {nmax}: c0/32π = {res.value / (32 * np.pi):.7f}, certified "
          f"{res.certified}, {time.perf_counter() - t0:.1f} s\n")
    print(f"certificate all-spin row: min D = {row['min_defect']:.3e} at s = {row['worst_s_defect']:.4g}; "
          f"tail above J = {row['tail_above_spin']}: min {row['min_tail']:.3e} at s = {row['worst_s_tail']:.4g}, "
          f"max {row['max_tail']:.3e}; passed {row['passed']}\n")
    s = dense_check_points(unitarity_grid(300), 4)
    spins = list(range(0, 21, 2))
    D = optical_defect(amp, s, crossing_symmetric=True)
    eta = 1 - np.abs(1 + 1j * phase_space(s) * amp.partial_waves(s, spins)) ** 2
    t16, t20 = D.total - spin_sum(spins[:9], eta[:9]), D.total - spin_sum(spins, eta)
    print("| s | D = Σ(2J+1)η_J | η0 | tail J > 16 (not imposed) | tail J > 20 (not checked) | tail/D |")
    print("|---|---|---|---|---|---|")
    for sk in (4.01, 5, 10, 30, 65, 100, 300, 1e3, 3e3, 1e4, 1e5, 1e6, 1e8, 1e10, 1e12, 1e16):
        k = int(np.argmin(np.abs(np.log(s - 4) - np.log(sk - 4))))
        print(f"| {s[k]:.4g} | {D.total[k]:.3e} | {eta[0, k]:.3e} | {t16[k]:.3e} | {t20[k]:.3e} | "
              f"{t16[k] / D.total[k]:.2f} |")
    neg16 = s[t16 < 0]
    print(f"\ntail J > 16 negative at {neg16.size}/{s.size} points, min {t16.min():.3e} at s = {s[np.argmin(t16)]:.4g}; "
          f"tail J > 20 min {t20.min():.3e} at s = {s[np.argmin(t20)]:.4g}; max tail J > 16 = {t16.max():.3e} at "
          f"s = {s[np.argmax(t16)]:.4g}")


if __name__ == "__main__":
    sweeps_table()
    gradient_table()
    scaling_table("the φ³ tree g = 3", Phi3Tree(3.0), 7.0, (4, 8, 12, 16, 24, 32))
    for nmax in (6, 8):
        full_defect_table(nmax)
    res = solve_full("max-c0", None, FullConfig(nmax=6))
    scaling_table("the full-model maximum-c0 amplitude (Nmax 6)", res.amplitude, 100.0, (8, 16, 24))
