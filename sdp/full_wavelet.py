"""Primal ρ-wavelet bootstrap of the full model (P2 App. B, eqs. 87–91) with injected
inelasticity (P2 §5.3, eqs. 80–81):

  maximise c0 (or min/max c2 at fixed c0) over the coefficients of `FullBasis(Nmax)` subject to
  |S_J(s)|² ≤ 1 − η_J(s) for even J ≤ J_min and |S_J(s)|² ≤ 1 for J_min < J ≤ J_max
  on the Chebyshev unitarity grid (eq. 90), as second-order cones ||(Re S_J, Im S_J)|| ≤ sqrt(1 − η_J).

UV condition (spec README, Paulos et al.): every basis function tends to a constant at fixed angle,
and unitarity at s → ∞ needs T(∞) = 0; it is imposed exactly by default (eliminating the constant).

Certificate: |S_J|² − 1 + η_J re-measured for J ≤ J_max + 4 on 4× as many points as imposed,
from s − 4 = 10⁻¹² up to s = 10¹⁶, and an all-spin row: the optical defect Σ_J (2J+1) η_J from T
(smatrix.optical) minus the checked waves; where it falls below −tolerance the waves above are
traced one by one, and a traced |S_J|² − 1 above tolerance fails the certificate. Values of c0
above the converged maximum that a finite grid or spin cut lets through show up there as violations.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from smatrix.certificate import Certificate, Check
from smatrix.certify import DEFAULT_TOLERANCE, dense_check_points, unitarity_certificate, wave_violation, worst_point
from smatrix.errors import BadInput
from smatrix.full_amplitude import FullAmplitude, FullBasis, cached_partial_wave_rows, partial_wave_rows
from smatrix.grids import unitarity_grid
from smatrix.inelasticity import InelasticityProfile, load_profile
from smatrix.kinematics import phase_space
from smatrix.optical import all_spin_check
from smatrix.refine import Attempt, RefineBudget, merge_points, refine_until_certified
from smatrix.result import Result, config_hash

from .inelastic import covered
from .objectives import check_objective
from .reduced_socp import ReducedSDPB, reduced_sdpb_problem, reduced_solution_from_sdpb, solve_reduced
from .reductions import UnitarityRows, UVElimination
from .solve import failure_message

CHECK_EXTRA_SPINS = 4
# Waves above the checked J ≤ J_max + 4, measured one by one on the imposed points (the all-spin row
# sees them only as one weighted sum, in which sub-unitary waves hide super-unitary ones), each with
# the angular rule that resolves it (smatrix.quadrature.projection_rule)
HIGH_SPIN_CHECK = 200
# Relative singular values kept in the orthonormal coordinates. Below ~1e-9 double precision lets the
# solver exploit ill-conditioned directions (c0 above the converged maximum, unitarity violated between
# the grid points); each rung drops more of them and the amplitude is re-certified.
SVD_LADDER = (1e-8, 1e-7)


@dataclass(frozen=True)
class FullConfig:
    nmax: int = 8
    jmax: int = 16
    grid: int = 300
    threshold_term: bool = True
    uv_condition: bool = True
    svd_cutoff: float | None = None  # None: the ladder SVD_LADDER, first certified rung wins
    solver: str = "clarabel"
    tolerance: float = DEFAULT_TOLERANCE
    eta_tolerance: float = DEFAULT_TOLERANCE  # on 1 − |S_J|² ≥ η_J between the imposed points (certify_full)
    jmin: int = -1                  # η_J imposed for even J ≤ jmin (−1: elastic)
    inelasticity: str | None = None  # path of an η_J(s) file (smatrix.inelasticity schema)
    eta_extend: str = "error"        # η outside the file's s range: error | zero | hold
    rounds: int = 6                  # adaptive refinement: re-solves with the violating points imposed (0 = off)
    spin_band: tuple[int, float, float] | None = None   # (J_band, s_lo, s_hi): also even J_max < J ≤ J_band at s_lo ≤ s ≤ s_hi

    def validate(self) -> None:
        if self.nmax < 1:
            raise BadInput(f"`nmax` must be ≥ 1, got {self.nmax}")
        if self.jmax < 0 or self.jmax % 2:
            raise BadInput(f"`jmax` must be an even spin ≥ 0, got {self.jmax}")
        if self.grid < 8:
            raise BadInput(f"`grid` too small: {self.grid} unitarity points (need ≥ 8)")
        if self.jmin >= 0 and self.inelasticity is None:
            raise BadInput(f"`jmin` {self.jmin} needs an inelasticity file (`inelasticity`)")
        if self.jmin > self.jmax:
            raise BadInput(f"`jmin` {self.jmin} exceeds `jmax` {self.jmax}")
        if self.spin_band is not None:
            J, lo, hi = self.spin_band
            if J % 2 or J <= self.jmax or not (4.0 < lo < hi):
                raise BadInput(f"`spin_band` (J, s_lo, s_hi) needs an even J > `jmax` {self.jmax} and "
                               f"4 < s_lo < s_hi, got {self.spin_band}")


def _spins(jmax: int) -> list[int]:
    return list(range(0, jmax + 1, 2))


def _eta(profile: InelasticityProfile | None, jmin: int, spins, s) -> np.ndarray:
    """η_J(s) (len(spins), m): the profile for J ≤ jmin, zero above."""
    eta = np.zeros((len(spins), np.size(s)))
    if profile is not None:
        for k, J in enumerate(spins):
            if J <= jmin:
                eta[k] = profile(J, s)
    return eta


def eta_nodes(profile: InelasticityProfile | None, jmin: int, lo: float, hi: float) -> np.ndarray:
    """The profile's own energies in [lo, hi] where some imposed η_J (J ≤ jmin) is > 0, with the
    node just below each such stretch (where η switches on, s = 16). Imposed as unitarity points, they
    make |S_J|² ≤ 1 − η_J hold at every kink of the piecewise-linear η (linear in log(s − 4)): between
    two imposed points η is then linear, and the certificate's between-point violation measures only
    the curvature of |S_J|², not a kink of η that no grid point sees."""
    if profile is None or jmin < 0:
        return np.empty(0)
    active = np.zeros(profile.s.size, dtype=bool)
    for J, v in profile.eta.items():
        if J <= jmin:
            active |= v > 0
    active[:-1] |= active[1:]
    s = profile.s[active]
    return s[(s >= lo) & (s <= hi)]


def with_eta_nodes(grid: np.ndarray, nodes: np.ndarray, snap: float = 0.25) -> np.ndarray:
    """The grid with the η nodes added; a grid point closer to a node than `snap` × its spacing (in
    log(s − 4)) is moved onto the node instead, so no two imposed points are near-duplicates (nearly
    parallel cones made Clarabel break down)."""
    grid = np.sort(np.asarray(grid, dtype=float))
    y = np.log(grid - 4.0)
    step = np.gradient(y)
    keep = np.ones(grid.size, dtype=bool)
    for yn in np.log(np.asarray(nodes, dtype=float) - 4.0):
        k = int(np.argmin(np.abs(y - yn)))
        if abs(y[k] - yn) < snap * step[k]:
            keep[k] = False
    return merge_points(grid[keep], nodes)


def _load_full_profile(config: FullConfig) -> InelasticityProfile | None:
    """The η_J profile of the configuration (None: elastic), checked to hold every imposed spin."""
    return load_profile(config.inelasticity, config.eta_extend,
                        [J for J in _spins(config.jmax) if J <= config.jmin])


def _design(basis: FullBasis, uv_condition: bool) -> np.ndarray:
    """B with α = B γ; with the UV condition the constant is eliminated: α_1 = 3Σα_σ − 6Σα_στ."""
    B = np.eye(basis.size)
    if uv_condition:
        row = basis.infinity_row()
        B[0, :] = -row
        B[0, 0] = 0.0
        B = B[:, 1:]
    return B


def solve_full(objective: str, c0: float | None = None, config: FullConfig = FullConfig(),
               points=None) -> Result:
    """The optimum of `objective` (module docstring). Unitarity is imposed at `points` (energies > 4;
    default: the Chebyshev grid with the profile's active nodes, `with_eta_nodes`; a table passes the
    points all its rows share, `smatrix.crosscheck.inject`); with `config.rounds` > 0 the refinement
    loop adds points from there until the certificate passes."""
    check_objective(objective, c0)
    config.validate()
    t0 = time.perf_counter()
    profile = _load_full_profile(config)
    cfg = {"model": "full", "method": "primal-wavelet", "objective": objective, "c0": c0, **asdict(config),
           "eta_hash": None if profile is None else config_hash(profile.to_dict())}
    basis = FullBasis(config.nmax, config.threshold_term)
    spins = _spins(config.jmax)
    s_grid = unitarity_grid(config.grid)
    _eta(profile, config.jmin, spins, s_grid)  # raises if the profile does not cover the grid
    if points is None:
        start = with_eta_nodes(s_grid, eta_nodes(profile, config.jmin, s_grid[0], s_grid[-1]))
    else:
        start = np.unique(np.asarray(points, dtype=float))
        if start.size < 8 or not np.all(np.isfinite(start)) or np.any(start <= 4.0):
            raise BadInput("unitarity points must be ≥ 8 finite energies s > 4")
        _eta(profile, config.jmin, spins, start)  # raises if the profile does not cover them
    cfg["imposed_points"] = int(start.size)
    cfg["points_hash"] = config_hash({"s": start.tolist()}) if start.size > s_grid.size else None

    def result(status, value=None, amp=None, cert=None, certified=False, message="", extra=None):
        tay = amp.taylor if amp is not None else {"c0": c0, "c2": None}
        return Result(method="primal-wavelet", model="full", objective=objective, c0=tay["c0"], c2=tay["c2"],
                      value=value, bound_kind="primal (achieved)", status=status, certified=certified,
                      certificate=cert, solver=config.solver, seconds=time.perf_counter() - t0, config=cfg,
                      message=message, extra=extra or {}, amplitude=amp)

    if c0 is not None and c0 < 0:
        return result("infeasible", message="c0 < 0 admits no unitary amplitude")

    def solve_at(points) -> Attempt:
        """The SVD ladder with unitarity imposed at `points` (the grid plus violating points)."""
        eta_p = _eta(profile, config.jmin, spins, points)
        rows_ = _reduced_rows(basis, points, spins, eta_p, config.uv_condition, s_grid)
        B, keep, re_S1, im_S, taylor = rows_["B"], rows_["keep"], rows_["re_S1"], rows_["im_S"], rows_["taylor"]
        eta_rows = eta_p.ravel()[keep]
        band_cones = 0
        if config.spin_band is not None:       # the high spins, elastic (J > J_min), in their energy window
            J_band, lo, hi = config.spin_band
            s_band = points[(points >= lo) & (points <= hi)]
            band_spins = list(range(config.jmax + 2, J_band + 1, 2))
            if s_band.size:
                extra = _reduced_rows(basis, s_band, band_spins, np.zeros((len(band_spins), s_band.size)),
                                      config.uv_condition)
                re_S1, im_S = np.vstack([re_S1, extra["re_S1"]]), np.vstack([im_S, extra["im_S"]])
                eta_rows = np.concatenate([eta_rows, np.zeros(extra["re_S1"].shape[0])])
                band_cones = int(extra["re_S1"].shape[0])
        attempts, best = [], None
        for cutoff in (SVD_LADDER if config.svd_cutoff is None else (config.svd_cutoff,)):
            red = solve_reduced(UnitarityRows(re_S1, im_S, taylor["c0"], taylor["c2"], eta=eta_rows),
                                objective, c0, config.solver, cutoff)
            if red.gamma is None:
                attempts.append({"svd_cutoff": cutoff, "status": red.solve.status})
                continue
            amp = FullAmplitude(basis, UVElimination.invert(red.gamma, B))
            cert, check_s, combined = certify_full(amp, points, config, profile)
            attempts.append({"svd_cutoff": cutoff, "status": red.solve.status, "value": _value(objective, amp),
                             "max_unitarity_violation": cert["max_unitarity_violation"],
                             "max_inelasticity_violation": cert["max_inelasticity_violation"]})
            best = (red, amp, cert, cutoff, check_s, combined)
            if cert.passed:
                break
        if best is None:
            return Attempt(result(red.solve.status, message=failure_message(red.solve, c0, config.inelasticity)))
        red, amp, cert, cutoff, check_s, combined = best
        coef = amp.coefficients
        cert.update({"ansatz_size": basis.size, "wavelets": int(basis.centres.size), "pairs": int(len(basis.pairs)),
                     "spins_imposed": spins, "unitarity_grid": config.grid, "imposed_points": int(points.size),
                     "cones": int(np.sum(keep)) + band_cones, "spin_band": config.spin_band, "band_cones": band_cones,
                     "rows_below_roundoff": int(np.sum(~keep)), "svd_cutoff": cutoff, "rank_kept": red.rank_kept,
                     "condition_dropped": red.condition_dropped, "max_abs_coefficient": float(np.max(np.abs(coef))),
                     "uv_residual_T_inf": float(basis.infinity_row() @ coef.astype(float)),
                     "solver_status": red.solve.status, "solver_iterations": red.solve.iterations,
                     "solver_seconds": red.solve.seconds, "objective_in_solver": float(red.solve.value),
                     "attempts": attempts, **({"sdpb": red.sdpb} if red.sdpb else {})})
        passed = cert.passed
        msg = _status_note(cert, red.solve.status, config)
        res = result(red.solve.status, value=_value(objective, amp), amp=amp,
                     cert=cert, certified=passed, message=msg,
                     extra={"check": {"s": check_s, "violation": combined}})
        return Attempt(res, check_s, combined)
    if config.rounds == 0:
        return solve_at(start).result
    # points where the profile says nothing are left out of the refinement (η there is not defined)
    return refine_until_certified(lambda p: solve_at(covered(profile, p) if p.size > start.size else p),
                                  start, RefineBudget(rounds=config.rounds, per_round=16, confirm=0,
                                                       seconds=600.0))


def _reduced_rows(basis: FullBasis, s_points, spins, eta, uv_condition: bool, base_grid=None) -> dict:
    """Re S_J − 1 and Im S_J at `s_points` as rows on γ (α = B γ), the significant (J, s) rows only,
    and the c0, c2 rows on γ. The rows of `base_grid` come from the disk cache, the others (points
    added by the refinement) are projected afresh."""
    B = _design(basis, uv_condition)
    rows = _wave_rows(basis, np.asarray(s_points, dtype=float), spins, base_grid) / (32 * np.pi)  # f_J = rows · α
    rho = np.broadcast_to(phase_space(s_points)[None, :], eta.shape).ravel()
    keep = significant_rows(rows.reshape(-1, basis.size), eta.ravel())
    taylor, _ = UVElimination(B).apply({"waves": rows.reshape(-1, basis.size)[keep], **basis.taylor_rows()})
    rows = taylor.pop("waves")
    return {"B": B, "keep": keep, "taylor": taylor,
            "re_S1": -rho[keep, None] * rows.imag,   # Re S_J − 1 = −ϱ Im f_J
            "im_S": rho[keep, None] * rows.real}     # Im S_J = ϱ Re f_J


def _wave_rows(basis: FullBasis, s, spins, base_grid) -> np.ndarray:
    """32π f_J rows at s: those of `base_grid` points from the disk cache, the rest projected now."""
    if base_grid is None:
        return cached_partial_wave_rows(basis, s, spins)
    base_grid = np.asarray(base_grid, dtype=float)
    where = {v: k for k, v in enumerate(base_grid)}
    k = np.array([where.get(v, -1) for v in s])
    rows = np.empty((len(spins), s.size, basis.size), dtype=complex)
    rows[:, k >= 0] = cached_partial_wave_rows(basis, base_grid, spins)[:, k[k >= 0]]
    if np.any(k < 0):
        rows[:, k < 0] = partial_wave_rows(basis, s[k < 0], spins)
    return rows


ROUNDOFF_WAVE = 1e-13   # |f_J| per unit coefficient below the quadrature's roundoff: not a constraint


def significant_rows(rows: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Mask of the (J, s) rows that are constraints: high spins right at threshold (f_J ~ (s − 4)^J)
    are below the projection's roundoff, F = max |row| < 1e-13 per unit coefficient, and are left to
    the certificate (rows with η > 0 always stay)."""
    return (np.max(np.abs(rows), axis=1) >= ROUNDOFF_WAVE) | (eta > 0)


def _value(objective: str, amp: FullAmplitude) -> float:
    return amp.taylor["c0" if objective == "max-c0" else "c2"]


def certify_full(amp: FullAmplitude, s_grid, config: FullConfig,
                 profile: InelasticityProfile | None) -> tuple[Certificate, np.ndarray, np.ndarray]:
    """Re-measure on `dense_check_points(s_grid, 4)` (s − 4 from 1e-12 up to s = 1e16), J ≤ J_max + 4:
    - unitarity, max(|S_J|² − 1) ≤ `tolerance` (1e-6): the amplitude is physical;
    - the injected inelasticity, max(|S_J|² − 1 + η_J) ≤ `eta_tolerance` (1e-6) inside the profile's s
      range, η the same interpolant the solve imposed. Where the optimum saturates 1 − |S_J|² = η_J it
      deviates between imposed points by the curvature of |S_J|² + η_J: the profile's kinks are imposed
      (`eta_nodes`), and the refinement adds the points where the rest exceeds the tolerance.
    - the all-spin row (check "all_spin", smatrix.optical);
    - the waves J_max + 6 … HIGH_SPIN_CHECK one by one on the imposed points (check "high_spins").
    Also returns the check points and the worse of the two violations there in units of
    `tolerance` (for smatrix.refine)."""
    spins = amp.spins(config.jmax + CHECK_EXTRA_SPINS)
    s = dense_check_points(s_grid, 4)
    viol = wave_violation(amp, s, spins)  # T summed directly, not the SDP rows
    worst_spin, worst_s = worst_point(s, viol, spins)
    s_last = float(np.max(s_grid))
    inelastic = None
    combined = np.max(viol, axis=0)
    checks = {}
    if profile is not None:
        inside = (s >= profile.s[0]) & (s <= profile.s[-1])
        eta = _eta(profile, config.jmin, spins, s[inside])
        inelastic = float(max(np.max(viol[:, inside] + eta), 0.0))
        scaled = np.max(viol[:, inside] + eta, axis=0) * (config.tolerance / config.eta_tolerance)
        combined[inside] = np.maximum(combined[inside], scaled)
        checks["inelasticity"] = Check.at_most(inelastic, config.eta_tolerance)
    all_spin = all_spin_check(amp, s, spins, -viol, config.tolerance)  # Σ_J (2J+1) η_J from T (optical)
    checks["all_spin"] = Check.stated(all_spin["passed"])
    high = high_spin_row(amp, dense_check_points(s_grid, 1), max(spins) + 2, config.tolerance)
    if high is not None:
        checks["high_spins"] = Check.at_most(high["max_violation"], config.tolerance)
    facts = {"worst_spin": worst_spin, "worst_s": worst_s, "high_spins": high,
             "beyond_grid_max": float(np.max(viol[:, s > s_last])) if np.any(s > s_last) else None,
             "max_inelasticity_violation": inelastic, "eta_tolerance": config.eta_tolerance if profile else None,
             "s_range": [float(s[0]), float(s[-1])], "density_factor": 4, "all_spin": all_spin}
    return unitarity_certificate(s, viol, spins, config.tolerance, checks=checks, facts=facts), s, combined


def high_spin_row(amp: FullAmplitude, s, first: int, tolerance: float, last: int = HIGH_SPIN_CHECK) -> dict | None:
    """max(|S_J|² − 1) over the even J = first … last at the energies s, and where; the spins and
    energies where it exceeds `tolerance` (`over`, None if nowhere). None when first > last: the
    certificate's check "high_spins"."""
    spins = np.arange(first + first % 2, last + 1, 2)
    if not spins.size:
        return None
    s = np.asarray(s, dtype=float)
    viol = wave_violation(amp, s, spins.tolist())
    J, at = worst_point(s, viol, spins.tolist())
    bad = viol > tolerance
    over = None if not bad.any() else {"spins": [int(spins[bad.any(axis=1)].min()), int(spins[bad.any(axis=1)].max())],
                                       "s": [float(s[bad.any(axis=0)].min()), float(s[bad.any(axis=0)].max())]}
    return {"spins": [int(spins[0]), int(spins[-1])], "points": int(s.size), "max_violation": float(np.max(viol)),
            "worst_spin": J, "worst_s": at, "over": over}


BAND_MARGIN = (8, 1.5)   # a requested band: 8 spins above the highest violated one, energies widened 1.5× each side


def spin_band_asked(cert: Certificate | None, above: int) -> tuple[int, float, float] | None:
    """The spin band (J_band, s_lo, s_hi) that imposes the unimposed waves the certificate found
    violated above spin `above` (check "high_spins"), with BAND_MARGIN; None when there are none.
    Waves up to `above` are the global spin cut's (`violated_spin_above`)."""
    over = ((cert or {}).get("high_spins") or {}).get("over")
    if over is None or over["spins"][1] <= above:
        return None
    dJ, ds = BAND_MARGIN
    return min(HIGH_SPIN_CHECK, over["spins"][1] + dJ), over["s"][0] / ds, over["s"][1] * ds


def violated_spin_above(cert: Certificate | None, jmax: int) -> int | None:
    """The highest spin above the imposed `jmax` that the certificate found violated (|S_J|² − 1 above
    its tolerance on the checked waves J ≤ jmax + 4, or the wave the all-spin row traced a failing
    tail to); None if there is none. Imposing it is the spin analogue of adding a violating point."""
    if cert is None:
        return None
    tol = float(cert["tolerance"])
    over = [int(J) for J, v in cert["per_spin_max"].items() if int(J) > jmax and not v <= tol]
    high = cert.get("high_spins") or {}
    if high and not high["max_violation"] <= tol:
        over.append(int(high["worst_spin"]))
    tail = cert.get("all_spin") or {}
    traced = tail.get("traced") or {}
    if not tail.get("passed", True) and traced.get("spin") is not None and traced["max_violation"] > tol:
        over.append(int(traced["spin"]))
    return max(over) if over else None


def _status_note(cert: Certificate, status: str, config: FullConfig) -> str:
    """Why a value is not a clean optimum: a violated certificate (artefact of the finite grid or
    spin cut, or of lost precision), or a solver that stopped short (the amplitude is still valid)."""
    if cert["max_unitarity_violation"] > config.tolerance and config.inelasticity and \
            cert["max_unitarity_violation"] < 1e-3:
        return (f"unitarity exceeded by {cert['max_unitarity_violation']:.2e} > {config.tolerance:g} between the grid "
                f"points (J = {cert['worst_spin']}, s = {cert['worst_s']:.6g}) where the waves saturate around the "
                "injected inelasticity; it falls like the grid step squared: refine --grid")
    if cert["max_unitarity_violation"] > config.tolerance:
        return (f"unitarity violated by {cert['max_unitarity_violation']:.2e} > {config.tolerance:g} at "
                f"J = {cert['worst_spin']}, s = {cert['worst_s']:.6g}: the value is an artefact (grid, spin cut or "
                "precision), not an amplitude")
    high = cert.get("high_spins") or {}
    if high and not high["max_violation"] <= config.tolerance:
        return (f"the unimposed wave J = {high['worst_spin']} is super-unitary, |S_J|² − 1 = "
                f"{high['max_violation']:.2e} > {config.tolerance:g} at s = {high['worst_s']:.6g} (waves "
                f"J = {high['spins'][0]} … {high['spins'][1]} checked one by one): impose more spins (--jmax)")
    tail = cert["all_spin"]
    if not tail["passed"]:
        tr = tail["traced"]
        return (f"the optical defect proves super-unitary waves above J = {tail['tail_above_spin']}: "
                f"Σ_(J>{tail['tail_above_spin']}) (2J+1) η_J = {tail['min_tail']:.2e} at s = {tail['worst_s_tail']:.6g}; "
                f"traced to J = {tr['spin']}, |S_J|² − 1 = {tr['max_violation']:.2e} (tail left {tr['remaining_tail']:.1e}, "
                f"tolerance {config.tolerance:g})")
    inel = cert.get("max_inelasticity_violation")
    if inel is not None and inel > config.eta_tolerance:
        return (f"the injected inelasticity is missed by {inel:.2e} > {config.eta_tolerance:g} between the grid "
                "points: refine --grid")
    if status != "optimal":
        return (f"solver status {status}: the amplitude is certified, so the value is achieved, but it may lie "
                "slightly below the optimum of this ansatz")
    return ""


@dataclass
class FullSDPB:
    """The full-model reduced problem for SDPB (one rung of the SVD ladder) and its chart back."""

    rs: ReducedSDPB
    basis: FullBasis
    B: np.ndarray
    s_grid: np.ndarray
    profile: InelasticityProfile | None
    svd_cutoff: float


def full_sdpb_problem(objective: str, c0: float | None, config: FullConfig, digits: int = 40) -> FullSDPB:
    """The reduced full-model problem with |S_J| ≤ sqrt(1 − η_J) at `config.svd_cutoff` (default:
    the first rung of SVD_LADDER), for `smatrix sdpb export`."""
    check_objective(objective, c0)
    config.validate()
    profile = _load_full_profile(config)
    basis, spins, s_grid = FullBasis(config.nmax, config.threshold_term), _spins(config.jmax), unitarity_grid(config.grid)
    eta = _eta(profile, config.jmin, spins, s_grid)
    rows = _reduced_rows(basis, s_grid, spins, eta, config.uv_condition)
    cutoff = SVD_LADDER[0] if config.svd_cutoff is None else config.svd_cutoff
    rs = reduced_sdpb_problem(UnitarityRows(rows["re_S1"], rows["im_S"], rows["taylor"]["c0"], rows["taylor"]["c2"],
                                            eta=eta.ravel()[rows["keep"]]), objective, c0, cutoff, digits)
    return FullSDPB(rs, basis, rows["B"], s_grid, profile, cutoff)


def full_result_from_sdpb(fs: FullSDPB, res, objective: str, c0: float | None, config: FullConfig, cfg: dict,
                          t0: float) -> Result:
    """The Result of an SDPB run of `full_sdpb_problem`: the amplitude re-certified by direct summation."""
    red = reduced_solution_from_sdpb(fs.rs, res, objective)
    amp = FullAmplitude(fs.basis, UVElimination.invert(red.gamma, fs.B))
    cert, _, _ = certify_full(amp, fs.s_grid, config, fs.profile)
    passed = cert.passed
    cert.update({"ansatz_size": fs.basis.size, "svd_cutoff": fs.svd_cutoff, "rank_kept": red.rank_kept,
                 "condition_dropped": red.condition_dropped, "max_abs_coefficient": float(np.max(np.abs(amp.coefficients))),
                 "sdpb": red.sdpb})
    tay = amp.taylor
    return Result(method="primal-wavelet", model="full", objective=objective, c0=tay["c0"], c2=tay["c2"],
                  value=_value(objective, amp), bound_kind="primal (achieved)", status=red.solve.status,
                  certified=passed, certificate=cert, solver="sdpb", seconds=time.perf_counter() - t0, config=cfg,
                  message=_status_note(cert, red.solve.status, config), amplitude=amp)
