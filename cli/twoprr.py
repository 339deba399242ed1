"""`smatrix 2prr`: the 2PRR amplitude at a given c0 (classical Newton solver), its certificate,
c2 with its Richardson error, η_J(s) for injection, the saved amplitude and figures."""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

from .args import ints_arg as _ints, number_arg as _number

EXIT_FAILED = 4




def add_parser(sub) -> None:
    p = sub.add_parser("2prr", help="2PRR amplitude from the Mandelstam equation at fixed c0 (P2 §2–4)")
    p.add_argument("--c0", type=_number, required=True, help="subtraction constant, e.g. 40pi")
    p.add_argument("--n", type=int, default=48, help="nodes of the s/t grid (default 48)")
    p.add_argument("--smax", type=_number, default=1e8, help="cutoff s_max of the grid (default 1e8)")
    p.add_argument("--ladder", type=_ints, default=None,
                   help="resolutions for the Richardson estimate of c2, ending at N (default ⅔N, ⅚N, N)")
    p.add_argument("--method", default="newton", choices=["newton", "nn"],
                   help="solver: classical Newton (default) or the neural solver of P2 §3, polished by Newton")
    p.add_argument("--init", default=None, metavar="FILE",
                   help="hot start from a saved solution (.npz); with --method nn also a neural checkpoint (.pt)")
    p.add_argument("--nn-stages", type=_ints, default=None,
                   help="--method nn: grid sizes of the training stages, ending at --n (default 24,32,N)")
    p.add_argument("--nn-epochs", type=int, default=800, help="--method nn: Adam epochs per stage (default 800)")
    p.add_argument("--nn-lbfgs", type=int, default=2000,
                   help="--method nn: L-BFGS iterations per stage after Adam (default 2000; 0: none)")
    p.add_argument("--nn-lm", type=int, default=0,
                   help="--method nn: Levenberg–Marquardt steps in parameter space per stage after L-BFGS (default 0)")
    p.add_argument("--checkpoint", default=None, metavar="FILE",
                   help="--method nn: write the networks' checkpoint there (default DIR/checkpoint.pt with --out)")
    p.add_argument("--eta-out", default=None, metavar="FILE",
                   help="write η_J(s), J ≤ 10, in the inelasticity schema (docs/inelasticity.md)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write result.json, solution.npz (reload with --init), eta.json and the figures")
    p.add_argument("--no-plots", action="store_true", help="with --out: skip the figures")
    p.add_argument("--screen-jmax", type=int, default=None, metavar="K",
                   help="Aks screening (P2 §5.1): |S_J|² = 1 for J ≤ K (K = 0: quasi-elastic; K ≥ 2: ρ_MP free)")
    p.add_argument("--screen-norm", default="xy", choices=["xy", "xi"],
                   help="with --screen-jmax: L2 norm of ρ_MP minimised, in (4/s, 4/t) or (ξ_s, ξ_t)")
    p.add_argument("--screen-lambda", type=_number, default=0.0,
                   help="with --screen-jmax: Tikhonov weight λ (0 = minimum-norm exact screening)")
    p.add_argument("--json", action="store_true")


def default_ladder(n: int) -> tuple[int, ...]:
    """(⅔N, ⅚N, N) rounded, at least 12 and strictly increasing."""
    rungs = sorted({max(12, round(2 * n / 3)), max(12, round(5 * n / 6)), n})
    return tuple(r for r in rungs if r <= n)


def _check_outputs(a) -> None:
    """Output paths are checked before any work (one-line errors)."""
    if a.out is not None:
        out = Path(a.out)
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out}: exists and is not a directory")
        parent = out if out.exists() else out.parent
        if not os.access(parent if str(parent) else ".", os.W_OK):
            raise ValueError(f"--out {out}: cannot write there")
    if a.eta_out is not None:
        path = Path(a.eta_out)
        if path.is_dir():
            raise ValueError(f"--eta-out {path}: is a directory")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise ValueError(f"--eta-out {path}: directory {parent} does not exist or is not writable")


def run(a) -> int:
    """Execute `smatrix 2prr` (ValueError → the caller's one-line bad-input error)."""
    from smatrix.twoprr.run import RunConfig, eta_profile, run_2prr
    from smatrix.twoprr.solver import Solution

    if not math.isfinite(a.c0) or a.c0 < 0:
        raise ValueError(f"--c0 must be ≥ 0 (2PRR amplitudes are built for c0 ≥ 0), got {a.c0:g}")
    ladder = a.ladder or default_ladder(a.n)
    if ladder[-1] != a.n:
        raise ValueError(f"--ladder must end at --n {a.n}, got {','.join(map(str, ladder))}")
    cfg = RunConfig(c0=float(a.c0), n=a.n, s_max=float(a.smax), ladder=tuple(ladder))
    try:
        cfg.validate()
    except ValueError as exc:
        raise ValueError(str(exc).replace("n ≥ 12", "--n/--ladder ≥ 12").replace("s_max", "--smax")) from None
    _check_outputs(a)
    if a.screen_jmax is None and (a.screen_norm != "xy" or a.screen_lambda != 0):
        raise ValueError("--screen-norm and --screen-lambda need --screen-jmax")
    if a.screen_jmax is not None:
        if a.method == "nn":
            raise ValueError("--screen-jmax runs with the classical solver (--method newton)")
        from .screen import run_screen
        return run_screen(a, tuple(ladder))
    if a.method == "nn":
        from smatrix.neural.twoprr_solver import neural_init
        init, nn_report, nn_history = neural_init(a, cfg)
    else:
        init, nn_report, nn_history = (Solution.load(a.init) if a.init else None), None, None
    run_ = run_2prr(cfg, init=init, progress=True)
    res = run_.result
    if nn_report is not None:
        res.method = "2prr-nn"
        res.extra["nn"] = nn_report
        res.seconds += nn_report["seconds"]          # the whole amplitude: training + polish
    d = res.to_dict()
    if run_.amplitude is None:
        _print(d, a.json)
        print(f"not-converged: {res.message}", file=sys.stderr)
        return EXIT_FAILED
    profile = eta_profile(run_.amplitude, run_.system)
    profile.meta.update(command=f"smatrix 2prr --c0 {a.c0:.17g} --n {a.n} --smax {a.smax:g} "
                                f"--ladder {','.join(map(str, ladder))}", c2_error=res.extra.get("c2_error"),
                        certified=res.certified)
    if a.eta_out:
        profile.save(a.eta_out)
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        run_.solution.save(out / "solution.npz")
        profile.save(out / "eta.json")
        (out / "result.json").write_text(json.dumps(d, default=float, indent=1))
        if not a.no_plots:
            from smatrix.twoprr.figures import FIGURES
            for name, fig in FIGURES.items():
                f = fig(run_.amplitude, res.extra["regge"]) if name == "regge.png" else fig(run_.amplitude)
                f.savefig(out / name, dpi=110)
            if nn_history is not None:
                from smatrix.neural.twoprr_solver import loss_history_figure
                loss_history_figure(nn_history).savefig(out / "loss_history.png", dpi=110)
    _print(d, a.json)
    if not res.certified:
        print(f"warning: the 2PRR amplitude at c0/π = {a.c0 / math.pi:.4g} is not certified ({res.message})",
              file=sys.stderr)
    return 0


def _print(d: dict, as_json: bool) -> None:
    if as_json:
        slim = {k: v for k, v in d.items() if k != "extra"}
        extra = d.get("extra") or {}
        for key in ("c2_error", "eta_peak", "c2_finest", "residual", "c3", "eta0_peak_s", "nn"):
            slim[key] = extra.get(key)
        if extra.get("regge"):
            slim["regge"] = {k: extra["regge"].get(k) for k in ("T_inf", "k", "gamma", "re_f0_positive",
                                                                "re_f0_decaying")}
        print(json.dumps(slim, default=float))
        return
    extra = d.get("extra") or {}
    print(f"2prr  c0 = {d['c0']:.10g} (c0/π = {d['c0'] / math.pi:.6g})  status = {d['status']}")
    if d["c2"] is None:
        print(f"  {d['message']}")
        return
    cert = (d.get("certificate") or {}).get("details", {})
    print(f"  c2          : {d['c2']:.8f} ± {extra.get('c2_error') or float('nan'):.1e}  "
          f"(finest grid {extra.get('c2_finest'):.8f}; Richardson over n = {d['config']['ladder']})")
    peaks = extra.get("eta_peak") or {}
    print("  peak η_J    : " + "  ".join(f"J={J}: {v:.4g}" for J, v in peaks.items()))
    print(f"  residuals   : Mandelstam {cert.get('mandelstam_residual', float('nan')):.1e}, spin 0 "
          f"{cert.get('spin0_residual', float('nan')):.1e} (grid); kernel re-check {cert.get('kernel_mismatch', 0):.1e}")
    print(f"  unitarity   : ||S_J|²−1| ≤ {cert.get('elastic_max_abs', float('nan')):.1e} on 4<s<16 (J=2…10), "
          f"max(|S_J|²−1) = {cert.get('inelastic_max', float('nan')):.1e} on s>16, "
          f"η ∈ [{cert.get('eta_min', float('nan')):.1e}, {cert.get('eta_max', float('nan')):.3g}]")
    r = extra.get("regge") or {}
    if r.get("T_inf") is not None:
        print(f"  Regge       : |T(s,−1)| → T∞ = {r['T_inf']:.3g} (γ = {r['gamma']:.2g}); Re f0 > 0: "
              f"{r['re_f0_positive']}, decaying: {r['re_f0_decaying']}")
    nn = extra.get("nn")
    if nn:
        print(f"  neural      : before polish c2 = {nn['c2_nn']:.8f}, max |F| = {nn['residual_nn']:.1e} "
              f"(n = {nn['n']}, {nn['seconds']:.0f} s); polished c2 = {extra.get('c2_finest'):.8f}, "
              f"max |F| = {extra.get('residual'):.1e}")
    print(f"  certified   : {d['certified']}")
    print(f"  seconds     : {d['seconds']:.1f}")
