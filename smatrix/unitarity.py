"""Spin-0 unitarity at fixed c0 as equations for ρ on the primal grid (P1 eqs. (56), (70)–(71),
(82)–(90)), shared by the neural primal (its loss) and the Newton polish (its solver).

Unknowns are h = ϱρ/16π = 1 − Re S0 at the imposed nodes s_1 … s_n of a spline `SpectralGrid`
that reaches exponentially large s (`GridSpec`: threshold, bulk, Regge). Fixed parts:
- the threshold value h(4) = 0 (regular, eq. 19a) or 2 (singular, eq. 19b: ρ ≈ 64π/√(s − 4));
- the Regge tail: nodes beyond the last imposed one carry the universal elastic tail of eq. (26)
  (analysis.regge_re_f0), tied linearly to the last imposed value, so that unitarity also holds
  far beyond the imposed range (a truncated ρ with Re f0 ~ 2π/(3 log s) would violate it there
  by (Re f0)²);
- c0 enters Re f0 (16) explicitly; the sum rule (24) is not imposed (it follows once ρ decays).

Residual Φ_i = |S0(s_i)|² − 1 + η_i = h² − 2h + X² + η with X = ϱ Re f0 = Im S0 (eq. 56; with an
inelasticity source η ≥ 0 it is |S0|² = 1 − η). `polish` solves Φ = 0 together with
c2[h] = target (eq. 27): where the elastic solutions at fixed c0 form a family (singular
threshold) the stacked system is consistent and the target is met; where they are isolated
(regular threshold) the elastic solution itself is returned; with an inelasticity profile its
overall scale is the free parameter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.linalg
import scipy.optimize

from .amplitude import SpectralAmplitude
from .analysis import regge_L0, regge_re_f0
from .cache import cached_arrays, rows_agree
from .dispersion import SpectralGrid, f0_matrix, sum_rule_kernel
from .grids import primal_nodes, subdivided_points
from .kinematics import phase_space

BRANCHES = {"regular": 0.0, "singular": 2.0}   # h(4) = 1 − S0(4)


def spin0_residual(h, X, eta=None):
    """Φ = |S0|² − 1 (+ η) = h² − 2h + X² (+ η) for h = 1 − Re S0, X = Im S0 = ϱ Re f0 (eq. 56;
    with an inelasticity source η ≥ 0 the equation |S0|² = 1 − η). Any array library (numpy,
    torch, mpmath object arrays); the one formula of the spectral-grid, polish and neural residuals."""
    out = h * h - 2.0 * h + X * X
    return out if eta is None else out + eta


@dataclass(frozen=True)
class GridSpec:
    """Primal grid (P1 eq. 82, ~800 points): threshold nodes geometric in s − 4 (where the
    singular-threshold amplitudes turn over), bulk nodes uniform in the wavelet angle θ
    (s = 4 + (8/3)tan²(θ/2), eq. 91), Regge nodes geometric in log s; unitarity is imposed up to
    `s_imposed`, the universal tail (analysis.regge_re_f0) continues to `s_max`."""

    threshold_min: float = 1e-10     # smallest s − 4
    threshold_max: float = 0.05      # the geometric spacing here matches the first θ-bulk step
    threshold_density: int = 30      # nodes per decade of s − 4
    bulk: int = 250
    s_bulk: float = 300.0
    regge_step: float = 0.015        # Δlog s / log s in the Regge region …
    regge_max_step: float = 0.4      # … at most this Δlog s (spline elements in s need ratios ≲ 1.5)
    s_imposed: float = 1e20
    s_max: float = 1e60              # spline integrands carry (segment length)³: keep them finite

    def nodes(self) -> np.ndarray:
        return primal_nodes(self.threshold_min, self.threshold_max, self.threshold_density, self.bulk,
                            self.s_bulk, self.regge_step, self.regge_max_step, self.s_max)

    def validate(self) -> None:
        steps_ok = 0 < self.regge_step < 1 and 0 < self.regge_max_step <= 1
        if self.threshold_density < 1 or self.bulk < 8 or not steps_ok:
            raise ValueError("primal grid needs threshold_density ≥ 1, ≥ 8 bulk nodes, 0 < regge_step < 1 and "
                             "0 < regge_max_step ≤ 1")
        thr_ok = 0 < self.threshold_min < self.threshold_max < 1
        if not (thr_ok and 10 < self.s_bulk < self.s_imposed < self.s_max <= 1e80):
            raise ValueError("primal grid needs 0 < threshold_min < threshold_max < 1 and "
                             "10 < s_bulk < s_imposed < s_max ≤ 1e80")


@dataclass(frozen=True)
class GridOperators:
    """Linear maps on the full node vector h_nodes (built in seconds, cached on disk)."""

    grid: SpectralGrid
    n_imposed: int            # nodes 1..n_imposed are unknowns and imposed points
    re_f0: np.ndarray         # (n_imposed, N): Re f0(s_i) − c0/16π = re_f0 @ h_nodes  (eq. 16)
    c2: np.ndarray            # c2 = c2 @ h_nodes  (eq. 27)

    @property
    def points(self) -> np.ndarray:
        return self.grid.nodes[1:self.n_imposed + 1]


def _grid_of(spec: GridSpec) -> tuple[SpectralGrid, int]:
    """The spline grid of `spec` and its number of imposed nodes."""
    spec.validate()
    grid = SpectralGrid(spec.nodes(), spline=True)
    return grid, int(np.searchsorted(grid.nodes, spec.s_imposed, side="right")) - 1


def grid_operators(spec: GridSpec = GridSpec()) -> GridOperators:
    """Operators of the primal grid (spline elements), from the disk cache when built before."""
    grid, n = _grid_of(spec)
    points = grid.nodes[1:n + 1]
    arrays = cached_arrays("zero-ddisc-primal-grid", spec.__dict__, lambda: _build(grid, n),
                           check=lambda A: rows_agree(A["re_f0"], lambda i: f0_matrix(grid, points[i], real=True))
                           and rows_agree(A["c2"][None, :], lambda i: _c2_row(grid)[None, :]))
    return GridOperators(grid, n, arrays["re_f0"], arrays["c2"])


@dataclass(frozen=True)
class BetweenOperators:
    """The spin-0 equations between the imposed nodes: at the midpoints s_m (in log(s − 4)) of
    the imposed intervals, h(s_m) = h @ h_nodes (the spline itself) and Re f0(s_m) − c0/16π =
    re_f0 @ h_nodes (eq. 16)."""

    s: np.ndarray
    h: np.ndarray
    re_f0: np.ndarray


def between_operators(spec: GridSpec = GridSpec()) -> BetweenOperators:
    """`BetweenOperators` of the primal grid, from the disk cache when built before (verified
    like `grid_operators`)."""
    grid, n = _grid_of(spec)
    s_m = midpoints(grid.nodes[1:n + 1])
    arrays = cached_arrays("zero-ddisc-primal-between", spec.__dict__,
                           lambda: {"h": grid.h_values(s_m), "re_f0": f0_matrix(grid, s_m, real=True)},
                           check=lambda A: rows_agree(A["re_f0"], lambda i: f0_matrix(grid, s_m[i], real=True))
                           and rows_agree(A["h"], lambda i: grid.h_values(s_m[i])))
    return BetweenOperators(s_m, arrays["h"], arrays["re_f0"])


def midpoints(s: np.ndarray) -> np.ndarray:
    """Midpoints in log(s − 4) of consecutive points above threshold."""
    return subdivided_points(s, 2)[1::2]


def operators_on(grid: SpectralGrid) -> GridOperators:
    """Operators imposing unitarity at every interior node of any spectral grid (no tail), e.g.
    the grid of an SDP primal amplitude, to evaluate the same equations on it."""
    return GridOperators(grid, grid.size - 2, **_build(grid, grid.size - 2))


def _build(grid: SpectralGrid, n: int) -> dict:
    return {"re_f0": f0_matrix(grid, grid.nodes[1:n + 1], real=True), "c2": _c2_row(grid)}


def _c2_row(grid: SpectralGrid) -> np.ndarray:
    """c2 = row @ h_nodes (eq. 27)."""
    return grid.smooth_weights(sum_rule_kernel(3)) / np.pi


@dataclass(frozen=True)
class UnitarityEquations:
    """Φ(h) = |S0|² − 1 (+ η) at the imposed nodes for fixed c0 and threshold branch."""

    ops: GridOperators
    branch: str = "regular"
    tail_L0: float = math.log(4.0) - 1.0       # the (1 + log(s/4))² envelope of eq. (57)
    eta: np.ndarray | None = field(default=None, compare=False)   # inelasticity source at the points
    between: BetweenOperators | None = field(default=None, compare=False, repr=False)  # see polish_between

    def __post_init__(self):
        if self.branch not in BRANCHES:
            raise ValueError(f"unknown threshold branch {self.branch!r}; choose regular or singular")

    @property
    def points(self) -> np.ndarray:
        return self.ops.points

    @property
    def size(self) -> int:
        return self.ops.n_imposed

    @property
    def threshold(self) -> float:
        return BRANCHES[self.branch]

    @cached_property
    def tail(self) -> np.ndarray:
        """τ_k with h(s_k) = τ_k h(s_n) at the tail nodes (the last node, s_max, stays 0): the
        elastic h = 1 − sqrt(1 − ϱ²Re f0²) of the asymptotic Re f0(s; L0) (analysis.regge_re_f0)."""
        s = np.append(self.ops.grid.nodes[self.size + 1:-1], self.points[-1])
        if not math.log(s[-1]) - self.tail_L0 > 1.0:
            raise ValueError(f"tail L0 = {self.tail_L0} must lie below log of the last imposed point "
                             f"{math.log(s[-1]):.4g}")
        X = phase_space(s) * regge_re_f0(s, self.tail_L0)
        h = X**2 / (1.0 + np.sqrt(1.0 - X**2))
        return h[:-1] / h[-1]

    def expand(self, h: np.ndarray) -> np.ndarray:
        """Full node vector: threshold value, unknowns, tied tail, 0 at s_max."""
        h = np.asarray(h, dtype=float)
        return np.concatenate([[self.threshold], h, h[-1] * self.tail, [0.0]])

    def fold(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(A, a0) with M @ h_nodes = A @ h + a0 for the unknowns h (`expand` as a linear map:
        the threshold value in a0, the tail columns folded into the last unknown)."""
        n = self.size
        A = M[:, 1:n + 1].copy()
        A[:, -1] += M[:, n + 1:-1] @ self.tail
        return A, M[:, 0] * self.threshold

    @cached_property
    def _folded(self):
        """(A, a0): Re f0 − c0/16π = A @ h + a0 at the imposed nodes."""
        return self.fold(self.ops.re_f0)

    @cached_property
    def c2_folded(self):
        row, r0 = self.fold(self.ops.c2[None, :])
        return row[0], float(r0[0])

    @cached_property
    def _between_folded(self):
        """(ϱ, H, h0, A, a0) at the midpoints: h = H @ h + h0, Re f0 − c0/16π = A @ h + a0."""
        if self.between is None:
            raise ValueError("these equations carry no between-node operators (with_between)")
        return (phase_space(self.between.s), *self.fold(self.between.h), *self.fold(self.between.re_f0))

    def residual_between(self, h: np.ndarray, c0: float) -> np.ndarray:
        """|S0|² − 1 at the midpoints between the imposed nodes (eq. 56 off the nodes)."""
        rho, H, h0, A, a0 = self._between_folded
        return spin0_residual(H @ h + h0, rho * (c0 / (16 * np.pi) + A @ h + a0))

    @cached_property
    def phase_space(self) -> np.ndarray:
        return phase_space(self.points)

    def re_f0(self, h: np.ndarray, c0: float) -> np.ndarray:
        A, a0 = self._folded
        return c0 / (16 * np.pi) + A @ h + a0

    def residual(self, h: np.ndarray, c0: float) -> np.ndarray:
        """Φ = h² − 2h + X² (+ η) = |S0|² − 1 (+ η) at the imposed nodes (eq. 56)."""
        return spin0_residual(h, self.phase_space * self.re_f0(h, c0), self.eta)

    def c2(self, h: np.ndarray) -> float:
        row, r0 = self.c2_folded
        return float(row @ h + r0)

    def amplitude(self, h: np.ndarray, c0: float) -> SpectralAmplitude:
        return SpectralAmplitude(c0, self.ops.grid, self.expand(h))

    def with_tail(self, L0: float) -> "UnitarityEquations":
        return UnitarityEquations(self.ops, self.branch, L0, self.eta, self.between)

    def with_eta(self, eta: np.ndarray | None) -> "UnitarityEquations":
        return UnitarityEquations(self.ops, self.branch, self.tail_L0, eta, self.between)

    def with_between(self, between: BetweenOperators) -> "UnitarityEquations":
        return UnitarityEquations(self.ops, self.branch, self.tail_L0, self.eta, between)

    def fitted_tail(self, h: np.ndarray, c0: float) -> "UnitarityEquations":
        """The same equations with the tail L0 fitted to Re f0 at the last imposed node (eq. 26);
        unchanged where no decaying tail passes through it (Re f0 ≤ 0: the boundary criterion)."""
        L0 = regge_L0(float(self.points[-1]), float(self.re_f0(h, c0)[-1]))
        return self if L0 is None else self.with_tail(L0)


@dataclass
class PolishResult:
    h: np.ndarray
    equations: UnitarityEquations  # with the refitted tail (and the scaled η)
    residual: float                # max |Φ| at the imposed nodes
    c2: float
    target_met: bool
    eta_scale: float | None        # λ of λη when an inelasticity profile is polished
    iterations: int
    message: str
    between: bool = False          # polish_between: `residual` then also covers the midpoints


def polish(eq: UnitarityEquations, h0: np.ndarray, c0: float, c2_target: float | None,
           tol: float = 1e-9, c2_tol: float = 1e-9, max_iter: int = 100) -> PolishResult:
    """Newton polish of a trained ρ: solve Φ = 0 (and c2[h] = target) on the node values.

    Two stages: Levenberg–Marquardt on Φ(h) = |S0|² − 1 + η (robust from a rough start), then
    Gauss–Newton on the phase shifts, S0 = sqrt(1 − η) e^{2iδ}: h = 1 − sqrt(1 − η) cos 2δ
    solves |S0|² = 1 − η by construction and the remaining equations Im S0 = ϱ Re f0[h(δ)] (16)
    are smooth through a resonance, where the root of Φ(h) = 0 in h branches (|Im S0| = 1, h = 1)
    and Φ alone stalls. With `eq.eta` set the unknowns include λ, the inelasticity being λη: its
    scale is the free parameter that meets the c2 target. Without η the elastic system alone is
    square, so the stacked one is consistent only along a family of solutions (the singular
    threshold) and the steps are minimum-norm. If the target cannot be met, the unitarity
    equations are solved alone from the best point reached and the c2 they give is returned with
    `target_met = False`. The Regge tail L0 is refitted (eq. 26) until it is stable.
    """
    h = np.asarray(h0, dtype=float)
    lam = 1.0
    iters, msg, met, res, c2 = 0, "", False, math.inf, math.nan
    for _ in range(4):
        system = _Equations(eq, c0)
        for target in ([c2_target] if c2_target is not None else []) + [None]:
            h, lam, n = system.solve(h, lam, target, max_iter)
            iters += n
            res, c2 = _max_abs(system.phi(h, lam)), eq.c2(h)
            met = target is not None and res <= tol and abs(c2 - target) <= c2_tol * max(1.0, abs(target))
            if met or target is None:
                break
            msg = "no solution with c2 at the target from this start: the unitarity equations alone fixed c2"
        refit = eq.fitted_tail(h, c0)
        if abs(refit.tail_L0 - eq.tail_L0) < 1e-3 * max(1.0, abs(eq.tail_L0)):
            break
        eq = refit
    if met:
        msg = ""
    if eq.eta is not None:
        eq = eq.with_eta(lam * eq.eta)
    return PolishResult(h, eq, res, c2, met, lam if eq.eta is not None else None, iters, msg)


def polish_between(eq: UnitarityEquations, h0: np.ndarray, c0: float, c2_target: float | None,
                   c2_tol: float = 1e-6) -> PolishResult:
    """Least-squares polish of a polished amplitude on the imposed nodes *and* the midpoints
    between them (`eq.between`), elastic only: Φ = 0 at 2n − 1 points for n unknowns (and
    c2[h] = target when given), Gauss–Newton from h0, the Regge tail refitted as in `polish`.

    The square system at the nodes alone admits a node-to-node sawtooth near the tip of the almond
    (along which |S0|² − 1 oscillates between the nodes with an amplitude ~1e-4); the midpoint
    equations remove that direction, leaving the spline's interpolation error (~1e-7) spread
    over both point sets. `residual` is max |Φ| over nodes and midpoints."""
    if eq.eta is not None:
        raise ValueError("polish_between polishes elastic amplitudes only")
    h, iters = np.asarray(h0, dtype=float), 0
    for _ in range(4):
        F, J = _Equations(eq, c0).between_system(c2_target)
        h, n = _gauss_newton(F, J, h)
        iters += n
        refit = eq.fitted_tail(h, c0)
        if abs(refit.tail_L0 - eq.tail_L0) < 1e-3 * max(1.0, abs(eq.tail_L0)):
            break
        eq = refit
    res = max(_max_abs(eq.residual(h, c0)), _max_abs(eq.residual_between(h, c0)))
    c2 = eq.c2(h)
    met = c2_target is not None and abs(c2 - c2_target) <= c2_tol * max(1.0, abs(c2_target))
    return PolishResult(h, eq, res, c2, met, None, iters, "", between=True)


class _Equations:
    """The polish equations in both parametrisations, with optional λ and c2 row:
    h-form  F = [h² − 2h + X(h)² + λη;                (c2(h) − target)/max(1, target)]
    δ-form  F = [X(h(δ)) − sqrt(1 − λη) sin 2δ;       (c2(h(δ)) − target)/max(1, target)]
    with X = ϱ Re f0 = A h + x0 (A includes ϱ, the folded tail, x0 the c0 and threshold parts)."""

    def __init__(self, eq: UnitarityEquations, c0: float):
        self.eq, self.eta, self.c0 = eq, eq.eta, c0
        self.A = eq._folded[0] * eq.phase_space[:, None]
        self.x0 = eq.phase_space * eq.re_f0(np.zeros(eq.size), c0)
        self.row, self.r0 = eq.c2_folded

    def between_system(self, target):
        """(F, J) of the elastic equations at the nodes and the midpoints (polish_between), with
        the c2 row when a target is given."""
        rho, H, h0, Am, a0 = self.eq._between_folded
        Am = rho[:, None] * Am
        xm0 = rho * (self.c0 / (16 * np.pi) + a0)
        scale = 1.0 / max(1.0, abs(target)) if target is not None else 0.0

        def F(h):
            hm = H @ h + h0
            out = np.concatenate([self.phi(h, 1.0), spin0_residual(hm, Am @ h + xm0)])
            return out if target is None else np.append(out, scale * (self.row @ h + self.r0 - target))

        def J(h):
            X, hm = self.A @ h + self.x0, H @ h + h0
            rows = [np.diag(2.0 * h - 2.0) + (2.0 * X)[:, None] * self.A,
                    (2.0 * hm - 2.0)[:, None] * H + (2.0 * (Am @ h + xm0))[:, None] * Am]
            if target is not None:
                rows.append(scale * self.row[None, :])
            return np.vstack(rows)
        return F, J

    def phi(self, h, lam):
        """|S0|² − 1 + λη at the nodes (eq. 56 with the source)."""
        return spin0_residual(h, self.A @ h + self.x0, None if self.eta is None else lam * self.eta)

    def _mod(self, lam):
        """m = sqrt(1 − λη) and dm/dλ (1 and 0 when elastic)."""
        if self.eta is None:
            return 1.0, 0.0
        m = np.sqrt(np.clip(1.0 - lam * self.eta, 1e-300, None))
        return m, -self.eta / (2.0 * m)

    def solve(self, h, lam, target, max_iter):
        free = self.eta is not None and target is not None     # λ is an unknown
        scale = 1.0 / max(1.0, abs(target)) if target is not None else 0.0
        split = (lambda z: (z[:-1], z[-1])) if free else (lambda z: (z, lam))
        pack = (lambda v, l: np.append(v, l)) if free else (lambda v, l: v)
        c2_eq = (lambda hh: scale * (self.row @ hh + self.r0 - target))

        def F_h(z):
            v, l = split(z)
            out = self.phi(v, l)
            return out if target is None else np.append(out, c2_eq(v))

        def J_h(z):
            v, l = split(z)
            X = self.A @ v + self.x0
            Jv = np.diag(2.0 * v - 2.0) + (2.0 * X)[:, None] * self.A
            if free:
                Jv = np.column_stack([Jv, self.eta])
            if target is None:
                return Jv
            row = scale * self.row
            return np.vstack([Jv, np.append(row, 0.0) if free else row])

        def h_of(z):
            d, l = split(z)
            m, dm = self._mod(l)
            return 1.0 - m * np.cos(2.0 * d), m, dm, d

        def F_d(z):
            hh, m, _, d = h_of(z)
            out = self.A @ hh + self.x0 - m * np.sin(2.0 * d)
            return out if target is None else np.append(out, c2_eq(hh))

        def J_d(z):
            hh, m, dm, d = h_of(z)
            c, s = np.cos(2.0 * d), np.sin(2.0 * d)
            Jd = self.A * (2.0 * m * s)[None, :] - np.diag(2.0 * m * c)
            dh_dl = -dm * c
            if free:
                Jd = np.column_stack([Jd, self.A @ dh_dl - dm * s])
            if target is None:
                return Jd
            row = scale * self.row * 2.0 * m * s
            return np.vstack([Jd, np.append(row, scale * self.row @ dh_dl) if free else row])

        z, n1 = _least_squares(F_h, J_h, pack(np.asarray(h, dtype=float), lam), max_iter)
        v, l = split(z)
        X = self.A @ v + self.x0
        m, _ = self._mod(l)
        delta = 0.5 * np.angle((1.0 - v) / m + 1j * X / m)   # δ mod π: only cos 2δ, sin 2δ enter
        z, n2 = _gauss_newton(F_d, J_d, pack(delta, l))
        hh, _, _, _ = h_of(z)
        if not _max_abs(self.phi(hh, split(z)[1])) <= _max_abs(self.phi(v, l)):
            return v, float(l), n1 + n2                                # the phases did not improve
        return hh, float(split(z)[1]), n1 + n2


def _max_abs(v) -> float:
    v = np.asarray(v)
    return float(np.max(np.abs(v))) if np.all(np.isfinite(v)) else math.inf


def _least_squares(F, J, z0, max_iter):
    """Levenberg–Marquardt (MINPACK), rough start → near a solution."""
    with np.errstate(all="ignore"):
        sol = scipy.optimize.least_squares(F, z0, jac=J, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                           max_nfev=max_iter)
    return sol.x, int(sol.nfev)


def _min_norm_step(J: np.ndarray, f: np.ndarray) -> np.ndarray:
    """≈ lstsq(J, f): regularised normal equations (Cholesky, several times faster than an SVD
    or pivoted QR of the ~600² Jacobian); μ resolves the null direction of a solution family."""
    JT = J.T
    N = JT @ J
    N[np.diag_indices_from(N)] += 1e-13 * np.trace(N) / N.shape[0]
    try:
        with np.errstate(all="ignore"):
            return scipy.linalg.cho_solve(scipy.linalg.cho_factor(N), JT @ f)
    except (np.linalg.LinAlgError, ValueError):          # not positive definite / not finite
        return scipy.linalg.lstsq(J, f, cond=1e-13, lapack_driver="gelsy")[0]


STALL_STEPS = 3    # Gauss–Newton stops after this many steps in a row that reduce ‖F‖ by < 10 %


def _gauss_newton(F, J, z0, max_iter=30):
    """Gauss–Newton with minimum-norm steps (lstsq: the elastic Jacobian is singular along a
    family of solutions) and step halving on ‖F‖, down to rounding — or to the floor where the
    near-null direction of the singular family leaves ‖F‖ ~ 1e-10 (STALL_STEPS without progress:
    the remaining iterations, up to 30 at 0.06 s each, would not move it)."""
    z, f = z0.copy(), F(z0)
    norm, it, stalled = np.linalg.norm(f), 0, 0
    for it in range(1, max_iter + 1):
        if not np.isfinite(norm) or norm < 1e-14:
            break
        Jz = J(z)
        step = _min_norm_step(Jz, f)
        if not np.linalg.norm(F(z - step)) < 0.5 * norm:           # normal equations lost accuracy
            with np.errstate(all="ignore"):
                step = scipy.linalg.lstsq(Jz, f, cond=1e-13, lapack_driver="gelsy")[0]
        t = 1.0
        while t > 1e-3:
            f_new = F(z - t * step)
            if np.linalg.norm(f_new) < norm:
                break
            t *= 0.5
        else:
            break
        z, f, norm_old, norm = z - t * step, f_new, norm, np.linalg.norm(f_new)
        if norm > 0.5 * norm_old and norm < 1e-12:    # at rounding level
            break
        stalled = stalled + 1 if norm > 0.9 * norm_old else 0
        if stalled >= STALL_STEPS:                    # at the floor of an ill-conditioned system
            break
    return z, it
