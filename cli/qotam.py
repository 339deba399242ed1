"""`smatrix qotam`: the QOTAM sphere kernel of one amplitude at one energy — unitarity of the
kernel, the plan's marginals against the optical defect, and what the paper's iteration changes.
The command layer only: physics in smatrix.qotam and smatrix.optical."""
from __future__ import annotations

import json
import sys

import numpy as np

from smatrix.errors import BadInput

AMPLITUDES = ("phi4", "phi3", "full-max-c0", "zero-ddisc-max-c0")
MAX_NODES = 2500  # the kernel is dense: N² complex entries (100 MB at the limit)
MAX_LMAX = 34     # (L + 1)(2L + 1) ≤ MAX_NODES


def add_parser(sub) -> None:
    q = sub.add_parser("qotam", help="QOTAM transport kernel on the sphere: plan, marginals, optical defect, "
                                     "Sinkhorn-type iteration (issue 17)")
    q.add_argument("--amplitude", default="phi3", choices=AMPLITUDES,
                   help="textbook tree (phi4: T = −λ, phi3: exchange of mass 1) or a toolkit amplitude "
                        "(the certified maximum-c0 amplitude of the full or zero-ddisc model)")
    q.add_argument("--coupling", type=float, default=3.0, help="λ for phi4, g for phi3")
    q.add_argument("--nmax", type=int, default=None, help="Nmax of the toolkit amplitude (full: 6, zero-ddisc: 12)")
    q.add_argument("--s", type=float, default=7.0, help="energy s > 4")
    q.add_argument("--lmax", type=int, default=12, help="the sphere rule is exact for waves J ≤ lmax")
    q.add_argument("--steps", type=int, default=0, help="gradient steps (eq. 45) after the scaling (eq. 44)")
    q.add_argument("--step-size", type=float, default=0.0, help="η of eq. (45)")
    q.add_argument("--epsilon", type=float, default=0.0, help="entropic weight ε of eq. (43)")
    q.add_argument("--json", action="store_true")


def _amplitude(a):
    from smatrix.simple_amplitudes import Phi3Tree, Phi4Tree
    if a.amplitude == "phi4":
        return Phi4Tree(a.coupling), {}
    if a.amplitude == "phi3":
        return Phi3Tree(a.coupling), {}
    if a.amplitude == "full-max-c0":
        from smatrix.sdp.full_wavelet import FullConfig, solve_full
        res = solve_full("max-c0", None, FullConfig(nmax=a.nmax or 6))
    else:
        from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet
        res = solve_wavelet("max-c0", None, WaveletConfig(nmax=a.nmax or 12))
    if res.value is None:
        return None, {"status": res.status, "message": res.message}
    return res.amplitude, {"c0_over_32pi": res.value / (32 * np.pi), "certified": res.certified,
                                    "status": res.status}


def qotam_report(amplitude, s: float, lmax: int, steps: int = 0, step_size: float = 0.0,
                 epsilon: float = 0.0) -> dict:
    """Everything `smatrix qotam` prints, as one dict."""
    from smatrix.optical import optical_defect, spin_sum
    from smatrix.qotam import (kernel_partial_waves, marginal_errors, qotam_iterate, rescaled_deficit, sphere_kernel,
                        sphere_rule, unitarity_residual)
    rule = sphere_rule(lmax)
    K = sphere_kernel(amplitude.T, s, rule)
    D = float(optical_defect(amplitude, [s]).total[0])
    deficit = rescaled_deficit(K, rule)
    out_err, in_err = marginal_errors(K)
    Ks, rec = qotam_iterate(K, rule, steps, step_size, epsilon)
    spins = list(range(0, lmax + 1, 2))
    before, after = kernel_partial_waves(K, rule, spins), kernel_partial_waves(Ks, rule, spins)
    own = np.array([complex(amplitude.S(J, s)[0]) for J in spins])
    eta_sum = lambda S_J: float(spin_sum(spins, 1 - np.abs(S_J) ** 2))
    return {"s": s, "rule": {"n_theta": rule.n_theta, "n_phi": rule.n_phi, "nodes": rule.size, "exact_spin": lmax},
            "optical_defect": D,
            "deficit_at_nodes": {"min": float(deficit.min()), "max": float(deficit.max()),
                                 "max_abs_minus_defect": float(np.max(np.abs(deficit - D)))},
            "unitarity_residual": unitarity_residual(K),
            "marginal_errors": {"out": float(np.max(np.abs(out_err))), "in": float(np.max(np.abs(in_err)))},
            "kernel_waves_vs_own": float(np.max(np.abs(before - own))),
            "iteration": {"steps": steps, "step_size": step_size, "epsilon": epsilon,
                          "newton_scalings": rec.sinkhorn_sweeps, "functional": rec.functional,
                          "delta_K_frobenius": float(np.linalg.norm(Ks - K)), "delta_K_max": float(np.max(np.abs(Ks - K))),
                          "delta_S_J_max": float(np.max(np.abs(after - before))),
                          "max_phase_change": rec.max_phase_change,
                          "unitarity_residual_after": unitarity_residual(Ks),
                          "marginal_errors_after": float(max(np.max(np.abs(m)) for m in marginal_errors(Ks))),
                          "eta_sum_before": eta_sum(before), "eta_sum_after": eta_sum(after)},
            "waves": {int(J): {"S_J": [float(b.real), float(b.imag)], "abs_after": float(abs(x))}
                      for J, b, x in zip(spins[:5], before, after)}}


def run(a) -> int:
    """Bad input raises BadInput (exit 2 through smatrix.cli.main); no amplitude: exit 4."""
    if not a.s > 4:
        raise BadInput(f"--s must be above threshold (s > 4), got {a.s}")
    if a.lmax < 0 or (a.lmax + 1) * (2 * a.lmax + 1) > MAX_NODES:
        raise BadInput(f"--lmax must be in 0…{MAX_LMAX} (a dense kernel of N² entries), got {a.lmax}")
    if a.steps < 0 or a.step_size < 0 or a.epsilon < 0:
        raise BadInput("--steps, --step-size and --epsilon must be ≥ 0")
    amp, info = _amplitude(a)
    if amp is None:
        from .main import EXIT_FAILED
        print(f"failed: the {a.amplitude} amplitude was not obtained ({info['status']}: {info['message']})",
              file=sys.stderr)
        return EXIT_FAILED
    rep = {"command": "qotam", "amplitude": a.amplitude, **info,
           **qotam_report(amp, a.s, a.lmax, a.steps, a.step_size, a.epsilon)}
    if a.json:
        print(json.dumps(rep))
        return 0
    it = rep["iteration"]
    print(f"qotam  {a.amplitude}  s = {a.s:g}  rule {rep['rule']['n_theta']}×{rep['rule']['n_phi']} "
          f"({rep['rule']['nodes']} nodes, exact for J ≤ {a.lmax})")
    if info:
        print(f"  amplitude      : c0/32π = {info['c0_over_32pi']:.8g}, certified {info['certified']} ({info['status']})")
    print(f"  optical defect : Σ(2J+1)η_J = {rep['optical_defect']:.10g}  (from T, no projection)")
    print(f"  plan deficit   : 4π(1 − Σ_j|K_ji|²)/w_i ∈ [{rep['deficit_at_nodes']['min']:.10g}, "
          f"{rep['deficit_at_nodes']['max']:.10g}], max |· − defect| = {rep['deficit_at_nodes']['max_abs_minus_defect']:.1e}")
    print(f"  kernel         : max|S†S − 1| = {rep['unitarity_residual']:.2e}; marginal errors out "
          f"{rep['marginal_errors']['out']:.1e}, in {rep['marginal_errors']['in']:.1e}; "
          f"waves vs the amplitude's own {rep['kernel_waves_vs_own']:.1e}")
    print(f"  iteration      : {it['steps']} steps (η = {it['step_size']:g}, ε = {it['epsilon']:g}); ‖ΔK‖_F = "
          f"{it['delta_K_frobenius']:.2e}, max|ΔK| = {it['delta_K_max']:.2e}, max|ΔS_J| = {it['delta_S_J_max']:.2e}, "
          f"max phase change {it['max_phase_change']:.1e}")
    print(f"                   after: max|S†S − 1| = {it['unitarity_residual_after']:.2e}, marginal errors "
          f"{it['marginal_errors_after']:.1e}; Σ_(J≤{a.lmax})(2J+1)η_J {it['eta_sum_before']:.6g} → {it['eta_sum_after']:.6g}")
    return 0
