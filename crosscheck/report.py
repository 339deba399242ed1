"""Agreement of the almond's methods, computed from physics checks (never assumed):

- finished: every point has a value (a primal that is infeasible above its *own* max c0 is
  outside its region, not a failure);
- dual certified: a dual value counts only when its certificate passed (D[w] re-evaluated);
- primal certified: every primal amplitude's |S0|² − 1, re-measured on the dense grid, is within
  the tolerance — agreement needs every primal point certified (an uncertified amplitude is
  not an allowed one, whatever its value);
- weak duality: at every point each certified primal value lies on the allowed side of each
  certified dual bound, to WEAK_DUALITY_SLACK relative (the solvers' tolerance); uncertified
  primal amplitudes violate unitarity somewhere, so for them this is reported, not counted;
- stated tolerance: each method's distance to the reference dual (dual-sdp, else the tightest
  certified dual at that point) is within what its registry entry states (smatrix.crosscheck.methods):
  |Δ| ≤ tolerance·|reference| + atol, with the tip tolerance at max c0.

Gap sign: positive on the expected side (primal below an upper bound, dual above the reference).
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from .methods import REFERENCE_DUAL

WEAK_DUALITY_SLACK = 1e-7
_SIGN = {"max-c0": 1.0, "max-c2": 1.0, "min-c2": -1.0}


def _usable(r: dict) -> bool:
    return r["status"] == "done" and r.get("value") is not None and math.isfinite(r["value"])


def evaluate(almond: dict[str, Any]) -> dict[str, Any]:
    """Add gaps, checks, per-method summary and the verdict to the almond dict (returned)."""
    meta = almond["methods"]
    kind = {m: v["kind"] for m, v in meta.items()}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in almond["points"]:
        groups[(r["objective"], r["c0"])].append(r)
    own_max = {r["method"]: r["value"] for r in almond["points"] if r["objective"] == "max-c0" and _usable(r)}
    checks: list[dict] = []

    def check(name, r, ok, detail, counts=True):
        checks.append({"check": name, "method": r["method"], "objective": r["objective"], "c0": r["c0"],
                       "ok": bool(ok), "counts": counts, "detail": detail})

    for (objective, c0), rows in groups.items():
        sign = _SIGN[objective]
        duals = [r for r in rows if kind[r["method"]] == "dual" and _usable(r) and r.get("certified")]
        ref = next((r for r in duals if r["method"] == REFERENCE_DUAL), None)
        if ref is None and duals:   # the tightest certified dual
            ref = min(duals, key=lambda r: sign * r["value"])
        for r in rows:
            r["gap"] = None
            tol = meta[r["method"]]["tip_tolerance" if objective == "max-c0" else "tolerance"]
            if not _usable(r):
                outside = (r["status"] == "done" and kind[r["method"]] == "primal" and c0 is not None
                           and r["method"] in own_max and c0 > own_max[r["method"]])
                check("finished", r, outside, r.get("reason") or (r.get("result") or {}).get("message")
                      or r["status"], counts=not outside)
                continue
            if kind[r["method"]] == "dual":
                check("dual certified", r, r.get("certified"), "D[w] re-evaluated" if r.get("certified")
                      else "certificate failed: not a rigorous bound")
            else:
                check("primal certified", r, r.get("certified"), _primal_certificate(r))
            if ref is not None:
                scale = max(abs(ref["value"]), 1e-300)
                side = 1.0 if kind[r["method"]] == "primal" else -1.0
                r["gap"] = sign * side * (ref["value"] - r["value"]) / scale
                r["reference"] = ref["method"]
                if r is not ref:
                    atol = meta[r["method"]].get("atol", 0.0)
                    check("stated tolerance", r, abs(r["value"] - ref["value"]) <= tol * scale + atol,
                          f"|gap| = {abs(r['gap']):.2e} vs {tol:g}" + (f" (+ {atol:g} absolute)" if atol else "")
                          + f" to {ref['method']}")
            if kind[r["method"]] == "primal":   # "agreement" also needs the primal certified (above)
                for d in duals:
                    margin = sign * (d["value"] - r["value"]) / max(abs(d["value"]), 1e-300)
                    check("weak duality", r, margin >= -WEAK_DUALITY_SLACK,
                          f"{'≤' if sign > 0 else '≥'} {d['method']} by {margin:+.2e}"
                          + ("" if r.get("certified") else " (uncertified amplitude: not counted)"),
                          counts=bool(r.get("certified")))
        if ref is None:
            checks.append({"check": "reference dual", "method": "-", "objective": objective, "c0": c0, "ok": False,
                           "counts": True, "detail": "no certified dual bound at this point"})
    almond["checks"] = checks
    almond["check_counts"] = check_counts(checks)
    almond["agreement"] = almond["check_counts"]["failed"] == 0 and bool(checks)
    almond["summary"] = _summary(almond)
    return almond


def check_counts(checks: list[dict]) -> dict[str, int]:
    """The one count of checks that the terminal, --json and report.md all print: counted checks
    (passed, failed) and, separately, the comparisons shown but not counted (weak duality of
    uncertified amplitudes, primal points outside their own region)."""
    counted = [c for c in checks if c["counts"]]
    passed = sum(bool(c["ok"]) for c in counted)
    return {"counted": len(counted), "passed": passed, "failed": len(counted) - passed,
            "not_counted": len(checks) - len(counted)}


def counts_line(almond: dict) -> str:
    n = almond["check_counts"]
    return (f"{n['passed']}/{n['counted']} counted checks passed"
            + (f"; {n['not_counted']} shown but not counted (uncertified amplitudes)" if n["not_counted"] else ""))


def _primal_certificate(r: dict) -> str:
    cert = (r.get("result") or {}).get("certificate") or {}
    viol, tol = cert.get("max_unitarity_violation"), cert.get("tolerance")
    where = (cert.get("details") or {}).get("worst_s")
    text = f"max |S0|² − 1 = {viol:.1e}" if isinstance(viol, (int, float)) else "no unitarity certificate"
    text += f" (tolerance {tol:g})" if isinstance(tol, (int, float)) else ""
    text += f" at s = {where:.4g}" if isinstance(where, (int, float)) and not r.get("certified") else ""
    return ("certified: " if r.get("certified") else "UNCERTIFIED: ") + text


def _summary(almond: dict) -> dict[str, dict]:
    out = {}
    for m, meta in almond["methods"].items():
        rows = [r for r in almond["points"] if r["method"] == m]
        slices = [r for r in rows if r["objective"] != "max-c0"]
        tip = next((r for r in rows if r["objective"] == "max-c0"), None)
        gaps = [abs(r["gap"]) for r in slices if r.get("gap") is not None and r.get("reference") != m]
        secs = [r["seconds"] for r in rows if r.get("seconds") is not None]
        viol = [((r.get("result") or {}).get("certificate") or {}).get("max_unitarity_violation") for r in rows]
        viol = [v for v in viol if isinstance(v, (int, float))]
        out[m] = {"kind": meta["kind"], "points": len(rows), "done": sum(_usable(r) for r in rows),
                  "failed": sum(r["status"] == "failed" for r in rows),
                  "certified": sum(bool(r.get("certified")) for r in rows),
                  "max_c0": tip["value"] if tip and _usable(tip) else None,
                  "tip_gap": tip.get("gap") if tip and tip.get("reference") != m else None,
                  "max_slice_gap": max(gaps) if gaps else None,
                  "max_unitarity_violation": max(viol) if viol else None,
                  "seconds": sum(secs), "seconds_per_point": sum(secs) / len(secs) if secs else None,
                  "tolerance": meta["tolerance"], "tip_tolerance": meta["tip_tolerance"],
                  "atol": meta.get("atol", 0.0)}
    return out


# ---------------------------------------------------------------- tables

def _fmt(x, spec=".8g") -> str:
    return "—" if x is None else format(x, spec)


def _tol(s: dict) -> str:
    return f"{s['tolerance']:g}" + (f"+{s['atol']:g}abs" if s.get("atol") else "")


def _rows_in_order(almond: dict) -> list[tuple[str, float | None]]:
    keys = {(r["objective"], r["c0"]) for r in almond["points"]}
    order = {"max-c0": 0, "min-c2": 1, "max-c2": 2}
    return sorted(keys, key=lambda k: (order[k[0]], -1 if k[1] is None else k[1]))


def _cell(r: dict | None) -> str:
    if r is None:
        return "—"
    if not _usable(r):
        return f"{r['status']}" + (" (outside)" if r["status"] == "done" else "")
    cert = "✓" if r.get("certified") else "✗"
    gap = "ref" if r.get("reference") == r["method"] else _fmt(r.get("gap"), "+.1e")
    return f"{r['value']:.8g} {cert} {gap}"


def console_table(almond: dict) -> str:
    """One line per (objective, c0): each method's value, certified flag, gap to the reference."""
    methods = list(almond["methods"])
    index = {(r["method"], r["objective"], r["c0"]): r for r in almond["points"]}
    width = 27
    lines = [f"{'objective':9} {'c0/π':>8} " + " ".join(f"{m:>{width}}" for m in methods),
             f"{'':9} {'':>8} " + " ".join(f"{'value ✓cert gap':>{width}}" for _ in methods)]
    for obj, c0 in _rows_in_order(almond):
        rows = {m: index.get((m, obj, c0)) for m in methods}
        c0_show = c0 if c0 is not None else (rows.get(REFERENCE_DUAL) or {}).get("value")
        lines.append(f"{obj:9} {_fmt(None if c0_show is None else c0_show / math.pi, '8.4f'):>8} "
                     + " ".join(f"{_cell(rows[m]):>{width}}" for m in methods))
    return "\n".join(lines)


def verdict_lines(almond: dict) -> list[str]:
    failed = [c for c in almond["checks"] if c["counts"] and not c["ok"]]
    head = f"agreement: {'YES' if almond['agreement'] else 'NO'} — {counts_line(almond)}"
    lines = [head]
    for c in failed[:20]:
        c0 = "max c0" if c["c0"] is None else f"c0/π = {c['c0'] / math.pi:.4f}"
        lines.append(f"  FAILED {c['check']}: {c['method']} {c['objective']} at {c0}: {c['detail']}")
    if len(failed) > 20:
        lines.append(f"  … and {len(failed) - 20} more (report.md)")
    return lines


def summary_table(almond: dict) -> str:
    lines = [f"{'method':15} {'kind':6} {'done':>7} {'cert':>5} {'max c0':>12} {'tip gap':>9} "
             f"{'max|gap|':>9} {'tol':>11} {'s/pt':>6} {'s total':>8}"]
    for m, s in almond["summary"].items():
        lines.append(f"{m:15} {s['kind']:6} {s['done']:>3}/{s['points']:<3} {s['certified']:>5} "
                     f"{_fmt(s['max_c0'], '12.7f'):>12} {_fmt(s['tip_gap'], '+9.1e'):>9} "
                     f"{_fmt(s['max_slice_gap'], '9.1e'):>9} {_tol(s):>11} "
                     f"{_fmt(s['seconds_per_point'], '6.2f'):>6} {s['seconds']:8.1f}")
    return "\n".join(lines)


def all_spin_lines(almond: dict) -> list[str]:
    """Markdown rows of the optical defect D = Σ_J (2J+1) η_J of each primal amplitude (reported,
    not counted: the zero-ddisc model imposes spin 0 only; D − η0 < 0 proves a super-unitary J ≥ 2)."""
    rows = {}
    for r in almond["points"]:
        a = (r.get("result") or {}).get("all_spin")
        if a and "error" not in a:
            rows.setdefault(r["method"], []).append(a)
    if not rows:
        return []
    out = ["", "## All-spin check (optical defect; reported, not counted)", "",
           "D(s) = Σ_J (2J+1) η_J = ϱ Im T(s,0)/8π − ϱ²∫|T|²dz/512π² from T (smatrix.optical); "
           "tail = D − η0, the waves J ≥ 2 that the zero-ddisc model does not constrain.", "",
           "| method | amplitudes | min D | min tail (J ≥ 2) | s of min tail | amplitudes with tail < −1e-6 (J ≥ 2 super-unitary) |",
           "|---|---|---|---|---|---|"]
    for m, a in rows.items():
        worst = min(a, key=lambda x: x["min_tail"])
        out.append(f"| {m} | {len(a)} | {min(x['min_defect'] for x in a):.3e} | {worst['min_tail']:.3e} | "
                   f"{worst['worst_s_tail']:.4g} | {sum(not x['passed'] for x in a)} |")
    return out


def markdown_report(almond: dict, files: dict[str, str]) -> str:
    methods = list(almond["methods"])
    index = {(r["method"], r["objective"], r["c0"]): r for r in almond["points"]}
    lo, hi = almond["c0_range"]
    out = ["# Zero-ddisc almond: agreement report", "",
           f"**Verdict: {'the methods agree' if almond['agreement'] else 'the methods DISAGREE'}** "
           f"({counts_line(almond)}).", "",
           f"- c0 slices: {len(almond['slices'])} at {lo:g} … {hi:g} × c0max = {almond['c0max_reference']:.8g} "
           f"(c0max from {almond['c0max_from']}; = {almond['c0max_reference'] / math.pi:.6g}π)",
           f"- executor: {almond['executor']}; store: `{almond['store']}`; points computed {almond['computed']}, "
           f"reused {almond['reused']}, failed {almond['failed']}; wall time {almond['seconds']:.1f} s",
           "- gap: relative distance to the reference dual (dual-sdp), positive on the expected side "
           "(primal below an upper bound / above a lower bound; dual looser than the reference)",
           f"- checks (crosscheck/report.py): finished; dual certified; primal certified (|S0|² − 1 re-measured "
           f"on the dense grid within the tolerance: agreement needs every primal point certified); weak "
           f"duality (certified primal vs certified dual, slack {WEAK_DUALITY_SLACK:g}; for uncertified "
           "amplitudes shown, not counted); |gap| ≤ the method's stated tolerance", "",
           "## Methods", "",
           "| method | kind | settings | done | certified | max c0 | gap at max c0 (tol) | max \\|gap\\| on slices (tol) "
           "| max unitarity violation | s/point | s total |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for m, s in almond["summary"].items():
        settings = ", ".join(f"{k}={v}" for k, v in almond["methods"][m]["settings"].items()) or "defaults"
        out.append(f"| {m} | {s['kind']} | {settings} | {s['done']}/{s['points']} | {s['certified']} | "
                   f"{_fmt(s['max_c0'], '.8g')} | {_fmt(s['tip_gap'], '+.1e')} ({s['tip_tolerance']:g}) | "
                   f"{_fmt(s['max_slice_gap'], '.1e')} ({_tol(s)}) | {_fmt(s['max_unitarity_violation'], '.1e')} | "
                   f"{_fmt(s['seconds_per_point'], '.2f')} | {s['seconds']:.1f} |")
    out += all_spin_lines(almond)
    out += ["", "## Points", "", "Each cell: value, certified (✓/✗), gap to the reference, seconds.", "",
            "| objective | c0/π | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for obj, c0 in _rows_in_order(almond):
        cells = []
        for m in methods:
            r = index.get((m, obj, c0))
            cells.append("—" if r is None else f"{_cell(r)}, {_fmt(r.get('seconds'), '.2f')} s")
        c0_show = c0 if c0 is not None else (index.get((REFERENCE_DUAL, obj, c0)) or {}).get("value")
        out.append(f"| {obj} | {_fmt(None if c0_show is None else c0_show / math.pi, '.4f')} | " + " | ".join(cells) + " |")
    for title, rows in (("Counted checks that failed", [c for c in almond["checks"] if c["counts"] and not c["ok"]]),
                        ("Not counted (uncertified amplitudes: shown, not part of the verdict)",
                         [c for c in almond["checks"] if not c["counts"]])):
        out += ["", f"## {title}", ""]
        if not rows:
            out.append("None.")
        for c in rows:
            where = "max c0" if c["c0"] is None else f"c0/π = {c['c0'] / math.pi:.4f}"
            out.append(f"- {'**FAILED**' if c['counts'] else ('passes' if c['ok'] else 'fails')} {c['check']}: "
                       f"{c['method']} {c['objective']} at {where}: {c['detail']}")
    failures = [r for r in almond["points"] if r["status"] == "failed"]
    if failures:
        out += ["", "## Failed points", ""]
        out += [f"- {r['method']} {r['objective']} c0 = {_fmt(r['c0'], '.8g')}: {r.get('reason')}" for r in failures]
    figs = [(k, v) for k, v in files.items() if v.endswith(".png")]
    if figs:
        from .figures import CAPTIONS
        out += ["", "## Figures", ""]
        for k, v in figs:
            name = v.rsplit("/", 1)[-1]
            out += [f"- `{name}`: {CAPTIONS.get(k, k)}", "", f"![{k}]({name})", ""]
    return "\n".join(out) + "\n"
