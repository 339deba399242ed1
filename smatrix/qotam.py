"""The QOTAM transport kernel of 2→2 scattering at fixed energy, discretised on the sphere.

At fixed s the kernel K(q|p) of the QOTAM paper (eqs. 7–10, B3) is the S-matrix acting on
directions n̂ ∈ S². From T = 16π Σ (2J+1) f_J P_J, S_J = 1 + iϱ f_J and δ²(n̂', n̂) = Σ (2J+1) P_J/(4π):

  K(n̂'|n̂) = δ²(n̂', n̂) + iϱ T(s, t(n̂'·n̂))/(64π²),  t(z) = −(s − 4)(1 − z)/2.

Discretised with a product rule (Gauss–Legendre in cos θ × equal steps in φ, weights w_i, Σw = 4π),
δ becomes δ_ij/w_i and the matrix that acts on ℓ² of the nodes is

  Ŝ_ij = w_i^{1/2} K_ij w_j^{1/2} = δ_ij + iϱ (w_i w_j)^{1/2} T(s, t(n̂_i·n̂_j))/(64π²).

Exactness: a rule with n_θ ≥ L + 1 and n_φ ≥ 2L + 1 integrates Y_Jm Y*_J'm' exactly for J, J' ≤ L,
so for waves up to L, Ŝ = 1 + Σ_J (S_J − 1) Π_J with orthogonal projectors Π_J of rank 2J + 1,
(Π_J)_ij = (2J+1)/(4π) (w_i w_j)^{1/2} P_J(n̂_i·n̂_j). Hence
- Ŝ†Ŝ = 1 + Σ_J (|S_J|² − 1) Π_J: unitary iff every |S_J| = 1;
- the plan Π_ji = |Ŝ_ji|² = w_j w_i |K_ji|² (both weights: the paper's eq. 42 has only w_i and
  maps even the free kernel K0 = δ/w of eq. 13 to ρ_in/w) has the marginals
  Σ_j Π_ji = (Ŝ†Ŝ)_ii = 1 − w_i Σ_J (2J+1) η_J/(4π) (and the same for the rows, Ŝ is normal):
  doubly stochastic for unitary S, and the rescaled deficit 4π(1 − Σ_j Π_ji)/w_i is the optical
  defect Σ_J (2J+1) η_J at every node (smatrix.optical);
- the marginals see only the diagonal of Ŝ†Ŝ, i.e. one weighted sum of the η_J: they hold when
  a super-unitary wave is balanced by an inelastic one (weaker than partial-wave unitarity);
- Ŝ(S*) = conj Ŝ(S) (the Π_J are real), so |K|² cannot tell S from S*.

The paper's iteration (eqs. 44–45, App. C): modulus scaling Ŝ → D_out Ŝ D_in onto the marginals
(C1–C4, here with ρ_in = ρ_out = 1 on the nodes, the consistent weights absorbed into Ŝ), and the
gradient step Ŝ → Ŝ − η ∂F/∂Ŝ̄ (45, C5) for the stated real functional
  F[Ŝ] = Σ_ij Π_ij c_ij + ε Σ_ij Π_ij log Π_ij,   c_ij = 1 − n̂_i·n̂_j
(eq. 11 with the entropic regulariser 43; the classical-action term (i/ħ)∫K S_cl is holomorphic in
K, so its derivative in K† vanishes and (A4) cannot hold as written; no S_cl is defined for 2→2).
∂F/∂Ŝ̄ = Ŝ ⊙ (c + ε(log Π + 1)) is Ŝ times a real matrix: the step rescales moduli and never
changes a phase — where the amplitude lives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import eval_legendre

from .kinematics import phase_space, t_of_z
from .quadrature import legendre_rule


@dataclass(frozen=True)
class SphereRule:
    """Product rule: Gauss–Legendre in cos θ (n_theta nodes) × n_phi equal steps in φ; Σ w = 4π.
    Exact for the products Y_Jm Y*_J'm' with J, J' ≤ `exact_spin`."""

    n_theta: int
    n_phi: int

    def __post_init__(self):
        if self.n_theta < 1 or self.n_phi < 1:
            raise ValueError(f"sphere rule needs n_theta, n_phi ≥ 1, got {self.n_theta}, {self.n_phi}")

    @cached_property
    def _nodes(self) -> tuple[np.ndarray, np.ndarray]:
        x, wx = legendre_rule(self.n_theta)
        phi = 2 * np.pi * np.arange(self.n_phi) / self.n_phi
        ct, ph = np.meshgrid(x, phi, indexing="ij")
        st = np.sqrt(1 - ct**2)
        n = np.stack([st * np.cos(ph), st * np.sin(ph), ct], axis=-1).reshape(-1, 3)
        w = np.repeat(wx, self.n_phi) * (2 * np.pi / self.n_phi)
        return n, w

    @property
    def nodes(self) -> np.ndarray:
        """Unit vectors (N, 3)."""
        return self._nodes[0]

    @property
    def weights(self) -> np.ndarray:
        return self._nodes[1]

    @property
    def size(self) -> int:
        return self.n_theta * self.n_phi

    @property
    def exact_spin(self) -> int:
        return min(self.n_theta - 1, (self.n_phi - 1) // 2)

    def cosines(self) -> np.ndarray:
        """z_ij = n̂_i·n̂_j, clipped to [−1, 1]."""
        return np.clip(self.nodes @ self.nodes.T, -1.0, 1.0)


def sphere_rule(exact_spin: int) -> SphereRule:
    """The smallest product rule exact for waves up to `exact_spin`: n_θ = L + 1, n_φ = 2L + 1."""
    if exact_spin < 0:
        raise ValueError(f"exact spin must be ≥ 0, got {exact_spin}")
    return SphereRule(exact_spin + 1, 2 * exact_spin + 1)


def sphere_kernel(T, s: float, rule: SphereRule) -> np.ndarray:
    """Ŝ_ij = δ_ij + iϱ (w_i w_j)^{1/2} T(s, t(n̂_i·n̂_j))/(64π²) (module docstring), s > 4;
    `T` is T(s, t) of any amplitude (upper lip)."""
    if s <= 4:
        raise ValueError(f"the kernel is built above threshold, s > 4, got {s}")
    z = rule.cosines()
    t = t_of_z(s, z)
    rw = np.sqrt(rule.weights)
    vals = np.asarray(T(np.full_like(t, s), t), dtype=complex)
    return np.eye(rule.size) + 1j * phase_space(s) * rw[:, None] * vals * rw[None, :] / (64 * np.pi**2)


def spin_projector(rule: SphereRule, J: int) -> np.ndarray:
    """(Π_J)_ij = (2J+1)/(4π) (w_i w_j)^{1/2} P_J(n̂_i·n̂_j): projector of rank 2J+1 for J ≤ exact_spin."""
    rw = np.sqrt(rule.weights)
    return (2 * J + 1) / (4 * np.pi) * rw[:, None] * eval_legendre(J, rule.cosines()) * rw[None, :]


def kernel_partial_waves(K: np.ndarray, rule: SphereRule, spins) -> np.ndarray:
    """S_J = tr(Π_J K)/(2J+1): the spin-J eigenvalue of a rotation-invariant kernel, and the
    spin-J average of any other (e.g. after scaling)."""
    return np.array([np.sum(spin_projector(rule, J) * K.T) / (2 * J + 1) for J in spins])


def kernel_amplitude(K: np.ndarray, rule: SphereRule, s: float) -> np.ndarray:
    """T(s, t(n̂_i·n̂_j)) read back from the kernel, the discrete eq. (10) with point wavepackets (B1)."""
    rw = np.sqrt(rule.weights)
    return (K - np.eye(rule.size)) * 64 * np.pi**2 / (1j * phase_space(s) * rw[:, None] * rw[None, :])


def plan(K: np.ndarray) -> np.ndarray:
    """Π_ji = |Ŝ_ji|² (eq. 42 with consistent weights)."""
    return np.abs(K) ** 2


def marginal_errors(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Σ_i Π_ji − 1 for each outgoing node j, Σ_j Π_ji − 1 for each incoming node i)."""
    P = plan(K)
    return P.sum(axis=1) - 1.0, P.sum(axis=0) - 1.0


def rescaled_deficit(K: np.ndarray, rule: SphereRule) -> np.ndarray:
    """4π (1 − Σ_j Π_ji)/w_i at each incoming node: Σ_J (2J+1) η_J for waves within the rule."""
    return -4 * np.pi * marginal_errors(K)[1] / rule.weights


def unitarity_residual(K: np.ndarray) -> float:
    """max |(Ŝ†Ŝ − 1)_ij|."""
    return float(np.max(np.abs(K.conj().T @ K - np.eye(K.shape[0]))))


def complex_sinkhorn(K: np.ndarray, max_iterations: int = 10_000, tol: float = 1e-13) -> tuple[np.ndarray, int]:
    """Modulus scaling Ŝ → D_out Ŝ D_in (eq. 44, C1–C4) until both marginals of |Ŝ|² are 1 within
    `tol`; phases are untouched. Returns the scaled kernel and the number of sweeps."""
    K = np.array(K, dtype=complex)
    for it in range(1, max_iterations + 1):
        K *= 1.0 / np.sqrt(plan(K).sum(axis=1))[:, None]   # C1–C2: outgoing marginal
        K *= 1.0 / np.sqrt(plan(K).sum(axis=0))[None, :]   # C3–C4: incoming marginal
        if np.max(np.abs(plan(K).sum(axis=1) - 1.0)) < tol:
            return K, it
    return K, max_iterations


def symmetric_scaling(K: np.ndarray, tol: float = 1e-14, max_iterations: int = 50) -> tuple[np.ndarray, int]:
    """The limit of the sweeps for a symmetric plan (every kernel here: T depends on n̂_i·n̂_j), by
    Newton's method: x ⊙ (Π x) = 1, then Ŝ → diag(√x) Ŝ diag(√x) (D_out = D_in, eq. 44). The sweeps
    contract slowly on near-diagonal plans (a physical kernel is 1 + O(w)); Newton is quadratic."""
    P = plan(K)
    if np.max(np.abs(P - P.T)) > 1e-14 * np.max(P):
        raise ValueError("symmetric scaling needs a symmetric plan; use complex_sinkhorn")
    x = np.ones(P.shape[0])
    for it in range(1, max_iterations + 1):
        Px = P @ x
        r = x * Px - 1.0
        if np.max(np.abs(r)) < tol:
            break
        x = x - np.linalg.solve(np.diag(Px) + x[:, None] * P, r)
    rx = np.sqrt(x)
    return K * rx[:, None] * rx[None, :], it


def transport_cost(rule: SphereRule) -> np.ndarray:
    """c_ij = 1 − n̂_i·n̂_j: zero forward, so the free kernel K0 (eq. 13) is the optimal plan."""
    return 1.0 - rule.cosines()


def functional(K: np.ndarray, cost: np.ndarray, epsilon: float) -> float:
    """F = Σ Π c + ε Σ Π log Π (module docstring; Π log Π → 0 where Π = 0)."""
    P = plan(K)
    return float(np.sum(P * cost) + epsilon * np.sum(P * np.log(np.where(P > 0, P, 1.0))))


def functional_gradient(K: np.ndarray, cost: np.ndarray, epsilon: float) -> np.ndarray:
    """∂F/∂Ŝ̄ = Ŝ ⊙ (c + ε(log Π + 1)): Ŝ times a real matrix (phases never move)."""
    P = plan(K)
    return K * (cost + epsilon * (np.log(np.maximum(P, 1e-300)) + 1.0))


@dataclass
class IterationRecord:
    """What the iteration did: sweeps of scaling, F before/after, changes of the kernel."""

    steps: int
    sinkhorn_sweeps: list[int] = field(default_factory=list)
    functional: list[float] = field(default_factory=list)
    max_phase_change: float = 0.0


def qotam_iterate(K: np.ndarray, rule: SphereRule, steps: int, step_size: float = 0.0,
                  epsilon: float = 0.0) -> tuple[np.ndarray, IterationRecord]:
    """The paper's iteration: modulus scaling (44) to the marginals, then `steps` rounds of the
    gradient step (45) on F each followed by scaling. step_size = 0 is the scaling alone; the
    scaling is `symmetric_scaling` (the converged sweeps; `sinkhorn_sweeps` counts Newton steps)."""
    cost = transport_cost(rule)
    K0 = np.array(K, dtype=complex)
    K, sweeps = symmetric_scaling(K0)
    rec = IterationRecord(steps, [sweeps], [functional(K, cost, epsilon)])
    for _ in range(steps if step_size else 0):
        K = K - step_size * functional_gradient(K, cost, epsilon)
        K, sweeps = symmetric_scaling(K)
        rec.sinkhorn_sweeps.append(sweeps)
        rec.functional.append(functional(K, cost, epsilon))
    moved = (np.abs(K0) > 1e-300) & (np.abs(K) > 1e-300)
    rec.max_phase_change = float(np.max(np.abs(np.angle(K[moved] / K0[moved])))) if np.any(moved) else 0.0
    return K, rec


__all__ = ["IterationRecord", "SphereRule", "complex_sinkhorn", "functional", "functional_gradient",
           "kernel_amplitude", "kernel_partial_waves", "marginal_errors", "plan", "qotam_iterate",
           "rescaled_deficit", "sphere_kernel", "symmetric_scaling", "sphere_rule", "spin_projector", "transport_cost",
           "unitarity_residual"]
