"""ρ-wavelet primal of the zero-ddisc model (P1 eqs. (65)–(66)).

T = α0 + Σ_σ α_σ [ρ_σ(s) + ρ_σ(t) + ρ_σ(u)] with centres Σ(Nmax) (eq. 93), |S0| ≤ 1 on the
Chebyshev unitarity grid (eq. 92) as one batched second-order cone.

The wavelet basis is badly conditioned (cond ~1e11–1e12), so the problem is solved in
orthonormal coordinates: the columns [Re S0 − 1; Im S0; c0; c2] on the grid are stacked and
an SVD gives an orthonormal basis of their span (directions below `svd_cutoff` × σ_max are
dropped: they move no constraint and no objective by more than that). The coefficients α are
recovered in extended precision and the amplitude is re-certified on a 4× denser grid.

UV condition: every wavelet tends to −1 at infinity, so f0(∞) = (α0 − 3Σα)/16π and unitarity
at s → ∞ needs α0 = 3Σα_σ (the analogue of the sum rule (24)). It is imposed by default; with
`uv_condition=False` only the finite grid enforces it and the bound comes out too high when the
grid resolves too little of the UV (P1 §4.3) — the certificate then flags the violation at large s.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import mpmath as mp
import numpy as np

from smatrix.amplitude import WaveletAmplitude, wavelet_f0_rows
from smatrix.cache import cached_arrays
from smatrix.certificate import Certificate
from smatrix.certify import DEFAULT_TOLERANCE, dense_check_points, measure_spin0, spin0_certificate
from smatrix.errors import BadInput
from smatrix.grids import unitarity_grid, wavelet_centres
from smatrix.kinematics import S0_CROSSING
from smatrix.refine import Attempt, RefineBudget, refine_until_certified
from smatrix.result import Result
from smatrix.status import OPTIMAL, OPTIMAL_INACCURATE
from smatrix.wavelets import rho_wavelet_derivative, threshold_term_derivative, xsqrt

from .inelastic import certificate_eta, cone_radius, covered, eta_hash, load_eta0
from .objectives import check_objective
from .problems import ProblemData, SDPBForm, unitarity_cone, unitarity_sdpb, unitarity_socp
from .reductions import FixedC0Chart, OrthonormalBasis, UnitarityRows, UVElimination
from .sdpb import SDPBProblem
from .solve import failure_message as _failure_message, solve


@dataclass(frozen=True)
class WaveletConfig:
    nmax: int = 12
    grid: int = 300
    uv_condition: bool = True
    threshold_term: bool = True
    svd_cutoff: float = 1e-13
    solver: str = "clarabel"
    tolerance: float = DEFAULT_TOLERANCE
    inelasticity: str | None = None  # η0(s) file: impose |S0|² ≤ 1 − η0 (smatrix.sdp.inelastic)
    eta_extend: str = "error"        # η0 outside the file's s range: error | zero | hold
    rounds: int = 8                  # adaptive refinement: re-solves with the violating points added (0 = off)
    dual_gap: float = 1e-4           # further than this (relative) from the dual bound: the grid is solved instead (0 = off)

    def validate(self) -> None:
        if self.nmax < 1:
            raise BadInput(f"`nmax` must be ≥ 1, got {self.nmax}")
        if self.grid < 8:
            raise BadInput(f"`grid` too small: {self.grid} unitarity points (need ≥ 8)")


def uv_design(n: int, uv_condition: bool, threshold: bool, dtype) -> np.ndarray:
    """B with (α0, α, β) = B γ: with the UV condition α0 = 3 Σ α_σ is eliminated (g → 0 at infinity
    does not enter), without the threshold term β is dropped."""
    full = np.eye(n + 2, dtype=int).astype(dtype)
    if uv_condition:
        full[0, 1:n + 1] = 3
        full = full[:, 1:]
    return full if threshold else full[:, :-1]


def wavelet_design(centres, s_grid, uv_condition: bool, threshold: bool, dps: int | None = None):
    """Linear maps from reduced coefficients γ ((α0, α, β) = B γ) to Re S0 − 1, Im S0, c0, c2,
    and B itself: in extended precision, or with `dps` digits (object arrays of mpmath numbers,
    the same formulas; centres and grid points are taken as exact binary numbers)."""
    n = centres.size
    if dps is None:
        dtype, cast = np.longdouble, (lambda x: np.asarray(x, dtype=np.longdouble))
    else:
        dtype, cast = object, (lambda x: np.array([mp.mpf(float(v)) for v in np.ravel(x)], dtype=object))
    with mp.workdps(dps or mp.mp.dps):
        sig = cast(centres)
        B = uv_design(n, uv_condition, threshold, dtype)
        s = cast(s_grid)
        x0 = cast([S0_CROSSING])[0] if dps is None else mp.mpf(4) / 3
        rows, _ = UVElimination(B).apply({   # rows on α → rows on γ
            "f0": wavelet_f0_rows(sig, s),
            "c0": np.concatenate([[1], 3 * rho_wavelet_derivative(sig, x0, 0), [3 * threshold_term_derivative(x0, 0)]]),
            "c2": np.concatenate([[0], rho_wavelet_derivative(sig, x0, 2) / 2, [threshold_term_derivative(x0, 2) / 2]])})
        f0 = rows["f0"] / (16 * (mp.pi if dps else np.pi))  # f0 = rows @ γ
        rho = xsqrt((s - 4) / s)[:, None]
        re_f0, im_f0 = _parts(f0)
        re_S1 = -rho * im_f0          # Re S0 − 1 = −ϱ Im f0
        im_S = rho * re_f0            # Im S0 = ϱ Re f0
    return B, re_S1, im_S, rows["c0"], rows["c2"]


def _parts(z):
    """(Re z, Im z) elementwise, for numeric or mpmath object arrays."""
    if z.dtype == object:
        return np.frompyfunc(lambda v: mp.mpf(v.real), 1, 1)(z), np.frompyfunc(lambda v: mp.mpf(v.imag), 1, 1)(z)
    return np.real(z), np.imag(z)


def solve_wavelet(objective: str, c0: float | None = None, config: WaveletConfig = WaveletConfig()) -> Result:
    """The wavelet primal, refined until certified (smatrix.refine); with `config.solver` "sdpb" one
    high-precision solve (`solve_wavelet_sdpb`)."""
    check_objective(objective, c0)
    if config.solver == "sdpb":
        return solve_wavelet_sdpb(objective, c0, config)
    t0 = time.perf_counter()
    cfg = {"model": "zero-ddisc", "method": "primal-wavelet", "objective": objective, "c0": c0,
           **config.__dict__}
    config.validate()
    profile = load_eta0(config.inelasticity, config.eta_extend)
    cfg["eta_hash"] = eta_hash(profile)
    base = _base_result(objective, c0, cfg, config.solver)
    if c0 is not None and c0 < 0:
        return base(status="infeasible", t0=t0, message="c0 < 0 admits no unitary amplitude: the sum "
                    "rule (24) gives c0 = (3/π)∫ρ/(s−4/3) with ρ ≥ 0")
    centres = wavelet_centres(config.nmax)
    s_grid = unitarity_grid(config.grid)
    solve_at = lambda points: _solve_wavelet_at(objective, c0, config, cfg, centres,
                                                np.union1d(s_grid, covered(profile, points)), profile, t0)
    if config.rounds == 0:
        return solve_at(s_grid).result
    return refine_until_certified(solve_at, s_grid, RefineBudget(rounds=config.rounds))


def _solve_wavelet_at(objective, c0, config: WaveletConfig, cfg, centres, s_grid, profile, t0) -> Attempt:
    """One solve with |S0| ≤ sqrt(1 − η0) imposed at `s_grid`, re-measured on 4× as many points."""
    radius = cone_radius(profile, s_grid)  # |S0| ≤ sqrt(1 − η0), eq. (14) with inelasticity
    B, re_S1, im_S, c0_row, c2_row = wavelet_design(centres, s_grid, config.uv_condition, config.threshold_term)
    m = s_grid.size
    rows, basis = OrthonormalBasis(config.svd_cutoff).apply(UnitarityRows(re_S1, im_S, c0_row, c2_row, radius))
    sol = solve(ProblemData("primal-wavelet", cvxpy=unitarity_socp(rows, objective, c0),
                            cone=unitarity_cone(rows, objective, c0)), config.solver)
    if not sol.solved:
        return Attempt(_base_result(objective, c0, cfg, config.solver)(status=sol.status, t0=t0,
                                                                       message=_failure_message(sol, c0, config.inelasticity)))
    coef = UVElimination.invert(OrthonormalBasis.invert(sol.outputs["x"], basis), B)  # extended precision
    if not config.threshold_term:
        coef = np.concatenate([coef, [0]])
    amp = WaveletAmplitude(centres, coef[0], coef[1:-1], coef[-1])
    check_s, viol = measure_spin0(amp, s_grid, eta=certificate_eta(profile))  # from the amplitude's formula
    cert = spin0_certificate(check_s, viol, config.tolerance, 4, int(m))
    tay = amp.taylor
    value = tay["c0"] if objective == "max-c0" else tay["c2"]
    res = Result(
        method="primal-wavelet", model="zero-ddisc", objective=objective, c0=tay["c0"], c2=tay["c2"],
        value=value, bound_kind="primal (achieved)", status=sol.status,
        certified=cert.passed,
        certificate={**cert, "wavelets": int(centres.size), "rank_kept": basis.rank,
                     "condition_dropped": basis.condition_dropped, "max_abs_coefficient": float(np.max(np.abs(coef))),
                     "threshold_beta": float(coef[-1]),
                     "solver_iterations": sol.iterations, "solver_seconds": sol.seconds,
                     "objective_in_solver": float(sol.value)},
        solver=config.solver, seconds=time.perf_counter() - t0, config=cfg,
        amplitude=amp, extra={"c3": tay["c3"]})
    remeasure = lambda factor, known: measure_spin0(amp, s_grid, factor, certificate_eta(profile), known=known)
    return Attempt(res, check_s, viol, remeasure)


def _base_result(objective, c0, cfg, solver):
    def make(status, t0, message):
        return Result(method=cfg["method"], model="zero-ddisc", objective=objective, c0=c0, c2=None,
                      value=None, bound_kind="primal (achieved)", status=status, certified=False,
                      certificate=None, solver=solver, seconds=time.perf_counter() - t0, config=cfg,
                      message=message)
    return make


def high_precision_design(centres, s_grid, uv_condition: bool, threshold: bool, digits: int):
    """`wavelet_design` at `digits` digits, from the disk cache when it was built before."""
    def build():
        parts = wavelet_design(centres, s_grid, uv_condition, threshold, dps=digits)
        return {k: np.vectorize(lambda v: mp.nstr(v, digits + 5))(a).astype(str)
                for k, a in zip(_DESIGN_KEYS, parts)}
    params = {"centres": [float(c) for c in centres], "grid": [float(x) for x in s_grid],
              "uv": uv_condition, "threshold": threshold, "digits": digits}
    with mp.workdps(digits):
        stored = cached_arrays("zero-ddisc-wavelet-hp", params, build)
        return tuple(np.vectorize(mp.mpf, otypes=[object])(stored[k]) for k in _DESIGN_KEYS)


_DESIGN_KEYS = ("B", "re_S1", "im_S", "c0", "c2")


@dataclass
class WaveletSDPB:
    """The SDPB problem of the wavelet primal and the chart back to the wavelet coefficients:
    γ = g0 + G y, (α0, α, β) = B γ."""

    problem: SDPBProblem
    B: np.ndarray
    g0: np.ndarray
    G: np.ndarray
    c0_row: np.ndarray
    c2_row: np.ndarray
    centres: np.ndarray
    s_grid: np.ndarray


def wavelet_sdpb_problem(objective: str, c0: float | None, config: WaveletConfig, digits: int = 60,
                         float64_data: bool = False) -> WaveletSDPB:
    """`float64_data` rounds every entry to double precision before export — only to show what
    that does (docs/sdpb.md): SDPB then solves a different problem, confidently."""
    check_objective(objective, c0)
    centres, s_grid = wavelet_centres(config.nmax), unitarity_grid(config.grid)
    B, re_S1, im_S, c0_row, c2_row = high_precision_design(centres, s_grid, config.uv_condition,
                                                           config.threshold_term, digits)
    chart = FixedC0Chart(c0, digits)
    rows, (g0, G) = chart.apply(UnitarityRows(re_S1, im_S, c0_row, c2_row, radius=None))   # γ = g0 + G y
    problem = unitarity_sdpb(rows, objective, digits, {
        "model": "zero-ddisc", "method": "primal-wavelet", "objective": objective, "c0": c0, "nmax": config.nmax,
        "grid": config.grid, "wavelets": int(centres.size)})
    if float64_data:
        rnd = np.vectorize(lambda v: mp.mpf(float(v)), otypes=[object])
        with mp.workdps(digits):
            problem = SDPBProblem(objective=list(rnd(np.array(problem.objective, dtype=object))),
                                  blocks=list(rnd(np.array(problem.blocks, dtype=object))), digits=digits,
                                  meta=problem.meta)
    return WaveletSDPB(problem, B, g0, G, c0_row, c2_row, centres, s_grid)


def solve_wavelet_sdpb(objective: str, c0: float | None = None, config: WaveletConfig = WaveletConfig(),
                       digits: int = 60, timeout: float = 600.0, options: dict | None = None,
                       workdir: str | None = None, float64_data: bool = False, procs: int = 1,
                       checkpoint: str | None = None) -> Result:
    """The wavelet primal through SDPB (`procs` MPI ranks for SDPB ≥ 2.7) with every matrix entry rebuilt at `digits` digits, and
    unitarity of the result re-measured in that precision on a 4× denser grid."""
    check_objective(objective, c0)
    if config.inelasticity is not None:
        raise BadInput("η0 injection (`inelasticity`) runs with `solver` clarabel or scs, not sdpb (yet)")
    t0 = time.perf_counter()
    cfg = {"model": "zero-ddisc", "method": "primal-wavelet", "objective": objective, "c0": c0,
           **config.__dict__, "solver": "sdpb", "digits": digits, "float64_data": float64_data}
    if c0 is not None and c0 < 0:
        return _base_result(objective, c0, cfg, "sdpb")(status="infeasible", t0=t0, message="c0 < 0 admits "
                                                          "no unitary amplitude (sum rule (24))")

    def form(d: int | None) -> SDPBForm:
        hp = wavelet_sdpb_problem(objective, c0, config, d or digits, float64_data)
        return SDPBForm(hp.problem, lambda res: {"handle": hp})
    sol = solve(ProblemData("primal-wavelet", sdpb=form), "sdpb", digits=digits, timeout=timeout, options=options,
                workdir=workdir, procs=procs, checkpoint=checkpoint)
    return wavelet_result_from_sdpb(sol.outputs["handle"], sol.raw, objective, config, digits, cfg, t0,
                                    {"export_seconds": sol.outputs["export_seconds"]})


def wavelet_result_from_sdpb(hp: WaveletSDPB, res, objective: str, config: WaveletConfig, digits: int, cfg: dict,
                             t0: float, info: dict | None = None) -> Result:
    """The Result of an SDPB run of the wavelet primal (run here, or elsewhere and imported): y mapped
    back to the coefficients in `digits` digits, unitarity re-measured in that precision."""
    centres, s_grid = hp.centres, hp.s_grid
    with mp.workdps(digits):
        gamma = hp.g0 + hp.G @ np.array(res.y, dtype=object)
        coef = hp.B @ gamma
        if not config.threshold_term:
            coef = np.concatenate([coef, [mp.mpf(0)]])
        c0v, c2v = hp.c0_row @ gamma, hp.c2_row @ gamma
        worst, worst_s, n_pts = _high_precision_violation(centres, coef, s_grid, digits)
    amp = WaveletAmplitude(centres, np.longdouble(str(coef[0])),
                           np.array([np.longdouble(str(v)) for v in coef[1:-1]]), np.longdouble(str(coef[-1])))
    value = float(c0v if objective == "max-c0" else c2v)
    cert = Certificate(max_unitarity_violation=float(max(worst, 0)), check_points=n_pts, spins_checked=[0],
                       tolerance=config.tolerance, per_spin_max={0: float(worst)}, facts={
            "worst_s": worst_s, "precision_digits": digits,
            "max_abs_coefficient": float(max(abs(v) for v in coef)), "wavelets": int(centres.size),
            "sdpb_terminate_reason": res.terminate_reason, "sdpb_duality_gap": float(res.duality_gap),
            "sdpb_primal_error": float(res.primal_error), "sdpb_dual_error": float(res.dual_error),
            "sdpb_seconds": res.seconds, **(info or {}), "sdpb_files": res.files})
    return Result(method="primal-wavelet", model="zero-ddisc", objective=objective, c0=float(c0v), c2=float(c2v),
                  value=value, bound_kind="primal (achieved)",
                  status=OPTIMAL if res.optimal else OPTIMAL_INACCURATE,
                  certified=bool(res.optimal and worst <= config.tolerance), certificate=cert, solver="sdpb",
                  seconds=time.perf_counter() - t0, config=cfg,
                  message="" if res.optimal else f"SDPB stopped: {res.terminate_reason}",
                  amplitude=amp, extra={"coefficients_mp": coef})


def _high_precision_violation(centres, coef, s_grid, digits: int):
    """max(|S0|² − 1) of the amplitude with mpmath coefficients, at ≥ 4× the imposed points."""
    s = dense_check_points(s_grid, 4)
    sm = np.array([mp.mpf(float(v)) for v in s], dtype=object)
    sig = np.array([mp.mpf(float(v)) for v in centres], dtype=object)
    f0 = wavelet_f0_rows(sig, sm) @ coef / (16 * mp.pi)
    rho = xsqrt((sm - 4) / sm)
    S = 1 + 1j * rho * f0
    viol = [abs(v) ** 2 - 1 for v in S]
    k = int(np.argmax([float(v) for v in viol]))
    return float(viol[k]), float(s[k]), int(s.size)
