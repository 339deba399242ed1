"""CLI of saved results: `--out DIR` on the computing commands, `smatrix show DIR` (the result and
a re-run certificate), `smatrix plot DIR` (PNG/PDF figures) and `smatrix table DIR` (S_J(s) for
Mathematica)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from smatrix.errors import BadInput

PLOTS = ("modulus", "argand", "phase", "rho", "regge", "w")


def add_out_option(p) -> None:
    """--out DIR: save result.json + data.npz there (checked before the computation starts)."""
    p.add_argument("--out", dest="save_dir", default=None, metavar="DIR",
                   help="save the result (result.json, data.npz: amplitude or multiplier) in DIR; "
                        "reload with `smatrix show DIR` or Result.load(DIR)")


def check_save_dir(a) -> None:
    if getattr(a, "save_dir", None) is not None:
        from smatrix.saved import check_out_dir
        check_out_dir(a.save_dir)


def save_if_asked(a, res) -> None:
    """Save `res` where --out says (a result without a value is saved too: its status and message)."""
    if getattr(a, "save_dir", None) is not None:
        res.save(a.save_dir)


def add_parsers(sub) -> None:
    sh = sub.add_parser("show", help="print a result saved with --out DIR and re-run its certificate")
    sh.add_argument("dir", metavar="DIR")
    sh.add_argument("--no-recertify", action="store_true", help="only print the stored result")
    sh.add_argument("--json", action="store_true")
    pl = sub.add_parser("plot", help="figures of a saved result: |S_J|, Argand, phase shifts, ρ, Regge tail, w")
    pl.add_argument("dir", metavar="DIR")
    pl.add_argument("--kind", default=None, help=f"comma list of {', '.join(PLOTS)} (default: all that apply)")
    pl.add_argument("--spins", default="0", help="spins for |S_J| and phase shifts (default 0)")
    pl.add_argument("--format", default="png", choices=["png", "pdf", "svg"])
    pl.add_argument("--json", action="store_true")
    tb = sub.add_parser("table", help="S_J(s) of a saved amplitude as high-precision strings (.m, .tsv, .csv)")
    tb.add_argument("dir", metavar="DIR")
    tb.add_argument("--file", required=True, help="output file: .m (Mathematica, precision marks), .tsv or .csv")
    tb.add_argument("--spins", default="0")
    tb.add_argument("--points", type=int, default=200, help="energies geometric in s − 4 on [1e-8, 1e8]")
    tb.add_argument("--json", action="store_true")


def _spins(text: str) -> list[int]:
    try:
        spins = [int(x) for x in text.split(",")]
    except ValueError:
        raise BadInput(f"--spins: expected even integers like 0,2,4, got {text!r}") from None
    if any(J < 0 or J % 2 for J in spins):
        raise BadInput(f"--spins: identical scalars have even spins ≥ 0 only, got {text!r}")
    return spins


def run_command(a, print_result) -> int:
    from smatrix.result import Result
    res = Result.load(a.dir)
    if a.command == "show":
        return _show(a, res, print_result)
    if a.command == "plot":
        return _plot(a, res)
    return _table(a, res)


def _show(a, res, print_result) -> int:
    re = None
    if not a.no_recertify and res.value is not None:
        from smatrix.sdp.recertify import recertify
        re = recertify(res)
    if a.json:
        d = res.to_dict()
        d.pop("extra", None)
        print(json.dumps({**d, "recertified": re}, default=float))
    else:
        print_result(res, False)
        if re is not None:
            verdict = "passed" if re["passed"] else ("FAILED (stored: certified)" if res.certified else
                                                      "not passed, as stored (the result is not certified)")
            print(f"  re-run      : {verdict}  ({re['quantity']} = {re['value']:.6e}, "
                  f"stored {re['stored'] if re['stored'] is None else format(re['stored'], '.6e')})")
        prov = res.provenance or {}
        print(f"  provenance  : smatrix-bootstrap {prov.get('version')} (git {prov.get('git_revision')}), "
              f"host {(prov.get('host') or {}).get('node')}")
    return 4 if re is not None and res.certified and not re["passed"] else 0   # a certificate that no longer holds


def _plot(a, res) -> int:
    from smatrix import plots
    amp = res.amplitude
    dual = res.bound_kind == "dual (rigorous)"
    kinds = PLOTS if a.kind is None else tuple(a.kind.split(","))
    bad = [k for k in kinds if k not in PLOTS]
    if bad:
        raise BadInput(f"--kind: unknown plot {bad[0]!r}; choose from {', '.join(PLOTS)}")
    if a.kind is None:
        kinds = ("w",) if dual else tuple(k for k in PLOTS if k != "w" and not (k in ("rho", "regge")
                                                                            and res.model == "full"))
    if (amp is None and any(k != "w" for k in kinds)) or (not dual and "w" in kinds):
        raise BadInput(f"{a.dir}: a {res.bound_kind} result; plots available: {'w' if dual else ', '.join(PLOTS[:-1])}")
    spins = _spins(a.spins)
    files = {}
    for k in kinds:
        if k == "w":
            from smatrix.sdp.recertify import dual_multiplier
            cutoff = float(res.config["cutoff"])
            s = 4.0 + np.geomspace(1e-6, cutoff - 4.0, 800)
            fig = plots.plot_dual_multiplier(s, dual_multiplier(res, s), cutoff)
        else:
            fig = {"modulus": lambda: plots.plot_partial_wave_modulus(amp, spins),
                   "argand": lambda: plots.plot_argand(amp, spins[0]),
                   "phase": lambda: plots.plot_phase_shifts(amp, spins),
                   "rho": lambda: plots.plot_spectral_density(amp),
                   "regge": lambda: plots.plot_regge_tail(amp)}[k]()
        path = Path(a.dir) / f"{k}.{a.format}"
        fig.savefig(path)
        files[k] = str(path)
    print(json.dumps({"files": files}) if a.json else "\n".join(f"  {k:8s} {p}" for k, p in files.items()))
    return 0


def _table(a, res) -> int:
    from smatrix.table import s_matrix_columns, write_table
    out = Path(a.file)
    if out.suffix not in (".m", ".tsv", ".csv") or not out.parent.is_dir() or out.is_dir():
        raise BadInput(f"--file {out}: need a .m, .tsv or .csv file in an existing directory")
    amp = res.amplitude
    if amp is None:
        raise BadInput(f"{a.dir}: no amplitude saved (a {res.bound_kind} result)")
    if a.points < 2:
        raise BadInput(f"--points must be ≥ 2, got {a.points}")
    spins = _spins(a.spins)
    s = 4.0 + np.geomspace(1e-8, 1e8, a.points)
    mp_coef = (res.extra or {}).get("coefficients_mp")
    cols, digits = s_matrix_columns(amp, s, spins, mp_coef, int(res.config.get("digits", 60)))
    path = write_table(a.file, cols, digits, spins)
    info = {"file": str(path), "rows": int(s.size), "digits": digits, "spins": spins}
    print(json.dumps(info) if a.json else f"  table       : {path} ({s.size} rows, {digits} digits, S_J for J = "
                                           f"{', '.join(map(str, spins))})")
    return 0


__all__ = ["add_out_option", "check_save_dir", "save_if_asked", "add_parsers", "run_command"]
