"""`smatrix` command line (the command layer: parses arguments, dispatches, maps errors to exit codes). Every command accepts --json and then prints exactly one JSON object
as the last line of stdout; errors print a one-line message and exit non-zero (no traceback).

Exit codes (docs/reliability.md): 0 done, 1 the almond's methods disagree, 2 bad input (also a
problem too large for this machine, an output path that cannot be written), 3 infeasible target,
4 the computation failed (solver, sdpb, memory, internal error), 130 interrupted (Ctrl-C).
SMATRIX_DEBUG=1 shows the traceback of an internal error."""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys

from .args import number_arg as _number

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_FAILED = 4
EXIT_INTERRUPTED = 130
EXIT_UNCERTIFIED = 5   # --strict: a value was produced but its certificate did not pass


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def _pair(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected A,B (two numbers), got {text!r}")
    return _number(parts[0]), _number(parts[1])


class _Formatter(argparse.HelpFormatter):
    """Help that shows, for the options a method config holds, the default of that config (the
    single source of the defaults; read only when help is printed)."""

    def _get_help_string(self, action):
        ref = getattr(action, "config_default", None)
        return (action.help or "") + (f" (default {_config_default(*ref)})" if ref else "")


def _config_default(method: str, field: str):
    try:
        from smatrix.registry import get
        return get(method).defaults_resolved()[field]
    except Exception:  # noqa: BLE001 — help text only: a method whose extra is missing
        return f"that of {method}"


def _config_arg(p: argparse.ArgumentParser, flag: str, method: str, field: str, **kw) -> argparse.Action:
    """An option that sets the config field `field` of `method`; not given: the config's default."""
    action = p.add_argument(flag, default=None, **kw)
    action.config_default = (method, field)
    return action


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kw):
        kw.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kw)

    def error(self, message):  # argparse's own errors: one line, exit 2
        if "required: command" in message:
            choices = next(a.choices for a in self._actions if isinstance(a, argparse._SubParsersAction))
            message = f"give a command: {', '.join(choices)} (smatrix COMMAND --help for its options)"
        raise CliError(f"{self.prog}: {message}")


def _bound_parser(sub, name: str, help_text: str, objectives: str) -> argparse.ArgumentParser:
    """A subcommand with the options every bound shares: model, objective, fixed c0."""
    p = sub.add_parser(name, help=help_text)
    p.add_argument("--model", default="zero-ddisc", choices=["zero-ddisc"])
    p.add_argument("--objective", default="max-c0", help=objectives)
    p.add_argument("--c0", type=_number, default=None, help="fixed c0 for the c2 objectives (e.g. 28pi)")
    return p


class _Version(argparse.Action):
    """--version: package version, git revision, libraries and host (smatrix.provenance)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from smatrix.provenance import version_text
        print(version_text())
        parser.exit(0)


def _add_strict(*parsers) -> None:
    for p in parsers:
        p.add_argument("--strict", action="store_true",
                       help=f"exit {EXIT_UNCERTIFIED} when the result is not certified (default: exit 0 with a warning)")
        p.add_argument("--threads", type=int, default=None,
                       help="BLAS/OpenMP/torch threads (default: the free cores, or OMP_NUM_THREADS if set)")


def _uncertified_exit(res, strict: bool) -> int:
    """One line on stderr for a value that is not certified; EXIT_UNCERTIFIED under --strict."""
    if res.value is None or res.certified:
        return 0
    cert = res.certificate or {}
    worst, tol = cert.get("max_unitarity_violation"), cert.get("tolerance")
    failed = [name for name, c in (cert.get("checks") or {}).items()
              if not (c.passed if hasattr(c, "passed") else c.get("passed", True))]
    if isinstance(worst, float) and isinstance(tol, float) and not worst <= tol:
        why = f"max |S|²−1 = {worst:.2e} > {tol:g}"
    elif failed:
        why = f"failed check{'s' if len(failed) > 1 else ''}: {', '.join(failed)}; max |S|²−1 = {worst:.2e} on the checked waves"
    else:
        why = f"status {res.status}"
    print(f"warning: {res.method} value {res.value:.10g} is NOT certified ({why}); "
          f"--strict makes this exit {EXIT_UNCERTIFIED}", file=sys.stderr)
    return EXIT_UNCERTIFIED if strict else 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="smatrix", description="S-matrix bootstrap of identical massive scalars in 4d")
    p.add_argument("--version", action=_Version, nargs=0, help="version, git revision, libraries, host")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, required=True)

    pr = sub.add_parser("primal", help="primal bound (achieved amplitude): zero-ddisc or full model")
    pr.add_argument("--model", default="zero-ddisc", choices=["zero-ddisc", "full"],
                    help="full: ρ-wavelet double products with spins (P2 App. B); wavelet method only")
    pr.add_argument("--method", default=None, choices=["wavelet", "grid"],
                    help="default: wavelet for the c2 objectives, grid for max-c0 (the float64 wavelet stalls "
                         "5.3e-4 below the tip; the spline grid reaches it, docs/convergence.md)")
    pr.add_argument("--objective", default="max-c0", help="max-c0 | min-c2 | max-c2")
    pr.add_argument("--c0", type=_number, default=None, help="fixed c0 for the c2 objectives (e.g. 28pi)")
    _config_arg(pr, "--nmax", "primal-wavelet", "nmax", type=int, help="wavelet centres Σ(Nmax) (wavelet; full: 8)")
    pr.add_argument("--grid", type=int, default=None,
                    help="unitarity grid points (wavelet, full; default 300) or spectral nodes (grid; default 250)")
    pr.add_argument("--no-uv-condition", dest="uv_condition", action="store_false", default=None,
                    help="wavelet: do not impose T(∞) = 0 (shows the UV–IR subtlety of P1 §4.3)")
    pr.add_argument("--no-threshold-term", dest="threshold_term", action="store_false", default=None,
                    help="wavelet: drop the 1/sqrt(4−s) threshold term (only regular thresholds)")
    pr.add_argument("--elements", default=None, choices=["linear", "spline"],
                    help="grid: natural cubic-spline (default) or piecewise-linear h = 1 − Re S0")
    _config_arg(pr, "--refine", "primal-grid", "refine", type=int,
                help="grid: split the segments between s = 5.6 and 10⁴ into this many (--refine 16: ~2200 nodes, "
                     "minutes)")
    _config_arg(pr, "--jmax", "primal-full", "jmax", type=int, help="full: unitarity imposed for even J ≤ JMAX")
    pr.add_argument("--inelasticity", default=None, metavar="FILE",
                    help="η_J(s) profile (JSON/NPZ, docs/inelasticity.md): impose |S_J|² ≤ 1 − η_J")
    pr.add_argument("--jmin", type=int, default=None,
                    help="full: η_J imposed for J ≤ JMIN (default: every spin in the file)")
    pr.add_argument("--eta-extend", default="auto", choices=["auto", "error", "zero", "hold"],
                    help="η outside the file's s range: auto (default: zero if η ≤ 1e-3 at both ends, else "
                         "error), error, zero, or hold the end value")
    pr.add_argument("--svd-cutoff", type=float, default=None,
                    help="full: keep directions above this relative singular value (default: the ladder "
                         "1e-8, 1e-7 until the amplitude is certified)")
    _config_arg(pr, "--solver", "primal-wavelet", "solver", choices=["clarabel", "scs", "cvxopt", "sdpb"],
                help="cvxopt: dense interior point (the grid's default; wavelet and grid); sdpb: matrix "
                     "entries rebuilt in 60 digits, run by the installed sdpb (wavelet)")
    pr.add_argument("--procs", type=int, default=1, help="sdpb ≥ 2.7: run pmp2sdp and sdpb under mpirun -n PROCS")
    pr.add_argument("--sdpb-checkpoint", default=None, metavar="PATH",
                    help="sdpb: keep the final checkpoint at PATH; start from it if it exists (a neighbouring point)")
    _config_arg(pr, "--rounds", "primal-wavelet", "rounds", type=int,
                help="adaptive refinement: up to this many re-solves with the points where the certificate "
                     "found unitarity violated imposed too (0 = a single solve)")
    pr.add_argument("--json", action="store_true")

    du = _bound_parser(sub, "dual", "rigorous dual bound of the zero-ddisc model (Chebyshev dual SDP)",
                       "max-c0 | min-c0 | max-c2 | min-c2 | direction")
    du.add_argument("--direction", type=_pair, default=None, help="A,B: bound A·c0 + B·c2 (objective direction)")
    _config_arg(du, "--cutoff", "dual-sdp", "cutoff", type=_number, help="Λ: support [4, Λ] of the multiplier w")
    _config_arg(du, "--sum-rule", "dual-sdp", "sum_rule", action=argparse.BooleanOptionalAction,
                help="use the sum rule (24) (multiplier ν ≥ 0); --no-sum-rule sets ν = 0")
    _config_arg(du, "--n-cheb", "dual-sdp", "n_cheb", type=int, help="Chebyshev degree of w")
    _config_arg(du, "--nodes", "dual-sdp", "nodes", type=int, help="positivity nodes on [4, ∞)")
    _config_arg(du, "--solver", "dual-sdp", "solver", choices=["clarabel", "scs", "sdpb"],
                help="sdpb: the same SDP at 256 bits (the bound is re-certified from the multiplier either way; "
                     "minutes at the default 800 nodes)")
    du.add_argument("--procs", type=int, default=1, help="sdpb ≥ 2.7: run pmp2sdp and sdpb under mpirun -n PROCS")
    du.add_argument("--sdpb-checkpoint", default=None, metavar="PATH",
                    help="sdpb: keep the final checkpoint at PATH; start from it if it exists (a neighbouring point)")
    du.add_argument("--json", action="store_true")

    nn = _bound_parser(sub, "nn-dual", "neural dual bound of the zero-ddisc model (P1 §4.1)",
                       "max-c0 | min-c2 | max-c2")
    _config_arg(nn, "--epochs", "dual-nn", "epochs", type=int, help="Adam epochs")
    _config_arg(nn, "--lr", "dual-nn", "lr", type=float, help="Adam learning rate (cosine schedule)")
    _config_arg(nn, "--lbfgs", "dual-nn", "lbfgs_steps", type=int, help="L-BFGS steps after Adam (0 = off)")
    _config_arg(nn, "--cutoff", "dual-nn", "cutoff", type=_number, help="Λ: support [4, Λ] of w")
    _config_arg(nn, "--sum-rule", "dual-nn", "sum_rule", action=argparse.BooleanOptionalAction)
    _config_arg(nn, "--seed", "dual-nn", "seed", type=int)
    _config_arg(nn, "--start", "dual-nn", "start", choices=["scratch", "dual-sdp"],
                help="dual-sdp: fit the network to the SDP dual's multiplier of this point first (ignored with --init)")
    nn.add_argument("--checkpoint", default=None, help="save the network here (every 500 epochs and at the end)")
    nn.add_argument("--init", default=None, help="hot start from this checkpoint")
    nn.add_argument("--json", action="store_true")

    bl = sub.add_parser("baseline", help="classical iterations for elastic unitarity at fixed c0 (P1 §7)")
    bl.add_argument("--method", required=True, choices=["fixed-point", "newton"])
    bl.add_argument("--c0", type=_number, required=True)
    _config_arg(bl, "--grid", "baseline-newton", "nodes", type=int, help="spectral nodes")
    _config_arg(bl, "--max-iter", "baseline-newton", "max_iter", type=int)
    bl.add_argument("--continuation", action="store_true",
                    help="newton: reach c0 in steps of π, hot-starting each solve")
    bl.add_argument("--json", action="store_true")

    np_ = sub.add_parser("nn-primal", help="neural primal: an amplitude at fixed c0 with a c2 target, "
                         "Newton-polished and certified (P1 §5.1)")
    np_.add_argument("--c0", type=_number, required=True, help="e.g. 28pi")
    np_.add_argument("--c2", type=_number, required=True, help="target c2")
    np_.add_argument("--ansatz", default="auto", choices=["auto", "regular", "singular"],
                     help="threshold behaviour (57a/b): regular S0(4) = 1 (lower boundary), singular "
                          "S0(4) = −1 (the interior family); auto (default): regular when the target lies within "
                          "1e-4 of the dual lower bound, singular inside, and the other one if the first misses")
    np_.add_argument("--inelastic", action="store_true",
                     help="|S0| = 1 below s = 16 and above --inelastic-max, |S0| ≤ 1 in between (eqs. 70–71)")
    _config_arg(np_, "--inelastic-max", "amplitude-nn", "s_inelastic_max", type=_number,
                help="top of the inelastic window")
    np_.add_argument("--eta-out", default=None, help="write η0(s) here (.json or .npz) for injection into the SDP")
    _config_arg(np_, "--epochs", "amplitude-nn", "epochs", type=int, help="Adam epochs")
    _config_arg(np_, "--lr", "amplitude-nn", "lr", type=float, help="Adam learning rate (cosine schedule)")
    _config_arg(np_, "--gamma", "amplitude-nn", "gamma", type=float, help="weight γ of (c2 − target)² (eq. 61)")
    _config_arg(np_, "--seed", "amplitude-nn", "seed", type=int)
    np_.add_argument("--no-polish", action="store_true", help="report the trained network without the Newton polish")
    np_.add_argument("--compare-dual", action="store_true", help="also compute the dual c2 bounds at this c0")
    np_.add_argument("--checkpoint", default=None, help="save the network here (every 500 epochs and at the end)")
    np_.add_argument("--init", default=None, help="resume (same target) or hot start (other target) from a checkpoint")
    np_.add_argument("--json", action="store_true")

    sd = sub.add_parser("sdpb", help="SDPB files for runs elsewhere (clusters, SDPB 1.0 and ≥ 2.7) and their import")
    sds = sd.add_subparsers(dest="sdpb_command", parser_class=_Parser, required=True)
    ex = _bound_parser(sds, "export", "write an SDP as SDPB input (problem.xml, problem.json) with chart.json",
                       "wavelet/full: max-c0 | min-c2 | max-c2; dual: also min-c0 | direction")
    ex.add_argument("--problem", default="wavelet", choices=["wavelet", "dual", "full"],
                    help="wavelet: zero-ddisc ρ-wavelet primal (60-digit data); dual: zero-ddisc Chebyshev dual; "
                         "full: full-model primal (with --inelasticity: |S_J|² ≤ 1 − η_J)")
    ex.add_argument("--nmax", type=int, default=None, help="wavelet (default 12) / full (default 8) centres")
    _config_arg(ex, "--grid", "primal-wavelet", "grid", type=int, help="unitarity points (wavelet, full)")
    _config_arg(ex, "--jmax", "primal-full", "jmax", type=int, help="full: even spins J ≤ JMAX")
    ex.add_argument("--inelasticity", default=None, metavar="FILE", help="full: η_J(s) profile (docs/inelasticity.md)")
    ex.add_argument("--jmin", type=int, default=None, help="full: η_J imposed for J ≤ JMIN (default: every spin in the file)")
    ex.add_argument("--eta-extend", default="error", choices=["error", "zero", "hold"])
    ex.add_argument("--svd-cutoff", type=float, default=None, help="full: relative singular values kept (default 1e-8)")
    _config_arg(ex, "--n-cheb", "dual-sdp", "n_cheb", type=int, help="dual: Chebyshev degree of w")
    _config_arg(ex, "--nodes", "dual-sdp", "nodes", type=int, help="dual: positivity nodes")
    _config_arg(ex, "--cutoff", "dual-sdp", "cutoff", type=_number, help="dual: Λ")
    _config_arg(ex, "--sum-rule", "dual-sdp", "sum_rule", action=argparse.BooleanOptionalAction,
                help="dual: the sum rule (24)")
    ex.add_argument("--direction", type=_pair, default=None, help="dual: A,B for the objective direction")
    ex.add_argument("--digits", type=int, default=None, help="digits of the matrix entries (wavelet default 60, "
                                                               "dual/full 40; ≥ 30)")
    ex.add_argument("--format", default="both", choices=["xml", "json", "both"])
    ex.add_argument("--out", required=True, help="directory for problem.xml / problem.json / chart.json")
    ex.add_argument("--json", action="store_true")
    im = sds.add_parser("import", help="map an SDPB run of an exported problem back to a certified result")
    im.add_argument("run_dir", metavar="RUN_DIR", help="the run's output: out/ (out.txt, y.txt) or one .out file, "
                                                       "and chart.json")
    im.add_argument("--chart", default=None, help="chart.json, if not in RUN_DIR")
    im.add_argument("--json", action="store_true")
    im.add_argument("--out", dest="save_dir", default=None, metavar="DIR", help="save the certified result in DIR")

    from .twoprr import add_parser as add_2prr_parser
    add_2prr_parser(sub)  # 2prr

    _add_strict(pr, du, nn, bl, np_)
    from .almond import add_parsers as add_almond_parsers
    add_almond_parsers(sub)  # almond, crosscheck
    from .qotam import add_parser as add_qotam_parser
    add_qotam_parser(sub)  # qotam (issue 17)
    from .saved import add_out_option, add_parsers as add_saved_parsers
    for computing in (pr, du, nn, bl, np_):
        add_out_option(computing)
    add_saved_parsers(sub)   # show, plot, table

    from .inject import add_parser as add_inject_parser
    add_inject_parser(sub)  # inject
    return p


def _check_c0(a) -> None:
    """c0 < 0 is bad input (README): the sum rule (24) gives c0 = (3/π)∫ρ/(s − 4/3) ≥ 0."""
    c0 = getattr(a, "c0", None)
    if c0 is not None and not (math.isfinite(c0) and c0 >= 0):
        raise CliError(f"--c0 must be a finite number ≥ 0, got {c0} (c0 < 0 admits no unitary amplitude: "
                       "the sum rule (24) gives c0 ≥ 0)")


def _require_sdpb(a) -> None:
    """--solver sdpb: find the executable before building anything (exit 4 when it is missing)."""
    if getattr(a, "solver", None) == "sdpb" and shutil.which("sdpb") is None:
        raise CliError("`sdpb` not found on PATH: install SDPB (Debian: apt-get install -y sdpb) or use "
                       "`smatrix sdpb export` and run it elsewhere", EXIT_FAILED)


def _given(a, **fields: str) -> dict:
    """The config fields whose flags were given (field=dest); the others keep the method's default."""
    return {field: getattr(a, dest) for field, dest in fields.items() if getattr(a, dest, None) is not None}


def _problem(a, **kw):
    """The Problem of the objective and c0 flags (smatrix.problem parses the grammar)."""
    from smatrix.problem import Problem
    return Problem.make(a.objective, a.c0, **kw)


def _run_primal(a):
    from smatrix.api import run
    problem = _problem(a, model=a.model, inelasticity=a.inelasticity, eta_extend=a.eta_extend)
    if a.rounds is not None and a.rounds < 0:
        raise CliError(f"--rounds must be ≥ 0, got {a.rounds}")
    shared = _given(a, rounds="rounds", solver="solver", threshold_term="threshold_term", uv_condition="uv_condition")
    if a.model == "full":
        if a.method not in (None, "wavelet"):
            raise CliError("--model full has the ρ-wavelet ansatz only (--method wavelet)")
        return run("primal-full", problem, **shared, **_given(a, nmax="nmax", grid="grid", jmax="jmax", jmin="jmin",
                                                              svd_cutoff="svd_cutoff"))
    if a.svd_cutoff is not None or a.jmin is not None or a.jmax is not None:
        raise CliError("--svd-cutoff, --jmin and --jmax apply to --model full")
    wavelet_only = (a.nmax, a.grid, a.threshold_term, a.uv_condition) != (None, None, None, None) or \
        a.solver not in (None, "clarabel") or a.method == "wavelet"
    if (a.method or "wavelet") == "wavelet":
        # the default (no --method, no wavelet setting) may route to the grid where the wavelet
        # stalls short of the dual bound (smatrix.sdp.methods.grid_route); an explicit wavelet is kept
        route = {"dual_gap": 0.0} if wavelet_only else {}
        res = run("primal-wavelet", problem, **shared, **route, **_given(a, nmax="nmax", grid="grid", procs="procs",
                                                                         sdpb_checkpoint="sdpb_checkpoint"))
        if wavelet_only and problem.objective.name == "max-c0" and res.value is not None and res.solver != "sdpb":
            from smatrix.sdp.methods import TIP_STALL
            res.message = (f"the float64 wavelet max c0 stalls ~{TIP_STALL:.1e} below the dual bound (rank truncation, "
                           "docs/convergence.md); without --method wavelet the grid is used there") + \
                (f"; {res.message}" if res.message else "")
        return res
    if a.nmax is not None:
        raise CliError("--nmax applies to --method wavelet only")
    if a.grid is not None and a.grid < 8:
        raise CliError(f"--grid too small: {a.grid} spectral nodes (need ≥ 8)")
    if a.refine is not None and a.refine < 1:
        raise CliError(f"--refine must be ≥ 1, got {a.refine}")
    elements = {} if a.elements is None else {"spline": a.elements == "spline"}
    return run("primal-grid", problem, **shared, **_given(a, nodes="grid", refine="refine"), **elements)


def _run_nn_dual(a):
    from smatrix.api import run
    return run("dual-nn", _problem(a), init=a.init, checkpoint=a.checkpoint, progress=not a.json,
               **_given(a, cutoff="cutoff", epochs="epochs", lr="lr", lbfgs_steps="lbfgs", sum_rule="sum_rule",
                        seed="seed", start="start"))


def _run_baseline(a):
    from smatrix.api import run
    from smatrix.problem import Problem
    res = run(f"baseline-{a.method}", Problem.make(None, a.c0), continuation=a.continuation,
              **_given(a, nodes="grid", max_iter="max_iter"))
    return _against_dual_bounds(res) if res.value is not None and a.c0 > 0 else res


def _against_dual_bounds(res):
    """A converged amplitude whose c2 lies outside the rigorous dual bounds at its c0 says so."""
    from dataclasses import replace

    from smatrix.api import bound
    lo, hi = (bound(obj, c0=res.c0, method="dual-sdp") for obj in ("min-c2", "max-c2"))
    cert = {**(res.certificate or {}), "dual_bounds": [lo.value, hi.value]}
    side = ("below the rigorous dual lower bound", lo) if lo.certified and res.value < lo.value else \
        ("above the rigorous dual upper bound", hi) if hi.certified and res.value > hi.value else None
    if side is None:
        return replace(res, certificate=cert)
    text = f"c2 = {res.value:.10g} lies {side[0]} {side[1].value:.10g} at this c0"
    return replace(res, certificate=cert, status="converged-violates-bound",
                   message=f"{text}; {res.message}" if res.message else text)


def _run_nn_primal(a):
    from smatrix.api import bound, run
    from smatrix.problem import Problem
    from smatrix.status import FAILED, OFF_TARGET, OUTSIDE
    if a.eta_out is not None and not a.inelastic:
        raise CliError("--eta-out needs --inelastic (an elastic amplitude has η0 = 0)")
    if a.inelastic_max is not None and not a.inelastic_max > 16:
        raise CliError(f"--inelastic-max must lie above s = 16, got {a.inelastic_max}")
    problem = Problem.make(None, a.c0, target=a.c2)
    dual = None
    if a.compare_dual or a.ansatz == "auto":
        dual = tuple(bound(obj, c0=a.c0, method="dual-sdp").value for obj in ("min-c2", "max-c2"))
    order = [a.ansatz] if a.ansatz != "auto" else _ansatz_order(a.c2, dual[0])
    settings = _given(a, s_inelastic_max="inelastic_max", epochs="epochs", lr="lr", gamma="gamma", seed="seed")
    for k, ansatz in enumerate(order):
        res = run("amplitude-nn", problem, ansatz=ansatz, inelastic=a.inelastic, polish=not a.no_polish,
                  init=a.init, checkpoint=a.checkpoint, eta_out=a.eta_out, progress=not a.json,
                  dual_bounds=dual if a.compare_dual else None, **settings)
        if a.ansatz == "auto":
            res.certificate = {**(res.certificate or {}), "ansatz_tried": order[:k + 1]}
        if res.status not in (OFF_TARGET, OUTSIDE, FAILED):
            break
    return res


LOWER_BOUNDARY_BAND = 1e-4   # relative: a target this close to the dual min c2 is on the lower boundary


def _ansatz_order(c2: float, dual_min_c2: float) -> list[str]:
    """Regular first on the lower boundary (an isolated family there), singular first inside."""
    on_lower = c2 - dual_min_c2 <= LOWER_BOUNDARY_BAND * max(abs(dual_min_c2), 1e-12)
    return ["regular", "singular"] if on_lower else ["singular", "regular"]


def _print_nn_primal(res) -> None:
    cert = res.certificate or {}
    tried = cert.get("ansatz_tried")
    print(f"  ansatz      : {res.config.get('ansatz')}" + (f"  (auto: tried {', '.join(tried)})" if tried else ""))
    print(f"  target      : c2 = {cert['c2_target']:.10g}  (met: {cert['target_met']})")
    print(f"  residual    : max ||S0|²−1| at the {cert['imposed_points']} nodes: network {cert['nn_residual']:.2e}, "
          f"polished {cert['polished_residual'] if cert['polished_residual'] is not None else float('nan'):.2e}")
    regge = cert["regge"]
    print(f"  Regge       : {regge['reason']}  (Re f0 = {regge['re_f0_end']:.4g} at s = {regge['s_window'][1]:.3g})")
    if "dual_bounds" in cert:
        lo, hi = cert["dual_bounds"]
        print(f"  dual bounds : {lo:.10g} ≤ c2 ≤ {hi:.10g} at this c0  (target inside: {cert['target_within_dual']})")
    if cert.get("eta_file"):
        print(f"  η0 profile  : {cert['eta_file']}  (max η0 = {cert['details']['max_eta']:.4g})")


def _run_sdpb_export(a) -> int:
    from smatrix.sdp.sdpb_export import export
    from smatrix.registry import get
    digits = a.digits if a.digits is not None else (60 if a.problem == "wavelet" else 40)
    if digits < 30:
        raise CliError(f"need --digits ≥ 30, got {digits}")
    from smatrix.outputs import check_output_dir
    check_output_dir(a.out, "--out")
    if a.problem == "dual":
        config = get("dual-sdp").make_config({**_given(a, cutoff="cutoff", n_cheb="n_cheb", nodes="nodes",
                                                       sum_rule="sum_rule"), "solver": "sdpb"})
    else:
        from smatrix.sdp.objectives import check_objective
        problem = check_objective(a.objective, a.c0)
        if a.problem == "wavelet":
            from smatrix.budget import check_size, wavelet_estimate
            config = get("primal-wavelet").make_config(_given(a, nmax="nmax", grid="grid"))
            config.validate()
            check_size(wavelet_estimate(config.nmax, config.grid))
        else:
            from dataclasses import replace

            from smatrix.sdp.methods import full_config
            settings = _given(a, nmax="nmax", grid="grid", jmax="jmax", jmin="jmin", svd_cutoff="svd_cutoff")
            config = full_config(replace(problem, inelasticity=a.inelasticity, eta_extend=a.eta_extend),
                                 get("primal-full").make_config({**settings, "solver": "sdpb", "rounds": 0}))
    formats = ("xml", "json") if a.format == "both" else (a.format,)
    info = export(a.problem, a.objective, a.c0, config, a.out, digits, formats, a.direction)
    if a.json:
        print(json.dumps(info))
    else:
        print(f"SDPB input for the {a.problem} {a.objective} problem ({digits} digits): {info['variables']} variables, "
              f"{info['blocks']} blocks, built in {info['seconds']:.2f} s")
        for kind, path in info["files"].items():
            print(f"  {kind:5s} {path}")
        print("  SDPB 1.0 : sdpb -s problem.xml --precision=256 --noFinalCheckpoint  (fresh -c path each run)")
        print("  SDPB ≥2.7: pmp2sdp --precision=256 -i problem.json -o sdp && mpirun -n N sdpb --precision=256 "
              "-s sdp -o out -c ck  (then: smatrix sdpb import DIR)")
    return 0


def _run_sdpb_import(a):
    from smatrix.sdp.sdpb_export import import_run
    return import_run(a.run_dir, a.chart)


def _run_dual(a):
    from smatrix.api import run
    return run("dual-sdp", _problem(a, direction=a.direction), procs=a.procs, sdpb_checkpoint=a.sdpb_checkpoint,
               **_given(a, cutoff="cutoff", n_cheb="n_cheb", nodes="nodes", sum_rule="sum_rule", solver="solver"))


_BOUND_TEXT = {"max-c0": "c0 ≤ {v}", "min-c0": "c0 ≥ {v}", "max-c2": "c2 ≤ {v}", "min-c2": "c2 ≥ {v}"}


def _print_dual(res) -> None:
    cert = res.certificate or {}
    print(f"  status      : {res.status}{'  — ' + res.message if res.message else ''}")
    if res.value is None:
        return
    if res.objective == "direction":
        b = cert["b"]
        text = f"{cert['a_effective']:.10g}·c0 {'−' if b < 0 else '+'} {abs(b):.10g}·c2 ≤ {res.value:.10g}"
    else:
        text = _BOUND_TEXT[res.objective].format(v=f"{res.value:.10g}")
        if res.objective.endswith("c0"):
            text += f"  (c0/π = {res.value / math.pi:.8g}, c0/32π = {res.value / (32 * math.pi):.8g})"
        else:
            text += f"  at c0 = {res.c0:.10g}"
    print(f"  bound       : {text}")
    print(f"  certified   : {res.certified}  (D[w] re-evaluated with {cert.get('quadrature_nodes_per_segment')} "
          f"Gauss–Legendre nodes per segment; error estimate "
          f"{cert.get('relative_error_estimate', float('nan')):.1e} relative)")
    if res.method == "dual-nn":
        print(f"  training    : {cert.get('epochs')} epochs from {cert.get('start_epoch')}, loss "
              f"{cert.get('training_loss'):.10g} on {cert.get('training_points')} points, "
              f"{cert.get('w_segments')} w-segments, ν = {cert.get('nu', float('nan')):.6g}")
        return
    print(f"  sizes       : n_cheb = {cert.get('n_cheb')}, {cert.get('w_segments')} w-segments, "
          f"{cert.get('positivity_nodes')} positivity nodes (--nodes {res.config.get('nodes')} asked; segments "
          f"wider than ×1.15 in s are split), ν = {cert.get('nu', float('nan')):.6g}")


def _print_result(res, as_json: bool) -> None:
    d = res.to_dict()
    d.pop("extra", None)
    d["c3"] = res.extra.get("c3") if res.extra else None
    if as_json:
        print(json.dumps(d, default=float))
        return
    cert = res.certificate or {}
    print(f"{res.method}  {res.model}  objective={res.objective}  solver={res.solver}")
    if res.bound_kind.startswith("dual"):
        _print_dual(res)
        print(f"  seconds     : {res.seconds:.3f}")
        return
    print(f"  status      : {res.status}{'  — ' + res.message if res.message else ''}")
    if res.value is not None:
        print(f"  value       : {res.value:.10g}")
        print(f"  c0          : {res.c0:.10g}  (c0/π = {res.c0 / math.pi:.8g}, c0/32π = {res.c0 / (32 * math.pi):.8g})")
        print(f"  c2          : {res.c2:.10g}")
        spins = cert.get("spins_checked") or [0]
        wave = "S0" if spins == [0] else f"S_J (J = 0…{max(spins)})"
        print(f"  certified   : {res.certified}  (max |{wave}|²−1{'+η' if res.config.get('inelasticity') else ''} = "
              f"{cert.get('max_unitarity_violation', float('nan')):.2e} on {cert.get('check_points')} points, "
              f"tolerance {cert.get('tolerance')})")
        ref = cert.get("refinement")
        if ref:
            print(f"  refinement  : {len(ref['rounds'])} solve(s), +{ref['points_added']} imposed points "
                  f"(smatrix.refine; confirmed on {ref['budget']['confirm']}× the imposed points)")
        if res.model == "full":
            print(f"  ansatz      : Nmax {res.config['nmax']}: {cert.get('ansatz_size')} terms "
                  f"({cert.get('wavelets')} wavelets, {cert.get('pairs')} pairs), rank kept {cert.get('rank_kept')}, "
                  f"J ≤ {res.config['jmax']} on {res.config['grid']} points")
    print(f"  seconds     : {res.seconds:.3f}")


def _dispatch(a) -> int:
    """Run the parsed command; its exit code."""
    _check_c0(a)
    _require_sdpb(a)
    if getattr(a, "threads", None) is not None and a.threads < 1:
        raise CliError(f"--threads must be ≥ 1, got {a.threads}")
    if a.command not in ("almond", "crosscheck"):   # before numpy/torch load (smatrix.threads)
        from smatrix.threads import apply_threads, choose_threads
        apply_threads(choose_threads(getattr(a, "threads", None)))
    if getattr(a, "procs", 1) < 1 or (getattr(a, "procs", 1) > 1 and getattr(a, "solver", None) != "sdpb"):
        raise CliError("--procs N ≥ 1 applies to --solver sdpb (SDPB ≥ 2.7 under mpirun)")
    if getattr(a, "sdpb_checkpoint", None) is not None and a.solver != "sdpb":
        raise CliError("--sdpb-checkpoint applies to --solver sdpb")
    from .saved import check_save_dir, save_if_asked
    check_save_dir(a)
    if a.command == "primal":
        res = _run_primal(a)
        save_if_asked(a, res)
        _print_result(res, a.json)
        if res.status == "infeasible":
            print(f"infeasible: {res.message or 'no amplitude satisfies unitarity with these constraints'}",
                  file=sys.stderr)
            return EXIT_INFEASIBLE
        return _uncertified_exit(res, a.strict) if res.value is not None else _failed(res)
    if a.command in ("dual", "nn-dual"):
        res = _run_dual(a) if a.command == "dual" else _run_nn_dual(a)
        save_if_asked(a, res)
        _print_result(res, a.json)
        if res.status == "infeasible":
            print(f"infeasible: {res.message}", file=sys.stderr)
            return EXIT_INFEASIBLE
        return _uncertified_exit(res, a.strict) if res.value is not None else _failed(res)
    if a.command == "baseline":
        res = _run_baseline(a)
        save_if_asked(a, res)
        _print_result(res, a.json)
        if res.status.startswith("converged-"):
            print(f"warning: {res.status}: {res.message}", file=sys.stderr)
        return _uncertified_exit(res, a.strict) if res.status.startswith("converged") else _failed(res)
    if a.command == "nn-primal":
        res = _run_nn_primal(a)
        save_if_asked(a, res)
        _print_result(res, a.json)
        if not a.json:
            _print_nn_primal(res)
        if res.status == "outside":
            print(f"outside: {res.message}", file=sys.stderr)
            return EXIT_INFEASIBLE
        if res.status in ("failed", "off-target"):
            return _failed(res)
        return _uncertified_exit(res, a.strict)
    if a.command == "sdpb" and a.sdpb_command == "export":
        return _run_sdpb_export(a)
    if a.command == "sdpb":
        res = _run_sdpb_import(a)
        save_if_asked(a, res)
        _print_result(res, a.json)
        return 0 if res.value is not None else _failed(res)
    if a.command in ("show", "plot", "table"):
        from .saved import run_command as run_saved
        return run_saved(a, _print_result)
    if a.command == "2prr":
        from .twoprr import run as run_2prr_command
        return run_2prr_command(a)
    if a.command == "qotam":
        from .qotam import run as run_qotam
        return run_qotam(a)
    if a.command == "inject":
        from .inject import run as run_inject
        return run_inject(a)
    if a.command in ("almond", "crosscheck"):
        from .almond import run_command
        return run_command(a)
    raise CliError(f"unknown command {a.command!r}")


def _failed(res) -> int:
    """A result without a value: its status and message as the one line on stderr, exit 4."""
    print(f"{res.status}: {_one_line(res.message or 'no value')}", file=sys.stderr)
    return EXIT_FAILED


def _one_line(text: str, limit: int = 600) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    """The error boundary: every expected failure is one line on stderr and its exit code."""
    from smatrix.errors import BadInput

    from .flags import flag_names
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        return _dispatch(args)
    except SystemExit as exc:            # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CliError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return exc.code
    except (BadInput, ValueError) as exc:  # bad physical input detected deeper down (fields named as flags)
        print(f"error: {_one_line(flag_names(str(exc), command))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("error: out of memory: lower the problem size (--nmax, --grid, --nodes)", file=sys.stderr)
        return EXIT_FAILED
    except FloatingPointError as exc:  # NaN/inf from an optimiser
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a file that vanished or a disk that filled up during the run
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except ModuleNotFoundError as exc:  # torch is an optional extra (the neural methods only)
        if exc.name != "torch":
            print(f"internal error (ModuleNotFoundError): {_one_line(exc)}", file=sys.stderr)
            return EXIT_FAILED
        print("error: this command needs PyTorch, installed with the optional extra: "
              "python -m pip install 'smatrix-bootstrap[neural]' (or -e '.[neural]')", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 — sdpb errors and bugs: one line, never a traceback
        if os.environ.get("SMATRIX_DEBUG"):
            raise
        expected = type(exc).__name__ in ("SDPBError", "SolverUnavailable")   # a run that cannot be done here
        kind = "error" if expected else f"internal error ({type(exc).__name__})"
        print(f"{kind}: {_one_line(flag_names(str(exc), command))}" + ("" if expected else " — rerun with "
                                                                          "SMATRIX_DEBUG=1 for the traceback"),
              file=sys.stderr)
        return EXIT_FAILED

