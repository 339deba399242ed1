"""`smatrix 2prr --screen-jmax K`: the Aks-screened amplitude (P2 §5.1), its Result, figures and
the screening bounds of §5.2 (called from twoprr.cli after the shared input checks)."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

EXIT_FAILED = 4


def run_screen(a, ladder: tuple[int, ...]) -> int:
    """Execute the screening run (ValueError → the caller's one-line bad-input error, exit 2)."""
    from smatrix.twoprr.screen_run import ScreenRunConfig, run_screening

    if a.init is not None or a.eta_out is not None:
        raise ValueError("--init and --eta-out are for 2PRR amplitudes, not with --screen-jmax")
    cfg = ScreenRunConfig(c0=float(a.c0), jmax=a.screen_jmax, n=a.n, s_max=float(a.smax), ladder=ladder,
                          norm=a.screen_norm, lam=float(a.screen_lambda))
    cfg.validate()
    run = run_screening(cfg, progress=True)
    d = run.result.to_dict()
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "result.json").write_text(json.dumps(d, default=float, indent=1))
        st = run.system.unpack(run.x, cfg.c0)
        np.savez(out / "screened.npz", x=run.x, c1=st.c1, rho_el=st.el, rho_mp=run.system.mp_matrix(run.x[run.system.n_square:]),
                 nodes=run.system.grid.nodes)
        if not a.no_plots:
            from smatrix.twoprr.aks_bounds import plot_bounds
            from smatrix.twoprr.screen_figures import plot_rho_mp, plot_screened_waves
            amp = run.amplitude or run.system.amplitude(run.x, cfg.c0)
            plot_screened_waves(amp).savefig(out / "screened_waves.png", dpi=110)
            plot_rho_mp(amp).savefig(out / "rho_mp.png", dpi=110)
            plot_bounds().savefig(out / "screening_bounds.png", dpi=110)
    _print(d, a.json)
    if run.result.status != "converged":
        print(f"not-converged: {run.result.message}", file=sys.stderr)
        return EXIT_FAILED
    if not run.result.certified:
        print(f"warning: the screened amplitude (J_max = {cfg.jmax}) is not certified ({run.result.message})",
              file=sys.stderr)
    return 0


def _print(d: dict, as_json: bool) -> None:
    e = d.get("extra") or {}
    if as_json:
        slim = {k: v for k, v in d.items() if k not in ("extra", "certificate")}
        for key in ("jmax", "c2_error", "c2_finest", "c2_last_iterate", "residual_2prr", "residual_screen",
                    "max_abs_S2_minus_1", "rho_mp_norm", "rho_mp_column", "unscreened_eta", "eta_mp_range",
                    "screening_exact", "regularisation", "rungs", "tau_reached"):
            if key in e:
                slim[key] = e[key]
        if d.get("certificate"):
            slim["screening_certificate"] = d["certificate"]["details"].get("screening")
        print(json.dumps(slim, default=float))
        return
    print(f"2prr screened  c0/π = {d['c0'] / math.pi:.6g}  J_max = {e.get('jmax')}  status = {d['status']}")
    if d["c2"] is not None:
        print(f"  c2          : {d['c2']:.7f} ± {e.get('c2_error') or float('nan'):.1e}  (finest grid "
              f"{e.get('c2_finest'):.7f}; Richardson over n = {d['config']['ladder']})")
    else:
        print(f"  {d['message']}")
        print(f"  c2 (last iterate, not a result): {e.get('c2_last_iterate'):.7f}; homotopy reached τ = "
              f"{e.get('tau_reached', float('nan')):.4g} of 1")
    print(f"  residuals   : 2PRR rows {e.get('residual_2prr'):.1e}, screening rows {e.get('residual_screen'):.1e}")
    for J, v in (e.get("max_abs_S2_minus_1") or {}).items():
        print(f"  ||S_{J}|²−1| : {v['nodes']:.1e} at the nodes s > 16, {v['between_nodes']:.1e} between them")
    col = e.get("rho_mp_column") or {}
    print(f"  ‖ρ_MP‖      : {e.get('rho_mp_norm'):.4g} ({e['regularisation']['norm']} norm, λ = "
          f"{e['regularisation']['lambda']:g}); column s = {col.get('s', float('nan')):.4g}: "
          f"{col.get('norm', float('nan')):.4g}  (B(s)^J_max = {col.get('B_pow_jmax', float('nan')):.4g})")
    for J, v in (e.get("unscreened_eta") or {}).items():
        print(f"  η_{J} (free)  : [{v['eta_min']:.1e}, {v['eta_max']:.2e}]")
    dense = (d.get("certificate") or {}).get("details", {}).get("screening")
    if dense:
        worst = {J: r["eta_min"] for J, r in dense["spins"].items() if not r["screened"]}
        print(f"  dense check : {dense['points']} energies above 16 ({dense['per_cell']} per cell): "
              f"{'passed' if dense['passed'] else 'FAILED'}; η_J ≥ 0 held at {dense['eta_rows_held']} energies; "
              f"min η_J of the free spins {min(worst.values(), default=float('nan')):.1e}")
    print(f"  certified   : {d['certified']}  {d['message']}")
    print(f"  seconds     : {d['seconds']:.1f}")
