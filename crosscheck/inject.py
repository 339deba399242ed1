"""η_J of a 2PRR amplitude injected into the full-model primal (P2 §5.3, Tables 2–3, Figs. 29–31).

For every J_min of a list and every Nmax the full-model primal (`smatrix.sdp.full_wavelet.solve_full`) is
solved with |S_J|² ≤ 1 − η_J for even J ≤ J_min and |S_J|² ≤ 1 above (P2 eqs. 80–81): J_min = −1
is the elastic problem, and a larger J_min imposes MORE inelasticity, so the constraint sets are
nested and max c0 can only fall (min c2 only rise) as J_min grows. One SVD cutoff per table keeps
the reduced spaces identical across J_min, so the nesting holds for the discretised problems too.

The profile is the one `smatrix 2prr` writes (`eta_profile`): η_J, J = 0…10, on s − 4 ∈ [1e-10, s_{n−2}]
(4.5e7 for n = 48, s_max = 1e8). Above its last energy η is taken as 0 (`--eta-extend auto` → zero,
since there η_J ≤ 4e-5 < 1e-3: η_J → 0 as s → ∞); the discarded tail is reported (`eta_at_last_energy`). The comparison with the 2PRR
amplitude that produced η (S_J and the forward amplitude T(s, 0)) is done on its own grid, below
its last free node.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from smatrix.certify import DEFAULT_TOLERANCE
from smatrix.refine import Attempt, RefineBudget, refine_jointly
from smatrix.sdp.full_wavelet import (FullConfig, eta_nodes, solve_full, spin_band_asked, violated_spin_above,
                                      with_eta_nodes)
from smatrix.errors import BadInput
from smatrix.grids import above_threshold, unitarity_grid
from smatrix.inelasticity import InelasticityProfile, load_profile
from smatrix.kinematics import phase_space

OBJECTIVES = ("max-c0", "min-c2")
FOUR_PARTICLE_THRESHOLD = 16.0   # η_J ≡ 0 below s = 16 (P2 eq. 15b)
ATTEMPT_KEYS = ("nmax", "jmin", "value", "certified", "points", "jmax")   # what a table keeps of every solve
FALLBACK_CUTOFF = 1e-7           # the second rung of the full model's SVD ladder, for a row the solver failed on
C0_MATCH = 1e-6                  # relative agreement of --c0 with the profile's meta c0
AGREEMENT_REL = 0.1              # |T_SDP(s,0) − T_2PRR(s,0)| ≤ 10 % |T_2PRR(s,0)|: "they agree"
AGREEMENT_S_ABS = 0.05           # |S_0^SDP − S_0^2PRR| ≤ 0.05


class TotalAbsorption(BadInput):
    """η_J = 1 in a profile: |S_J|² ≤ 0 forces S_J = 0 (total absorption), which no 2PRR amplitude has;
    where it reaches down towards threshold (S_J → 1 there) no amplitude at all meets it. The command
    reports it as infeasible (exit 3), not as a malformed file."""


@dataclass(frozen=True)
class InjectConfig:
    """One table: the profile, the objective and the (J_min, Nmax) ladder."""

    eta: str                                   # path of the η_J(s) file (smatrix.inelasticity schema)
    objective: str = "max-c0"
    c0: float | None = None                    # the profile's coupling (default: its meta c0); fixed for min-c2
    jmins: tuple[int, ...] = (-1, 0, 2, 4, 6, 8, 10)
    nmaxs: tuple[int, ...] = (8, 10, 12)
    grid: int = 300
    jmax: int = 16                             # imposed spins at the start; the refinement grows them
    jmax_limit: int = 32                       # … up to this spin (where the certificate finds violations above)
    svd_cutoff: float = 1e-8                   # one reduced space for every J_min (nested constraint sets)
    eta_extend: str = "auto"                   # smatrix.inelasticity: zero where the profile has decayed
    solver: str = "clarabel"
    tolerance: float = DEFAULT_TOLERANCE       # on |S_J|² − 1, re-measured on 4× the imposed points, J ≤ jmax + 4
    eta_tolerance: float = DEFAULT_TOLERANCE   # on |S_J|² − 1 + η_J, the same points
    rounds: int = 5                            # shared refinement rounds per Nmax (0: the grid and η nodes only)
    per_round: int = 12                        # violation peaks each uncertified row adds per round

    def validate(self) -> None:
        if self.objective not in OBJECTIVES:
            raise BadInput(f"inject: objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if not self.jmins or any(J < -1 or (J >= 0 and J % 2) for J in self.jmins):
            raise BadInput(f"inject: `jmins` needs −1 or even spins ≥ 0, got {list(self.jmins)}")
        if max(self.jmins) > self.jmax:
            raise BadInput(f"inject: J_min = {max(self.jmins)} exceeds `jmax` {self.jmax}")
        if self.jmax_limit < self.jmax or self.jmax_limit % 2:
            raise BadInput(f"inject: `jmax_limit` must be an even spin ≥ `jmax` {self.jmax}, got {self.jmax_limit}")
        if not self.nmaxs or min(self.nmaxs) < 1:
            raise BadInput(f"inject: `nmaxs` needs integers ≥ 1, got {list(self.nmaxs)}")
        if self.rounds < 0 or self.per_round < 1:
            raise BadInput(f"inject: `rounds` must be ≥ 0 (got {self.rounds}), per_round ≥ 1 (got {self.per_round})")
        if not (self.tolerance > 0 and self.eta_tolerance > 0):
            raise BadInput(f"inject: `tolerance` must be > 0, got {self.tolerance}, {self.eta_tolerance}")
        if self.c0 is not None and not (math.isfinite(self.c0) and self.c0 >= 0):
            raise BadInput(f"inject: `c0` must be a finite number ≥ 0, got {self.c0}")


def load_injection_profile(path: str, c0: float | None, jmin: int, extend: str = "auto") -> tuple[InelasticityProfile, float | None]:
    """The profile at `path` checked as the η_J of one amplitude at coupling c0 (its meta c0 when
    c0 is None): spins 0, 2, …, J_min all present; η_J < 1 (η_J = 1 forces S_J = 0, total
    absorption, which no 2PRR profile has); η_J = 0 below s = 16. Returns (profile, c0); one-line
    BadInput on every violation."""
    profile = load_profile(path, extend, list(range(0, jmin + 1, 2)))
    meta_c0 = profile.meta.get("c0")
    if meta_c0 is not None:
        try:
            meta_c0 = float(meta_c0)
        except (TypeError, ValueError):
            raise BadInput(f"{path}: meta c0 is not a number ({meta_c0!r})") from None
    if c0 is not None and meta_c0 is not None and abs(c0 - meta_c0) > C0_MATCH * max(abs(meta_c0), 1.0):
        raise BadInput(f"{path}: η profile is from c0/π = {meta_c0 / math.pi:.6g}, not c0/π = {c0 / math.pi:.6g} "
                       "(use the profile of the same coupling)")
    for J, v in profile.eta.items():
        if J > max(jmin, 0):
            continue
        full = np.flatnonzero(v >= 1.0)
        if full.size:
            raise TotalAbsorption(f"{path}: η_{J} = 1 at {full.size} of {v.size} energies (from s = "
                                  f"{profile.s[full[0]]:.6g}) forces S_{J} = 0 there (total absorption): "
                                  "no 2PRR amplitude has it, the injected problem has no amplitude")
        early = np.flatnonzero((profile.s < FOUR_PARTICLE_THRESHOLD * (1 - 1e-12)) & (v > 0))
        if early.size:
            raise BadInput(f"{path}: η_{J}(s = {profile.s[early[0]]:.6g}) = {v[early[0]]:.3g} > 0 below the "
                           "four-particle threshold s = 16")
    return profile, c0 if c0 is not None else meta_c0


def _row(jmin: int, nmax: int, res, objective: str) -> dict:
    cert = res.certificate or {}
    value = None
    if res.value is not None:
        value = res.value / (32 * math.pi) if objective == "max-c0" else res.value
    return {"jmin": jmin, "nmax": nmax, "value": value, "c0": res.c0, "c2": res.c2, "status": res.status,
            "certified": bool(res.certified), "max_unitarity_violation": cert.get("max_unitarity_violation"),
            "max_inelasticity_violation": cert.get("max_inelasticity_violation"),
            "worst_spin": cert.get("worst_spin"), "worst_s": cert.get("worst_s"), "jmax": res.config.get("jmax"),
            "spin_band": res.config.get("spin_band"), "high_spins_max": (cert.get("high_spins") or {}).get("max_violation"),
            "tolerance": cert.get("tolerance"), "eta_tolerance": cert.get("eta_tolerance"),
            "per_spin_max": cert.get("per_spin_max"), "all_spin_passed": (cert.get("all_spin") or {}).get("passed"),
            "rank_kept": cert.get("rank_kept"), "svd_cutoff": cert.get("svd_cutoff"), "seconds": res.seconds,
            "message": res.message}


def injection_table(cfg: InjectConfig, progress=None) -> dict:
    """Solve the full-model primal for every (Nmax, J_min); rows, checks and the amplitudes.

    `progress`, if given, is called with each finished row."""
    cfg.validate()
    profile, c0 = load_injection_profile(cfg.eta, cfg.c0, max(cfg.jmins), cfg.eta_extend)
    if cfg.objective == "min-c2" and c0 is None:
        raise BadInput(f"{cfg.eta}: min-c2 needs the coupling: the profile has no meta c0, give `c0`")
    fixed_c0 = c0 if cfg.objective == "min-c2" else None
    t0 = time.perf_counter()
    rows, amplitudes, points_by_nmax, attempts = [], {}, {}, []
    grid = unitarity_grid(cfg.grid)
    # the rows of one Nmax on nested point sets and spin cuts (the grid, the profile's nodes for the
    # largest J_min, and the union of the points and the spins the rows' certificates asked for, at
    # this and the smaller Nmax; a certified prefix of rows is kept, smatrix.refine.refine_jointly)
    start = with_eta_nodes(grid, eta_nodes(profile, max(cfg.jmins), grid[0], grid[-1]))
    jmax, band = cfg.jmax, None       # the spin cut, and the spin band above it (waves above `jmax_limit`)
    budget = RefineBudget(rounds=cfg.rounds, per_round=cfg.per_round, confirm=0, seconds=math.inf)
    for nmax in cfg.nmaxs:
        configs = [FullConfig(nmax=nmax, jmax=cfg.jmax, grid=cfg.grid, svd_cutoff=cfg.svd_cutoff, solver=cfg.solver,
                              tolerance=cfg.tolerance, eta_tolerance=cfg.eta_tolerance, jmin=jmin,
                              inelasticity=cfg.eta if jmin >= 0 else None, eta_extend=cfg.eta_extend, rounds=0)
                   for jmin in sorted(cfg.jmins)]

        def solve_rows(points, first, jmax, band, configs=configs, nmax=nmax):
            atts = []
            for fc in configs[first:]:
                fc = replace(fc, jmax=jmax, spin_band=band if band is not None and band[0] > jmax else None)
                res = solve_full(cfg.objective, fixed_c0, fc, points=points)
                if res.value is None and fc.svd_cutoff != FALLBACK_CUTOFF:
                    res = _fallback(res, cfg.objective, fixed_c0, replace(fc, svd_cutoff=FALLBACK_CUTOFF), points)
                check = res.extra.pop("check", None) or {}
                atts.append(Attempt(res, check.get("s"), check.get("violation"),
                                    spin=violated_spin_above(res.certificate, jmax),
                                    band=spin_band_asked(res.certificate, cfg.jmax_limit)))
                solved = {**_row(fc.jmin, nmax, res, cfg.objective), "points": int(points.size), "jmax": jmax}
                attempts.append({k: solved[k] for k in ATTEMPT_KEYS})
                if progress is not None:
                    progress(solved)
            return atts

        # the next Nmax starts from these points and spins
        results, start, jmax, band = refine_jointly(solve_rows, start, budget, spins=jmax,
                                                    spin_limit=cfg.jmax_limit, band=band)
        points_by_nmax[str(nmax)] = start.tolist()
        for fc, res in zip(configs, results):
            rows.append({**_row(fc.jmin, nmax, res, cfg.objective),
                         "points": (res.certificate or {}).get("imposed_points"),
                         "rounds": len(res.certificate["refinement"]["rounds"]) if res.certificate else None})
            if res.amplitude is not None:
                amplitudes[(nmax, fc.jmin)] = res.amplitude
    nested_values(rows, cfg.objective, attempts)
    last = {str(J): float(v[-1]) for J, v in profile.eta.items()}
    return {"objective": cfg.objective, "c0": c0, "c0_over_pi": None if c0 is None else c0 / math.pi,
            "eta_file": cfg.eta, "eta_meta": profile.meta, "eta_s_range": [float(profile.s[0]), float(profile.s[-1])],
            "eta_extend": profile.extend, "eta_at_last_energy": last, "config": asdict(cfg),
            "points": points_by_nmax, "rows": rows, "attempts": attempts, "checks": table_checks(rows, cfg.objective), "seconds": time.perf_counter() - t0,
            "amplitudes": amplitudes}


def _fallback(failed, objective: str, c0: float | None, fc: FullConfig, points):
    """A row on which the solver broke down (Clarabel `failed`, also after its regularised retry) is
    solved once more in the smaller reduced space of the ladder's next rung (`smatrix primal` does the
    same): a subspace, so a max c0 (min c2) found there is still achieved and certified by its own
    certificate; the row says so (`svd_cutoff`, message)."""
    res = solve_full(objective, c0, fc, points=points)
    if res.value is None:
        return failed
    res.message = f"SVD cutoff {fc.svd_cutoff:g}: the {failed.config['svd_cutoff']:g} rung {failed.status}" + \
        (f"; {res.message}" if res.message else "")
    return res


def nested_values(rows: list[dict], objective: str, attempts: list[dict] | None = None) -> None:
    """Per row the best value certified for its problem (`nested_value`, from row `nested_from`).
    Row J' imposes the same unitarity and the same η_J for every J ≤ J_min ≤ J' (eqs. 80–81), and
    its certificate re-measures its amplitude directly, so a certified amplitude of row J' is a
    certified amplitude of row J_min too; so is one of an earlier refinement round (a re-solve on
    more points can land elsewhere: Clarabel ends `optimal_inaccurate`, and its optima fall in
    clusters ~4e-5 apart in c2). The best of the certified `attempts` (every solve of the table;
    default: the rows) with J' ≥ J_min at the row's Nmax (max c0, min c2) is therefore an achieved,
    certified value of row J_min. None when there is none. Monotone in J_min by construction, so
    the nesting of the certified values is exact, not up to solver accuracy."""
    better = max if objective == "max-c0" else min
    certified = [q for q in (rows if attempts is None else attempts) if q["certified"] and q["value"] is not None]
    for r in rows:
        pool = [q for q in certified if q["nmax"] == r["nmax"] and q["jmin"] >= r["jmin"]]
        best = better(pool, key=lambda q: q["value"]) if pool else None
        r["nested_value"] = None if best is None else best["value"]
        r["nested_from"] = None if best is None else best["jmin"]


def table_checks(rows: list[dict], objective: str, slack: float = 1e-5) -> dict:
    """Nesting of eqs. (80–81) per Nmax: max c0 non-increasing in J_min and below the elastic value
    (min c2 non-decreasing and above it), allowing `slack` (relative) for the solver's stopping
    accuracy (Clarabel ends `optimal_inaccurate`; reversals up to 5e-6 relative measured at Nmax 12,
    reported as `max_reversal`; the certified values of `nested_values` are nested exactly); and the
    change with Nmax of the final and of the certified values."""
    sign = 1.0 if objective == "max-c0" else -1.0
    out: dict = {"slack": slack, "per_nmax": {}}
    for nmax in sorted({r["nmax"] for r in rows}):
        rs = sorted((r for r in rows if r["nmax"] == nmax and r["value"] is not None), key=lambda r: r["jmin"])
        vals = [sign * r["value"] for r in rs]
        reversal = max([(b - a) / abs(a) for a, b in zip(vals, vals[1:])] + [0.0])
        mono = reversal <= slack
        elastic = next((v for r, v in zip(rs, vals) if r["jmin"] == -1), None)
        below = None if elastic is None else all(v < elastic for r, v in zip(rs, vals) if r["jmin"] >= 0)
        out["per_nmax"][str(nmax)] = {"monotone": mono, "max_reversal": reversal, "injected_beyond_elastic": below,
                                      "all_certified": all(r["certified"] for r in rows if r["nmax"] == nmax)}
    nmaxs = sorted({r["nmax"] for r in rows})
    if len(nmaxs) >= 2:
        top, prev = nmaxs[-1], nmaxs[-2]
        out["nmax_change"] = {"between": [prev, top]}
        for name, key in (("by_jmin", "value"), ("by_jmin_certified", "nested_value")):
            spread = {}
            for jmin in sorted({r["jmin"] for r in rows}):
                a = next((r.get(key) for r in rows if r["nmax"] == top and r["jmin"] == jmin), None)
                b = next((r.get(key) for r in rows if r["nmax"] == prev and r["jmin"] == jmin), None)
                spread[str(jmin)] = None if a is None or b is None else a - b
            out["nmax_change"][name] = spread
    return out


# ---- comparison with the 2PRR amplitude (Figs. 29–31) ------------------------------------------------

def load_2prr_amplitude(path: str):
    """The MandelstamAmplitude of a saved 2PRR solution (`smatrix 2prr --out DIR` → DIR/solution.npz).
    Unpacking needs only the support pairs, not the Mandelstam kernel itself."""
    from smatrix.twoprr.grid import elastic_support
    from smatrix.twoprr.solver import Solution
    from smatrix.twoprr.system import TwoPRRSystem

    sol = Solution.load(path)
    if sol.status != "converged":
        raise BadInput(f"{path}: 2PRR solution is {sol.status}, not converged")
    system = TwoPRRSystem(sol.grid, kernel={"pairs": np.argwhere(elastic_support(sol.grid))})
    return sol.amplitude(system)


def comparison_energies(twoprr, n: int = 160) -> np.ndarray:
    """s from just above threshold up to the 2PRR amplitude's last free node (its trusted range)."""
    top = float(twoprr.grid.nodes[-2]) * 0.999
    return above_threshold(1e-3, top - 4.0, n)


def agreement_limit(s: np.ndarray, a: np.ndarray, b: np.ndarray, rel: float | None = None,
                    absolute: float | None = None) -> float | None:
    """The largest s_* with |a − b| within the tolerance at every s ≤ s_* (None if not even at s[0])."""
    diff = np.abs(a - b)
    ok = diff <= (rel * np.abs(b) if rel is not None else absolute)
    bad = np.flatnonzero(~ok)
    if bad.size == 0:
        return float(s[-1])
    return None if bad[0] == 0 else float(s[bad[0] - 1])


def compare_amplitudes(amplitudes: dict, twoprr, spins=(0, 2, 4)) -> dict:
    """S_J(s) and T(s, 0) of each SDP optimum against the 2PRR amplitude, on `comparison_energies`,
    with the energy up to which they agree (forward amplitude within 10 %, |ΔS_0| ≤ 0.05)."""
    s = comparison_energies(twoprr)
    ref_S = {J: np.asarray(twoprr.S(J, s)) for J in spins}
    ref_T = np.asarray(twoprr.T(s, np.zeros_like(s)))
    out = {"s": s.tolist(), "spins": list(spins), "twoprr": {"c0": twoprr.c0, "c2": twoprr.c2,
           "T_forward": _cplx(ref_T), "S": {str(J): _cplx(v) for J, v in ref_S.items()}}, "sdp": []}
    rho = phase_space(s)
    for (nmax, jmin), amp in sorted(amplitudes.items()):
        f = amp.partial_waves(s, spins)
        S = {J: 1 + 1j * rho * f[k] for k, J in enumerate(spins)}
        T = amp.T(s, np.zeros_like(s))
        out["sdp"].append({"nmax": nmax, "jmin": jmin, "c0": amp.taylor["c0"], "c2": amp.taylor["c2"],
                           "T_forward": _cplx(T), "S": {str(J): _cplx(v) for J, v in S.items()},
                           "agree_forward_up_to": agreement_limit(s, T, ref_T, rel=AGREEMENT_REL),
                           "agree_S0_up_to": agreement_limit(s, S[0], ref_S[0], absolute=AGREEMENT_S_ABS),
                           "max_abs_dS": {str(J): float(np.max(np.abs(S[J] - ref_S[J]))) for J in spins}})
    return out


def _cplx(z) -> dict:
    z = np.asarray(z, dtype=complex)
    return {"re": z.real.tolist(), "im": z.imag.tolist()}


__all__ = ["InjectConfig", "TotalAbsorption", "agreement_limit", "compare_amplitudes", "injection_table", "load_2prr_amplitude",
           "load_injection_profile", "nested_values", "table_checks"]
