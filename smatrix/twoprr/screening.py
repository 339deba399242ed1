"""Aks screening (P2 §5.1): 2PRR-type amplitudes whose low partial waves are made elastic,
|S_J|² = 1 for J ≤ J_max (eq. 69), by tuning the multi-particle data.

- J_max = 0, the quasi-elastic amplitude (eq. 70): ρ_MP = 0 and η0 = 0 in the spin-0 equation
  (η_MP = −η_2PRR is left free, eq. 24a); the system stays square and Newton solves it.
- J_max ≥ 2: ρ_MP(s, t) = ρ_MP(t, s) free on the nodes inside the planar-cross Landau curve (16),
  R = ρ_el + ρ_elᵀ + ρ_MP (eq. 9). ρ_el is still the right side of the Mandelstam equation (10) at
  every node of its support, so the total ρ(s, t) equals ρ_el(s,t) + ρ_el(t,s) outside the MP region
  and is free inside it: P2's reduced grid G*_M. Added: |S_J(s_i)|² − 1 = 0 for J = 2 … J_max at the
  energy nodes s_i > 16 (f_J by Froissart–Gribov, eq. 85, from T_t that includes ρ_MP).
  The system is under-determined. The regularisation (documented in docs/aks_screening.md):
      minimise ‖ρ_MP‖²_w + (1/λ)‖screening residual‖²   subject to   the 2PRR rows = 0,
  with ‖ρ_MP‖²_w = Σ_{a,b} w_a w_b ρ_MP(s_a, s_b)² the L2 norm in (x, y) = (4/s, 4/t) (norm "xy") or
  in (ξ_s, ξ_t) (norm "xi"); λ = 0 is the minimum-norm exactly screened amplitude. Solved by a
  Gauss–Newton / SQP iteration on the reduced problem: each step eliminates the square 2PRR block
  exactly (LU of ∂F_2PRR/∂u) and takes the regularised least-squares ρ_MP of the linearised screening
  rows (SVD); its fixed points are the KKT points of the problem above.
- η_J ≥ 0 for the unscreened spins J_max < J ≤ 10 (eq. 23 with ρ_MP): `screen_positive` holds
  η_J(s) = 0 wherever the screened solution has η_J(s) < 0 on the nodes and midpoints (an active
  set of linear rows), and re-solves.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..kinematics import phase_space
from .amplitude import MandelstamAmplitude
from .grid import NodeGrid, planar_cross, x_of_xi
from .kernel import mandelstam_prefactor
from .operators import SpinOperators, taylor_c2
from .system import State, TwoPRRSystem

NORMS = ("xy", "xi")


def mp_support(grid: NodeGrid) -> np.ndarray:
    """Mask of the nodes (s_a, t_b), 0 < a, b < n − 1, strictly inside the planar-cross Landau
    curve (16) (s, t > 16 and its left side > 0); symmetric by construction."""
    x = grid.nodes
    s, t = x[:, None], x[None, :]
    inside = (s > 16) & (t > 16) & (planar_cross(s, t) > 0)
    inside[0, :] = inside[:, 0] = inside[-1, :] = inside[:, -1] = False
    return inside


def check_points(grid: NodeGrid, per_cell: int) -> np.ndarray:
    """The energies ξ_i + k h_i/per_cell, k = 0 … per_cell − 1, on the cells of the free nodes
    s_1 … s_{n−2}, above s = 16 (per_cell = 1: the nodes)."""
    xi = grid.xi[1: grid.n - 1]
    pts = [xi] + [xi[:-1] + (k / per_cell) * np.diff(xi) for k in range(1, per_cell)]
    s = np.sort(x_of_xi(np.concatenate(pts)))
    return s[s > 16.0]


def node_weights(grid: NodeGrid, norm: str) -> np.ndarray:
    """Lumped (trapezoid) weights of the nodes for the L2 norm of ρ_MP in x = 4/s ("xy") or ξ ("xi")."""
    if norm not in NORMS:
        raise ValueError(f"unknown ρ_MP norm {norm!r} (choose from {', '.join(NORMS)})")
    v = 4.0 / grid.nodes if norm == "xy" else grid.xi
    w = np.zeros(grid.n)
    w[1:-1] = 0.5 * np.abs(v[2:] - v[:-2])
    return w


def mp_norm(grid: NodeGrid, mp: np.ndarray, norm: str = "xy") -> float:
    """‖ρ_MP‖ = (Σ_{a,b} w_a w_b ρ_MP(s_a, s_b)²)^{1/2}."""
    w = node_weights(grid, norm)
    return float(math.sqrt(np.einsum("a,b,ab->", w, w, mp**2)))


def mp_column_norm(grid: NodeGrid, mp: np.ndarray, s: float, norm: str = "xy") -> tuple[float, float]:
    """(s_a, ‖ρ_MP(s_a, ·)‖) at the node s_a nearest to s: the one-dimensional norm of eq. (77)."""
    a = int(np.argmin(np.abs(grid.nodes - s)))
    w = node_weights(grid, norm)
    return float(grid.nodes[a]), float(math.sqrt(np.sum(w * mp[a] ** 2)))


class ScreenedSystem(TwoPRRSystem):
    """F(u, v; c0) = 0: spin-0 unitarity with η0 = 0, the Mandelstam equation, and (J_max ≥ 2)
    |S_J|² = 1 for J = 2 … J_max at the energy nodes above 16, then the held rows η_J(s) = 0 of
    `add_eta_rows`; v = ρ_MP on the upper triangle of `mp_support`. Unknowns x = (u, v), u those of
    `TwoPRRSystem`."""

    def __init__(self, grid: NodeGrid, jmax: int, kernel: dict | None = None, progress: bool = False):
        if not isinstance(jmax, int) or jmax < 0 or jmax % 2:
            raise ValueError(f"the screening spin J_max must be an even integer ≥ 0, got {jmax!r}")
        super().__init__(grid, kernel=kernel, progress=progress)
        self.jmax = jmax
        self.spins = tuple(range(2, jmax + 1, 2))
        self.mp_pairs = np.argwhere(np.triu(mp_support(grid))) if self.spins else np.zeros((0, 2), int)
        self.n3 = len(self.mp_pairs)
        self.screen_rows = np.flatnonzero(self.s > 16.0) if self.spins else np.zeros(0, int)
        self.s_screen = self.s[self.screen_rows]        # where |S_J|² = 1 is imposed: the nodes above 16
        self.n_square = self.n1 + self.n2
        self._w = {J: self.ops.fg_weights(J)[self.screen_rows] for J in self.spins}
        self.eta_spins = np.zeros(0, int)             # the active η_J(s) ≥ 0 rows, held at η_J(s) = 0
        self.eta_s = np.zeros(0)
        self._Ce = np.zeros((0, self.n2))
        self._Cv = np.zeros((0, self.n3))

    @property
    def size(self) -> int:
        return self.n1 + self.n2 + self.n3

    @property
    def n_screen(self) -> int:
        return len(self.spins) * self.s_screen.size + self.eta_s.size

    def add_eta_rows(self, J: int, s: np.ndarray) -> None:
        """Hold η_J(s) = 0 (eq. 23 with ρ_MP) at the energies s: the active rows of η_J ≥ 0.
        η_J(s) = 2ϱ Σ_j w_J(s, t_j) Σ_m (ρ_el + ρ_MP)[j, m] h_m(s) is linear in (ρ_el, ρ_MP)."""
        s = np.atleast_1d(np.asarray(s, dtype=float))
        if not self.n3 or not s.size:
            return
        w = SpinOperators(self.grid, s).fg_weights(J) * (2.0 * phase_space(s))[:, None]
        h = self.grid.hat_matrix(s)[:, : self.grid.n]
        P, Q = self.pairs[:, 0], self.pairs[:, 1]
        A, B = self.mp_pairs[:, 0], self.mp_pairs[:, 1]
        half = np.where(A == B, 0.5, 1.0)
        self._Ce = np.vstack([self._Ce, w[:, P] * h[:, Q]])
        self._Cv = np.vstack([self._Cv, (w[:, A] * h[:, B] + w[:, B] * h[:, A]) * half[None, :]])
        self.eta_spins = np.concatenate([self.eta_spins, np.full(s.size, J)])
        self.eta_s = np.concatenate([self.eta_s, s])

    def mp_matrix(self, v: np.ndarray) -> np.ndarray:
        """The symmetric node matrix ρ_MP from its upper-triangle values."""
        out = np.zeros((self.grid.n, self.grid.n))
        a, b = self.mp_pairs[:, 0], self.mp_pairs[:, 1]
        out[a, b] = v
        out[b, a] = v
        return out

    def unpack(self, x: np.ndarray, c0: float, mp: np.ndarray | None = None) -> State:
        """The state at x = (u, v); a bare u (the 2PRR unknowns) with an explicit `mp` is accepted."""
        v = x[self.n_square:]
        if v.size:
            mp = self.mp_matrix(v)
        return super().unpack(x[: self.n_square], c0, mp)

    def spin0_residual(self, st: State) -> np.ndarray:
        """|S0|² − 1 (eq. 70: η0 = 0, the 2PRR inelasticity cancelled by η_MP)."""
        return super().spin0_residual(st) - st.eta0

    def partial_waves(self, st: State) -> dict[int, np.ndarray]:
        """f_J(s_i) at the screened nodes, J = 2 … J_max (Froissart–Gribov, eq. 85, T_t with ρ_MP)."""
        T = st.T[self.screen_rows]
        return {J: np.einsum("kj,kj->k", self._w[J], T) for J in self.spins}

    def screening_residual(self, st: State, x: np.ndarray) -> np.ndarray:
        """|S_J(s)|² − 1 for J = 2 … J_max at the screening energies (rows grouped by J, eq. 69),
        then the active η_J(s) rows."""
        if not self.spins:
            return np.zeros(0)
        rho = phase_space(self.s_screen)
        eta = self._Ce @ x[self.n1: self.n_square] + self._Cv @ x[self.n_square:]
        return np.concatenate([np.abs(1.0 + 1j * rho * f) ** 2 - 1.0 for f in self.partial_waves(st).values()]
                              + [eta])

    def residual(self, x: np.ndarray, c0: float) -> np.ndarray:
        st = self.unpack(x, c0)
        e = x[self.n1: self.n_square]
        return np.concatenate([self.spin0_residual(st), e - self.mandelstam_rhs(st), self.screening_residual(st, x)])

    # ---- the Jacobian ---------------------------------------------------------------------------

    def _mp_contract(self, Zi: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Σ_j V[:, j] ∂T(s, t_j)/∂v for every ρ_MP unknown v_(a,b): T_t(s, t_j) holds
        Σ_m Zi[j, m] R[m, j] (eq. 13) and v enters R[a, b] and R[b, a] (once on the diagonal)."""
        A, B = self.mp_pairs[:, 0], self.mp_pairs[:, 1]
        half = np.where(A == B, 0.5, 1.0)
        return (V[:, B] * Zi[B, A][None, :] + V[:, A] * Zi[A, B][None, :]) * half[None, :]

    def _u_contract(self, Zi: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The same contraction for the 2PRR unknowns (ρ(s) values, ρ_el pairs)."""
        P, Q = self.pairs[:, 0], self.pairs[:, 1]
        return V @ self.P1[: self.grid.n], V[:, Q] * Zi[Q, P][None, :] + V[:, P] * Zi[P, Q][None, :]

    def jacobian(self, x: np.ndarray, c0: float, mp: np.ndarray | None = None) -> np.ndarray:
        v = x[self.n_square:]
        mpm = self.mp_matrix(v) if v.size else None
        st = self.unpack(x, c0)
        n1, nsq = self.n1, self.n_square
        J = np.zeros((nsq + self.n_screen, self.size))
        J[:nsq, :nsq] = super().jacobian(x[:nsq], c0, mpm)
        J[:n1, n1:nsq] -= self._E0                                     # η0 = 0 (eq. 70)
        if not self.n3:
            return J
        rho = phase_space(self.s)
        # spin 0: f0 depends on R through the symmetric weight f0_double (eq. 84)
        A, B = self.mp_pairs[:, 0], self.mp_pairs[:, 1]
        F3 = np.where(A == B, 1.0, 2.0)[None, :] * self.ops.f0_double[:, A, B] / (16 * math.pi)
        dre, dim = 2 * rho**2 * st.f0.real, -2 * rho + 2 * rho**2 * st.f0.imag
        J[:n1, nsq:] = dre[:, None] * F3.real + dim[:, None] * F3.imag
        # Mandelstam rows: −2 pref Re(M conj(T) ∂T/∂v)
        M = self.kernel["M"]
        pref = mandelstam_prefactor(self.s)
        for i, pos, _ in self._rows:
            if pos.size:
                V = 2.0 * pref[i] * (M[pos] @ np.conj(st.T[i]))
                J[n1 + pos, nsq:] = -self._mp_contract(self._Z[i], V).real
        # screening rows: ∂|S_J|² = 2ϱ² Re(f̄ ∂f) − 2ϱ Im ∂f, ∂f = Σ_j w_J(s, t_j) ∂T(s, t_j)
        k = self.s_screen.size
        rs = phase_space(self.s_screen)
        for q, (Jspin, f) in enumerate(self.partial_waves(st).items()):
            for r, i in enumerate(self.screen_rows):
                w = self._w[Jspin][r][None, :].astype(complex)
                Zi = self._Z[i]
                ds, de = self._u_contract(Zi, w)
                dv = self._mp_contract(Zi, w)
                row = nsq + q * k + r
                g = np.conj(f[r]) * rs[r] ** 2
                for cols, d in ((slice(0, n1), ds), (slice(n1, nsq), de), (slice(nsq, None), dv)):
                    J[row, cols] = 2 * (g * d[0]).real - 2 * rs[r] * d[0].imag
        e0 = nsq + len(self.spins) * k
        J[e0:, n1:nsq] = self._Ce
        J[e0:, nsq:] = self._Cv
        return J

    def c2(self, x: np.ndarray) -> float:
        st = self.unpack(x, 0.0)
        return taylor_c2(self.grid, st.c1, st.R)

    def amplitude(self, x: np.ndarray, c0: float) -> "ScreenedAmplitude":
        st = self.unpack(x, c0)
        return ScreenedAmplitude(self.grid, c0, st.c1, st.el, self.mp_matrix(x[self.n_square:]), self.jmax)


class ScreenedAmplitude(MandelstamAmplitude):
    """A screened amplitude: T from c0, ρ(s), ρ_el and ρ_MP; η_0 = 0 (quasi-elastic, eq. 70), the
    genuine η_MP(s) = −η_2PRR(s) − (ρ_MP term of eq. 24c) is `eta_mp`."""

    def __init__(self, grid, c0, c1, rho_el, rho_mp, jmax: int):
        super().__init__(grid, c0, c1, rho_el, rho_mp)
        self.jmax = jmax

    def eta(self, J: int, s) -> np.ndarray:
        if J == 0:
            return np.zeros(np.atleast_1d(s).shape)
        return super().eta(J, s)

    def eta_mp(self, s) -> np.ndarray:
        """η_MP(s) that makes η0 = 0 (eqs. 24a–c)."""
        return -super().eta(0, s)


# ---- the regularised Gauss–Newton solver -----------------------------------------------------------

@dataclass(frozen=True)
class ScreenConfig:
    """Regularisation and stopping rule of the screening solve."""

    norm: str = "xy"              # L2 norm of ρ_MP: "xy" (x = 4/s, y = 4/t) or "xi"
    lam: float = 0.0              # Tikhonov weight λ (0: minimum-norm exact screening)
    tol: float = 1e-10            # max |F| of the 2PRR rows (and of the screening rows when λ = 0)
    step_tol: float = 1e-7        # ‖Δρ_MP‖ / max(‖ρ_MP‖, ·) for the fixed point (KKT) to count
    max_iter: int = 40

    def validate(self) -> None:
        node_weights(NodeGrid(12, 1e2), self.norm)
        if not (math.isfinite(self.lam) and self.lam >= 0):
            raise ValueError(f"the Tikhonov weight λ must be a finite number ≥ 0, got {self.lam!r}")
        if not (0 < self.tol < 1e-3) or not (0 < self.step_tol < 1) or self.max_iter < 1:
            raise ValueError("screening solve needs 0 < tol < 1e-3, 0 < step_tol < 1 and max_iter ≥ 1")


@dataclass
class ScreenSolution:
    """The outcome of `solve_screened`."""

    x: np.ndarray
    status: str                   # "converged" | "not-converged"
    residual_2prr: float          # max |F| of spin-0 and Mandelstam rows
    residual_screen: float        # max ||S_J|² − 1| at the screened nodes
    iterations: int
    history: list[dict] = field(default_factory=list)


def solve_screened(system: ScreenedSystem, x0: np.ndarray, c0: float, cfg: ScreenConfig = ScreenConfig(),
                   progress: bool = False, offset: np.ndarray | None = None) -> ScreenSolution:
    """Gauss–Newton / SQP for min ‖ρ_MP‖²_w + ‖F_screen − offset‖²/λ subject to F_2PRR = 0 (module
    doc); `offset` shifts the screening targets (the homotopy of `screen`)."""
    from scipy.linalg import lu_factor, lu_solve

    cfg.validate()
    nsq, n3 = system.n_square, system.n3
    w = node_weights(system.grid, cfg.norm)
    A, B = system.mp_pairs[:, 0], system.mp_pairs[:, 1]
    d = np.sqrt(np.where(A == B, 1.0, 2.0) * w[A] * w[B])          # ‖ρ_MP‖_w = |d ⊙ v|
    x = np.array(x0, dtype=float)
    t0 = time.perf_counter()
    history = []
    step = math.inf
    shift = np.zeros(system.n_screen) if offset is None else np.asarray(offset, dtype=float)

    def resid(y):
        F = system.residual(y, c0)
        F[nsq:] -= shift
        return F
    r_start = math.inf
    for it in range(1, cfg.max_iter + 1):
        F = resid(x)
        r_sq, r_sc = float(np.max(np.abs(F[:nsq]))), float(np.max(np.abs(F[nsq:]), initial=0.0))
        history.append({"iteration": it - 1, "residual_2prr": r_sq, "residual_screen": r_sc,
                        "step": step, "seconds": round(time.perf_counter() - t0, 2)})
        if progress:
            print(f"smatrix 2prr --screen: it {it - 1}  |F_2PRR| = {r_sq:.1e}  |F_screen| = {r_sc:.1e}  "
                  f"step {step:.1e}  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
        screened = cfg.lam > 0 or r_sc <= cfg.tol
        if r_sq <= cfg.tol and screened and (n3 == 0 or step <= cfg.step_tol):
            return ScreenSolution(x, "converged", r_sq, r_sc, it - 1, history)
        if it == 1:
            r_start = r_sq + r_sc
        if not math.isfinite(r_sq + r_sc) or r_sq + r_sc > 1e8 * max(r_start, 1e-10) or (
                it > 8 and r_sq + r_sc > r_start):
            break                                   # diverging or not contracting: the caller steps back
        Jac = system.jacobian(x, c0)
        lu = lu_factor(Jac[:nsq, :nsq])
        if n3 == 0:
            x = x - lu_solve(lu, F[:nsq])
            step = 0.0
            continue
        Y = lu_solve(lu, np.column_stack([F[:nsq], Jac[:nsq, nsq:]]))
        y0, Yv = Y[:, 0], Y[:, 1:]
        K = Jac[nsq:, nsq:] - Jac[nsq:, :nsq] @ Yv                     # screening rows on the 2PRR manifold
        v = x[nsq:]
        b = -F[nsq:] + Jac[nsq:, :nsq] @ y0 + K @ v                   # K v_new = b linearises F_screen = 0
        U, sig, Vt = np.linalg.svd(K / d[None, :], full_matrices=False)
        cut = sig > sig[0] * 1e-13
        filt = np.where(cut, sig / (sig**2 + cfg.lam), 0.0)
        v_new = (Vt.T @ (filt * (U.T @ b))) / d
        dv = v_new - v
        du = -y0 - Yv @ dv
        x = x + np.concatenate([du, dv])
        step = float(np.linalg.norm(d * dv) / max(np.linalg.norm(d * v_new), 1e-300))
    F = resid(x)
    r_sq, r_sc = float(np.max(np.abs(F[:nsq]))), float(np.max(np.abs(F[nsq:]), initial=0.0))
    history.append({"iteration": len(history), "residual_2prr": r_sq, "residual_screen": r_sc, "step": step,
                    "seconds": round(time.perf_counter() - t0, 2)})
    ok = r_sq <= cfg.tol and (cfg.lam > 0 or r_sc <= cfg.tol) and (n3 == 0 or step <= cfg.step_tol)
    return ScreenSolution(x, "converged" if ok else "not-converged", r_sq, r_sc, len(history) - 1, history)


def screen(system: ScreenedSystem, x0: np.ndarray, c0: float, cfg: ScreenConfig = ScreenConfig(),
           progress: bool = False, min_step: float = 1.0 / 256) -> ScreenSolution:
    """`solve_screened` continued in τ ∈ [0, 1]: the screening targets |S_J|² − 1 = (1 − τ) g0,
    g0 their value at x0 (τ = 1 is the screened amplitude); the τ step halves when a stage fails
    and grows after a success. The history lists every stage."""
    nsq = system.n_square
    g0 = system.residual(x0, c0)[nsq:]
    x, tau, dtau, stages = np.array(x0, dtype=float), 0.0, 1.0, []
    total_it = 0
    while True:
        tt = min(1.0, tau + dtau)
        r = solve_screened(system, x, c0, cfg, progress=progress, offset=(1.0 - tt) * g0)
        total_it += r.iterations
        stages.append({"tau": tt, "status": r.status, "iterations": r.iterations,
                       "residual_2prr": r.residual_2prr, "residual_screen": r.residual_screen})
        if r.status == "converged":
            x, tau = r.x, tt
            if tau >= 1.0:
                return ScreenSolution(x, "converged", r.residual_2prr, r.residual_screen, total_it, stages)
            dtau *= 2.0
        else:
            dtau *= 0.5
            if dtau < min_step:
                F = system.residual(x, c0)
                return ScreenSolution(x, "not-converged", float(np.max(np.abs(F[:nsq]))),
                                      float(np.max(np.abs(F[nsq:]), initial=0.0)), total_it, stages)


ETA_SPINS = (2, 4, 6, 8, 10)      # the spins whose η_J ≥ 0 the screened amplitude keeps (the certificate's)


def screen_positive(system: ScreenedSystem, x0: np.ndarray, c0: float, cfg: ScreenConfig = ScreenConfig(),
                    progress: bool = False, rounds: int = 8, per_cell: int = 2) -> ScreenSolution:
    """`screen`, then η_J ≥ 0 for the unscreened spins (eq. 23 with ρ_MP, J > J_max in ETA_SPINS) by an active set on the screening
    energies and `per_cell` points per cell (`check_points`): every (J, s) with η_J(s) < 0 is held at η_J(s) = 0 and the screening re-solved
    (hot start), until no η_J is negative there. The held rows are `system.eta_spins, eta_s`. If a
    round does not converge, its rows are dropped and the last screened solution is returned (its
    certificate then reports the negative η_J)."""
    res = screen(system, x0, c0, cfg, progress=progress)
    for _ in range(rounds):
        if res.status != "converged" or not system.n3:
            return res
        amp = system.amplitude(res.x, c0)
        s, added = check_points(system.grid, per_cell), 0
        held = (system.eta_spins, system.eta_s, system._Ce, system._Cv)
        for J in (J for J in ETA_SPINS if J > system.jmax):
            new = s[(amp.eta(J, s) < 0.0) & ~np.isin(s, system.eta_s[system.eta_spins == J])]
            system.add_eta_rows(J, new)
            added += new.size
        if progress:
            print(f"smatrix 2prr --screen: η_J ≥ 0 active set: +{added} rows ({system.eta_s.size} held)",
                  file=sys.stderr, flush=True)
        if not added:
            return res
        nxt = screen(system, res.x, c0, cfg, progress=progress)
        if nxt.status != "converged":       # keep the screened amplitude; its certificate reports η_J < 0
            system.eta_spins, system.eta_s, system._Ce, system._Cv = held
            res.history.append({"eta_active_set": "not-converged", "rows_tried": int(added)})
            return res
        res = nxt
    return res


__all__ = ["ETA_SPINS", "NORMS", "check_points", "ScreenConfig", "ScreenSolution", "ScreenedAmplitude", "ScreenedSystem", "mp_column_norm",
           "mp_norm", "mp_support", "node_weights", "screen", "screen_positive", "solve_screened"]
