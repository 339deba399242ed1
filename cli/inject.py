"""`smatrix inject`: the η_J(s) of a 2PRR amplitude injected into the full-model primal for a list of
J_min (P2 Tables 2–3) and Nmax, with certificates, timings and (min-c2, `--solution`) the comparison
with the 2PRR amplitude (P2 Figs. 29–31). Exit codes: 0 done (each row says whether it is
certified), 2 bad input, 3 infeasible (a profile with η_J = 1: S_J = 0), 4 a row had no solution."""
from __future__ import annotations

import json
import math
import os
import re
import sys
from pathlib import Path

from smatrix.errors import BadInput
from .args import ints_arg as _ints, number_arg as _number

EXIT_INFEASIBLE = 3
EXIT_FAILED = 4


def add_parser(sub) -> None:
    p = sub.add_parser("inject", help="η_J of a 2PRR amplitude injected into the full-model primal "
                                      "for a list of J_min (P2 §5.3, Tables 2–3)")
    # `--jmin-list -1,0,2` (P2's J_min = −1 first): let argparse read "-1,0,2" as a value, not an option
    p._negative_number_matcher = re.compile(r"^-\d+(,-?\d+)*$")
    p.add_argument("--eta", required=True, metavar="FILE", help="η_J(s) profile (smatrix 2prr --eta-out / --out)")
    p.add_argument("--objective", default="max-c0", choices=["max-c0", "min-c2"])
    p.add_argument("--c0", type=_number, default=None,
                   help="the profile's coupling, checked against its meta c0 (default: meta c0); fixed for min-c2")
    p.add_argument("--jmin-list", type=_ints, default=(-1, 0, 2, 4, 6, 8, 10),
                   help="η_J imposed for even J ≤ J_min (P2 eq. 80); −1 = elastic (default -1,0,2,4,6,8,10)")
    p.add_argument("--nmax", type=_ints, default=(8, 10, 12), help="ansatz sizes (default 8,10,12)")
    p.add_argument("--grid", type=int, default=300, help="unitarity grid points (default 300)")
    p.add_argument("--jmax", type=int, default=16,
                   help="unitarity imposed for even J ≤ JMAX at the start (default 16); the refinement imposes "
                        "the spins above where the certificate finds violations, up to --jmax-limit")
    p.add_argument("--jmax-limit", type=int, default=32, help="the largest spin the refinement imposes (default 32)")
    p.add_argument("--svd-cutoff", type=float, default=1e-8,
                   help="one reduced space for every J_min, so the problems are nested (default 1e-8)")
    p.add_argument("--rounds", type=int, default=5,
                   help="shared refinement rounds per Nmax: the union of the points every row's certificate "
                        "asks for, re-solved for all rows (default 5; 0: grid and profile nodes only)")
    p.add_argument("--per-round", type=int, default=12,
                   help="violation peaks each uncertified row adds per round (default 12)")
    p.add_argument("--tolerance", type=float, default=1e-6,
                   help="certificate tolerance on |S_J|² − 1 and on |S_J|² − 1 + η_J (default 1e-6)")
    p.add_argument("--eta-extend", default="auto", choices=["auto", "error", "zero", "hold"],
                   help="η outside the profile's energies (default auto: zero where η_J has decayed below "
                        "1e-3 at both ends, as η_J → 0 for s → ∞; else an error)")
    p.add_argument("--solution", default=None, metavar="FILE",
                   help="min-c2: the 2PRR solution.npz that produced η, for the comparison (Figs. 29–31)")
    p.add_argument("--out", default=None, metavar="DIR", help="write table.json, table.md and the figures")
    p.add_argument("--no-plots", action="store_true", help="with --out: skip the figures")
    p.add_argument("--json", action="store_true")


def _check_out(out: str | None) -> None:
    if out is None:
        return
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise BadInput(f"--out {path}: exists and is not a directory")
    parent = path if path.exists() else path.parent
    if not os.access(parent if str(parent) else ".", os.W_OK):
        raise BadInput(f"--out {path}: cannot write there")


def markdown_table(table: dict) -> str:
    """The table as markdown: one column per Nmax of the certified values (`nested_value`: the best
    certified amplitude of this or a later row, which is feasible here too), the changes between
    consecutive Nmax, and per
    row the certificate of the final solve (✓ = passed at the tolerance), its worst re-measured max(|S_J|² − 1, |S_J|² − 1 + η_J),
    the imposed points, the imposed spin cut and the seconds of the last solve, each "a / b / c" over the Nmax."""
    obj = table["objective"]
    head = "max c0/32π" if obj == "max-c0" else f"min c2 (c0/π = {table['c0_over_pi']:.6g})"
    nmaxs = sorted({r["nmax"] for r in table["rows"]})
    tol = next((r["tolerance"] for r in table["rows"] if r["tolerance"] is not None), None)
    diffs = [f"{b} − {a}" for a, b in zip(nmaxs, nmaxs[1:])]
    lines = ["| J_min | " + " | ".join(f"{head}, Nmax {n}" for n in nmaxs) + "".join(f" | {d}" for d in diffs)
             + f" | certified at {_g(tol)} | max violation | points | J ≤ | s |",
             "|---|" + "---|" * (len(nmaxs) + len(diffs) + 5)]
    for jmin in sorted({r["jmin"] for r in table["rows"]}):
        rs = [next(r for r in table["rows"] if r["nmax"] == n and r["jmin"] == jmin) for n in nmaxs]
        vals = [_value_cell(r) for r in rs]
        steps = ["—" if a.get("nested_value") is None or b.get("nested_value") is None
                 else f"{b['nested_value'] - a['nested_value']:+.1e}" for a, b in zip(rs, rs[1:])]
        worst = [max((v for v in (r["max_unitarity_violation"], r["max_inelasticity_violation"]) if v is not None),
                     default=None) for r in rs]
        # failed although J ≤ J_max + 4 pass: an unimposed wave checked one by one ("high J", up to 200)
        # or the optical all-spin tail (higher spins) is super-unitary
        worst = [_e(w) + (("" if r.get("high_spins_max") is None or r["high_spins_max"] <= r["tolerance"]
                           else f" (high J {_e(r['high_spins_max'])})") or " (tail)"
                          if w is not None and not r["certified"] and w <= r["tolerance"] else "")
                 for w, r in zip(worst, rs)]
        lines.append(f"| {jmin} | " + " | ".join(vals + steps) + " | "
                     + " / ".join("✓" if r["certified"] else "✗" for r in rs) + " | "
                     + " / ".join(worst) + " | "
                     + " / ".join(str(r.get("points") or "—") for r in rs) + " | "
                     + " / ".join(_spin_cell(r) for r in rs) + " | "
                     + " / ".join(f"{r['seconds']:.0f}" for r in rs) + " |")
    return "\n".join(lines)


def _spin_cell(r: dict) -> str:
    """The imposed spin cut, and the band above it with its energy window: "32 + 68 @ 3.5e3–5.3e5"."""
    band = r.get("spin_band")
    cut = str(r.get("jmax") or "—")
    return cut if not band else f"{cut} + {band[0]} @ {band[1]:.1e}–{band[2]:.1e}"


def _value_cell(r: dict) -> str:
    """The row's certified value (`nested_value`, `smatrix.crosscheck.inject.nested_values`); when it
    is not the row's final solve (another row J' ≥ J_min, or an earlier refinement round of this
    row) also where it comes from and the final solve's value; when nothing is certified, the
    final value marked uncertified."""
    own = "—" if r["value"] is None else f"{r['value']:.7f}"
    if r.get("nested_value") is None:
        return f"({own}, uncertified)"
    if r["nested_from"] == r["jmin"] and r["certified"] and f"{r['nested_value']:.7f}" == own:
        return own
    where = "earlier round" if r["nested_from"] == r["jmin"] else f"row {r['nested_from']}"
    return f"{r['nested_value']:.7f} ({where}; final {own})"


def _g(x) -> str:
    return "—" if x is None else f"{x:g}"


def _e(x) -> str:
    return "—" if x is None else f"{x:.1e}"


def run(a) -> int:
    """Execute `smatrix inject` (BadInput → the caller's one-line exit 2; a profile with η_J = 1 →
    one line `infeasible: …`, exit 3)."""
    from smatrix.crosscheck.inject import TotalAbsorption
    try:
        return _run(a)
    except TotalAbsorption as exc:
        print(f"infeasible: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE


def _run(a) -> int:
    from smatrix.crosscheck.inject import (C0_MATCH, InjectConfig, compare_amplitudes, injection_table, load_2prr_amplitude,
                         load_injection_profile)

    _check_out(a.out)
    cfg = InjectConfig(eta=a.eta, objective=a.objective, c0=a.c0, jmins=a.jmin_list, nmaxs=a.nmax, grid=a.grid,
                       jmax=a.jmax, jmax_limit=a.jmax_limit, svd_cutoff=a.svd_cutoff, eta_extend=a.eta_extend, rounds=a.rounds, per_round=a.per_round,
                       tolerance=a.tolerance, eta_tolerance=a.tolerance)
    cfg.validate()
    twoprr = None
    if a.solution is not None:
        if a.objective != "min-c2":
            raise BadInput("--solution: the comparison is with the min-c2 optima at the profile's c0 (P2 §5.3)")
        twoprr = load_2prr_amplitude(a.solution)
        _, c0 = load_injection_profile(a.eta, a.c0, max(a.jmin_list), a.eta_extend)
        if c0 is None or abs(twoprr.c0 - c0) > C0_MATCH * twoprr.c0:
            raise BadInput(f"--solution {a.solution}: 2PRR amplitude at c0/π = {twoprr.c0 / math.pi:.6g}, the "
                           f"profile at {'unknown c0' if c0 is None else format(c0 / math.pi, '.6g')}")

    def say(r: dict) -> None:
        """Each solved row as it finishes (on stderr under --json, whose stdout is the one JSON line)."""
        value = '—' if r['value'] is None else format(r['value'], '.7f')
        print(f"  Nmax {r['nmax']:2d}  J_min {r['jmin']:3d}  {r['points']} points  J ≤ {_spin_cell(r)}  {value}  "
              f"certified {r['certified']}  |S|²−1 {_e(r['max_unitarity_violation'])}  "
              f"|S|²−1+η {_e(r['max_inelasticity_violation'])}  {r['seconds']:.0f} s",
              file=sys.stderr if a.json else sys.stdout, flush=True)
    table = injection_table(cfg, progress=say)
    amplitudes = table.pop("amplitudes")
    comparison = compare_amplitudes(amplitudes, twoprr) if twoprr is not None else None
    summary = dict(table)
    if comparison is not None:
        summary["comparison"] = {"twoprr_c2": comparison["twoprr"]["c2"],
                                 "runs": [{k: r[k] for k in ("nmax", "jmin", "c2", "agree_forward_up_to",
                                                             "agree_S0_up_to", "max_abs_dS")}
                                          for r in comparison["sdp"]]}
    files = _write(a, table, comparison) if a.out is not None else {}
    summary["files"] = files
    if a.json:
        print(json.dumps(summary, default=float))
    else:
        print(markdown_table(table))
        for k, v in table["checks"]["per_nmax"].items():
            print(f"Nmax {k}: monotone in J_min {v['monotone']}, injected beyond elastic {v['injected_beyond_elastic']}, "
                  f"all certified {v['all_certified']}")
        if comparison is not None:
            for r in summary["comparison"]["runs"]:
                print(f"Nmax {r['nmax']} J_min {r['jmin']}: forward amplitude within 10 % of 2PRR up to s = "
                      f"{r['agree_forward_up_to']}, |ΔS0| ≤ 0.05 up to s = {r['agree_S0_up_to']}")
    return EXIT_FAILED if any(r["value"] is None for r in table["rows"]) else 0


def _write(a, table: dict, comparison: dict | None) -> dict:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"table": str(out / "table.json"), "markdown": str(out / "table.md")}
    (out / "table.json").write_text(json.dumps({**table, "comparison": comparison}, default=float))
    (out / "table.md").write_text(markdown_table(table) + "\n")
    if comparison is not None and not a.no_plots:
        from smatrix.crosscheck.inject_figures import plot_forward, plot_spin0_wave
        top = max(r["jmin"] for r in comparison["sdp"])
        mid = sorted({r["nmax"] for r in comparison["sdp"]})[len({r["nmax"] for r in comparison["sdp"]}) // 2]
        for name, fig in (("spin0_wave.png", plot_spin0_wave(comparison, top)),
                          ("forward_nmax.png", plot_forward(comparison, jmin=top)),
                          ("forward_jmin.png", plot_forward(comparison, nmax=mid))):
            fig.savefig(out / name, dpi=110)
            files[name.removesuffix(".png")] = str(out / name)
    return files
