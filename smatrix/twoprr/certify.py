"""Certificate of a 2PRR amplitude, re-measured off the solve's grid and independently of the
solve's cached kernel (issue: Mandelstam and spin-0 residuals, |S_J|² on 4 < s < 16 and s > 16,
η_J ∈ [0, 1], the Froissart–Gribov identity, and partial waves by direct projection of T)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..kinematics import phase_space
from ..partial_waves import project
from ..result import Certificate
from .amplitude import MandelstamAmplitude
from .grid import xi_of_x, x_of_xi
from .kernel import kernel_at, mandelstam_prefactor
from .system import TwoPRRSystem

SPINS = (0, 2, 4, 6, 8, 10)


@dataclass(frozen=True)
class Tolerances:
    """What a certified 2PRR amplitude must meet (each stated in the certificate)."""

    residual: float = 1e-8          # Mandelstam and spin-0 equations on the grid
    elastic: float = 1e-5           # ||S_J|² − 1| for J = 2 … 10 on 4 < s < 16
    inelastic: float = 1e-5         # max(|S_J|² − 1) on s > 16 (must stay ≤ 0)
    eta: float = 1e-8               # η_J ≥ −tol and ≤ 1
    spin0_offgrid: float = 1e-2     # ||S0|² − 1 + η0| between the nodes: the O(h²) discretisation
                                    # error of piecewise-linear densities, largest near s = 4 and 16
                                    # (measured 1e-3 … 5e-3 for 20π … 40π at n = 48; P2: 5e-4)
    kernel: float = 1e-10           # fresh kernel rows against the ones the solve used (relative)
    projection: float = 1e-3        # f_J by Froissart–Gribov vs direct projection of T (relative)


def check_energies(system: TwoPRRSystem) -> np.ndarray:
    """The nodes s_1 … s_{n−2} and the midpoints (in ξ) between them: off the solve's grid."""
    xi = system.grid.xi[1:system.grid.n - 1]
    mid = 0.5 * (xi[:-1] + xi[1:])
    return np.sort(np.concatenate([x_of_xi(xi), x_of_xi(mid)]))


def certify(amplitude: MandelstamAmplitude, system: TwoPRRSystem, u: np.ndarray,
            tol: Tolerances = Tolerances(), rows: int = 4, rng_seed: int = 0) -> Certificate:
    """Re-measure the 2PRR conditions of `amplitude` (the unknowns u solved on `system`)."""
    g = system.grid
    st = system.unpack(u, amplitude.c0)
    details: dict = {"tolerances": tol.__dict__}
    ok = True

    # 1. residuals on the grid, and kernel rows rebuilt fresh (not from the cache)
    rhs = system.mandelstam_rhs(st)
    res_m = float(np.max(np.abs(u[system.n1:system.n1 + system.n2] - rhs))) if rhs.size else 0.0
    res_0 = float(np.max(np.abs(system.spin0_residual(st))))
    scale = max(float(np.max(np.abs(u[system.n1:system.n1 + system.n2]))), 1e-300)
    rng = np.random.default_rng(rng_seed)
    occupied = sorted({int(i) for i in system.pairs[:, 0]})
    pick = sorted(set([occupied[0], occupied[-1]] + list(rng.choice(occupied, size=min(rows, len(occupied)),
                                                                     replace=False))))
    worst_kernel, worst_fresh = 0.0, 0.0
    M = system.kernel["M"]
    for i in pick:
        pos = np.flatnonzero(system.pairs[:, 0] == i)
        fresh = kernel_at(g, float(g.nodes[i]), system.pairs[pos, 1])
        worst_kernel = max(worst_kernel, float(np.max(np.abs(fresh - M[pos])) / max(np.max(np.abs(fresh)), 1e-300)))
        Ti = st.T[i - 1]
        val = mandelstam_prefactor(g.nodes[i]) * (np.einsum("kjl,j,l->k", fresh, Ti.real, Ti.real)
                                                  + np.einsum("kjl,j,l->k", fresh, Ti.imag, Ti.imag))
        worst_fresh = max(worst_fresh, float(np.max(np.abs(u[system.n1 + pos] - val))))
    details.update(mandelstam_residual=res_m, mandelstam_residual_relative=res_m / scale,
                   spin0_residual=res_0, kernel_rows_checked=pick, kernel_mismatch=worst_kernel,
                   mandelstam_residual_fresh_kernel=worst_fresh)
    ok &= res_m <= tol.residual and res_0 <= tol.residual and worst_kernel <= tol.kernel
    ok &= worst_fresh <= tol.residual + tol.kernel * scale

    # 2. partial waves and inelasticities on nodes and midpoints (fresh operators at new energies)
    s = check_energies(system)
    rho = phase_space(s)
    elastic = (s > 4) & (s < 16)
    spin_rows = {}
    max_viol, max_el, max_inel, eta_min, eta_max = -math.inf, 0.0, -math.inf, math.inf, -math.inf
    for J in SPINS:
        f = amplitude.f(J, s)
        S2 = np.abs(1.0 + 1j * rho * f) ** 2
        eta = amplitude.eta(J, s)
        row = {"max_S2_minus_1": float(np.max(S2 - 1.0)), "eta_min": float(eta.min()), "eta_max": float(eta.max()),
               "eta_peak_s": float(s[int(np.argmax(eta))])}
        if J == 0:
            row["spin0_residual_offgrid"] = float(np.max(np.abs(S2 - 1.0 + eta)))
            row["spin0_residual_offgrid_s"] = float(s[int(np.argmax(np.abs(S2 - 1.0 + eta)))])
        else:
            row["elastic_max_abs"] = float(np.max(np.abs(S2[elastic] - 1.0)))
            row["inelastic_max"] = float(np.max(S2[~elastic] - 1.0))
            max_el = max(max_el, row["elastic_max_abs"])
            max_inel = max(max_inel, row["inelastic_max"])
            max_viol = max(max_viol, row["max_S2_minus_1"])
        eta_min, eta_max = min(eta_min, row["eta_min"]), max(eta_max, row["eta_max"])
        spin_rows[str(J)] = row
    details.update(spins=spin_rows, elastic_max_abs=max_el, inelastic_max=max_inel, eta_min=eta_min,
                   eta_max=eta_max, check_s_range=[float(s[0]), float(s[-1])])
    ok &= max_el <= tol.elastic and max_inel <= tol.inelastic
    ok &= spin_rows["0"]["spin0_residual_offgrid"] <= tol.spin0_offgrid
    ok &= eta_min >= -tol.eta and eta_max <= 1.0 + tol.eta

    # 3. Froissart–Gribov identity at the nodes: Im f_J of ρ_el(s, ·) = (ϱ/2)|f_J|² (J = 2 … 6)
    ops = system.ops
    fg = {}
    el_rows = st.el[1:g.n - 1]                                    # ρ_el(s_i, t_j)
    strip = system.s < 16.0
    for J in (2, 4, 6):
        w = ops.fg_weights(J)
        f = np.einsum("kj,kj->k", w, st.T)
        lhs = np.einsum("kj,kj->k", w, el_rows)
        rhs_fg = 0.5 * phase_space(system.s) * np.abs(f) ** 2
        dev = np.abs(lhs - rhs_fg)     # relative to the largest (ϱ/2)|f_J|² of the range
        fg[str(J)] = {"elastic_strip": float(np.max(dev[strip]) / max(np.max(rhs_fg[strip]), 1e-300)),
                      "all": float(np.max(dev) / max(np.max(rhs_fg), 1e-300))}
    details["froissart_gribov_identity"] = fg

    # 4. a second route to the partial waves: direct angular projection of T (J = 0, 2)
    probe = x_of_xi(np.linspace(xi_of_x(4.5), xi_of_x(min(1e3, g.nodes[-3])), 5))
    proj = {}
    for J in (0, 2):
        direct = project(amplitude.T, J, probe)
        via = amplitude.f(J, probe)
        proj[str(J)] = float(np.max(np.abs(direct - via)) / max(np.max(np.abs(via)), 1e-300))
    details["projection_vs_representation"] = proj
    ok &= max(proj.values()) <= tol.projection

    # 5. all spins at once (optical theorem, smatrix.optical): D(s) = Σ(2J+1)η_J from T itself; its
    # part above J = 10 (D minus the measured waves) must not be negative (a super-unitary wave)
    from ..optical import all_spin_check
    s_opt = np.unique(np.concatenate([np.geomspace(4.5, min(1e4, g.nodes[-3]), 8), [15.0, 20.0, 40.0]]))
    measured = np.array([1.0 - np.abs(amplitude.S(J, s_opt)) ** 2 for J in SPINS])
    details["all_spin"] = all_spin_check(amplitude, s_opt, list(SPINS), measured, tol.inelastic)
    ok &= details["all_spin"]["passed"]

    details["passed_all"] = bool(ok)
    # the certificate's headline: max(|S_J|² − 1), J = 2 … 10 (spin 0 is the off-grid residual above)
    return Certificate(max_unitarity_violation=max(max_viol, 0.0), check_points=int(s.size),
                       spins_checked=list(SPINS), tolerance=tol.inelastic, details=details,
                       other_checks_passed=bool(ok))
