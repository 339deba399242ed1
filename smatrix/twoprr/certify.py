"""Certificate of a 2PRR amplitude, re-measured off the solve's grid and independently of the
solve's cached kernel (issue: Mandelstam and spin-0 residuals, |S_J|² on 4 < s < 16 and s > 16,
η_J ∈ [0, 1], the Froissart–Gribov identity, and partial waves by direct projection of T)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..certificate import Certificate, Check
from ..certify import unitarity_certificate, wave_violation
from ..kinematics import phase_space
from ..optical import all_spin_check
from ..partial_waves import project
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
    checks: dict[str, Check] = {}

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
    checks.update(mandelstam_residual=Check.at_most(res_m, tol.residual),
                  spin0_residual=Check.at_most(res_0, tol.residual),
                  kernel_mismatch=Check.at_most(worst_kernel, tol.kernel),
                  mandelstam_residual_fresh_kernel=Check.at_most(worst_fresh, tol.residual + tol.kernel * scale))

    # 2. partial waves and inelasticities on nodes and midpoints (fresh operators at new energies)
    s = check_energies(system)
    elastic = (s > 4) & (s < 16)
    spin_rows = {}
    max_el, max_inel, eta_min, eta_max = 0.0, -math.inf, math.inf, -math.inf
    viol = wave_violation(amplitude, s, SPINS)                    # |S_J|² − 1, (len(SPINS), m)
    for J, v in zip(SPINS, viol):
        eta = amplitude.eta(J, s)
        row = {"max_S2_minus_1": float(np.max(v)), "eta_min": float(eta.min()), "eta_max": float(eta.max()),
               "eta_peak_s": float(s[int(np.argmax(eta))])}
        if J == 0:
            row["spin0_residual_offgrid"] = float(np.max(np.abs(v + eta)))
            row["spin0_residual_offgrid_s"] = float(s[int(np.argmax(np.abs(v + eta)))])
        else:
            row["elastic_max_abs"] = float(np.max(np.abs(v[elastic])))
            row["inelastic_max"] = float(np.max(v[~elastic]))
            max_el = max(max_el, row["elastic_max_abs"])
            max_inel = max(max_inel, row["inelastic_max"])
        eta_min, eta_max = min(eta_min, row["eta_min"]), max(eta_max, row["eta_max"])
        spin_rows[str(J)] = row
    details.update(spins=spin_rows, elastic_max_abs=max_el, inelastic_max=max_inel, eta_min=eta_min,
                   eta_max=eta_max, check_s_range=[float(s[0]), float(s[-1])])
    checks.update(elastic=Check.at_most(max_el, tol.elastic), inelastic=Check.at_most(max_inel, tol.inelastic),
                  spin0_offgrid=Check.at_most(spin_rows["0"]["spin0_residual_offgrid"], tol.spin0_offgrid),
                  eta_min=Check.at_least(eta_min, -tol.eta), eta_max=Check.at_most(eta_max, 1.0 + tol.eta))

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
    checks["projection"] = Check.at_most(max(proj.values()), tol.projection)

    # 5. all spins at once (optical theorem, smatrix.optical): D(s) = Σ(2J+1)η_J from T itself; its
    # part above J = 10 (D minus the measured waves) must not be negative (a super-unitary wave)
    s_opt = np.unique(np.concatenate([np.geomspace(4.5, min(1e4, g.nodes[-3]), 8), [15.0, 20.0, 40.0]]))
    measured = np.array([1.0 - np.abs(amplitude.S(J, s_opt)) ** 2 for J in SPINS])
    details["all_spin"] = all_spin_check(amplitude, s_opt, list(SPINS), measured, tol.inelastic)
    checks["all_spin"] = Check.stated(details["all_spin"]["passed"])

    details["passed_all"] = all(c.passed for c in checks.values())
    # the certificate's headline: max(|S_J|² − 1), J = 2 … 10 (spin 0 is the off-grid residual above)
    return unitarity_certificate(s, viol, SPINS, tol.inelastic, headline=SPINS[1:], checks=checks,
                                 details=details)
