"""The full-model ρ-wavelet amplitude (P2 App. B, eq. 87) and its partial waves.

T(s,t) = α_1 + β [g(s) + g(t) + g(u)] + Σ_σ α_σ [ρ_σ(s) + ρ_σ(t) + ρ_σ(u)]
         + Σ_{σ≤τ} α_στ Σ_{x≠y ∈ {s,t,u}} ρ_σ(x) ρ_τ(y),

ρ_σ the wavelet of eq. (88) (with √(σ−4), see the spec README), g = 1/sqrt(4 − s) the threshold term
of Paulos et al., centres Σ(Nmax) of eq. (91) and pairs {σ, τ} taken from one Chebyshev level θ_k
(`wavelet_pairs`). With the threshold term this reproduces the ansatz sizes of P2 Table 4
(135, 173, 238, 288, 378 for Nmax = 8…12).

Partial waves (spec README): f_J(s) = (1/32π) ∫_{−1}^{1} dz P_J(z) T(s, t(z)). For even J the
t ↔ u symmetry folds the angle onto z ∈ [0, 1], and every basis function reduces to
  I_J^σ(s) = ∫_{−1}^{1} P_J ρ_σ(t) dz,   K_J^{στ}(s) = ∫_{−1}^{1} P_J ρ_σ(t) ρ_τ(u) dz,
  G_J(s) = ∫_{−1}^{1} P_J g(t) dz = (4/(2J+1)) (√s − 2)^J / (√s + 2)^{J+1}  (closed form),
so that 32π f_J = 2δ_J0 + β[2δ_J0 g(s) + 2G_J] + Σ α_σ [2δ_J0 ρ_σ(s) + 2I_J^σ]
         + Σ α_στ [2ρ_σ(s) I_J^τ + 2ρ_τ(s) I_J^σ + 2K_J^{στ}].
The angular integrals use Gauss–Legendre on z ∈ [0, ½] and, towards the forward point where
ρ_σ(t) varies on |t| ~ 1 while z spans s, composite Gauss–Legendre panels in y = log(1 − t).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .amplitude import Amplitude
from .cache import cached_arrays, rows_agree
from .grids import chebyshev_fractions, s_of_theta, theta_of_fraction
from .kinematics import S0_CROSSING, t_of_z, u_of
from .partial_waves import legendre
from .quadrature import HIGH_SPIN_FROM, PROJECTION_RULE, angular_rule, projection_rule, spins_by_rule
from .wavelets import rho_wavelet, rho_wavelet_derivative, threshold_term, threshold_term_derivative

def wavelet_pairs(nmax: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres Σ(Nmax) (sorted in s) and the index pairs i ≤ j with σ_i, σ_j on one level θ_k, k ≤ Nmax."""
    if nmax < 1:
        raise ValueError("Nmax must be at least 1")
    fracs = sorted({f for k in range(1, nmax + 1) for f in chebyshev_fractions(k)}, reverse=True)
    index = {f: i for i, f in enumerate(fracs)}  # s decreases with k/(k+1): reversed fractions sort s up
    centres = s_of_theta(theta_of_fraction(fracs))
    pairs = sorted({tuple(sorted((index[a], index[b])))
                    for k in range(1, nmax + 1) for a in chebyshev_fractions(k) for b in chebyshev_fractions(k)})
    return centres, np.array(pairs, dtype=int)


@dataclass(frozen=True)
class FullBasis:
    """Columns: [1, threshold (optional), singles σ…, pairs (σ, τ)…]."""

    nmax: int
    threshold: bool = True

    @cached_property
    def _cp(self):
        return wavelet_pairs(self.nmax)

    @property
    def centres(self) -> np.ndarray:
        return self._cp[0]

    @property
    def pairs(self) -> np.ndarray:
        return self._cp[1]

    @property
    def size(self) -> int:
        return 1 + int(self.threshold) + self.centres.size + len(self.pairs)

    def slices(self) -> dict[str, slice]:
        n, o = self.centres.size, 1 + int(self.threshold)
        return {"constant": slice(0, 1), "threshold": slice(1, o), "singles": slice(o, o + n),
                "pairs": slice(o + n, self.size)}

    def infinity_row(self) -> np.ndarray:
        """T at s, t, u → ∞ (fixed angle): ρ_σ → −1, g → 0; unitarity needs this to vanish (spec README)."""
        row = np.zeros(self.size)
        sl = self.slices()
        row[sl["constant"]], row[sl["singles"]], row[sl["pairs"]] = 1.0, -3.0, 6.0
        return row

    def taylor_rows(self) -> dict[str, np.ndarray]:
        """c0 = T(4/3, 4/3) and c2 = ¼(∂_s − ∂_u)² T at the crossing point, as rows on the coefficients."""
        x0 = S0_CROSSING
        d = [rho_wavelet_derivative(self.centres, x0, n) for n in range(3)]
        g = [float(threshold_term_derivative(x0, n)) for n in range(3)]
        i, j = self.pairs.T
        rows = {}
        for key, const, thr, single, pair in (
                ("c0", 1.0, 3 * g[0], 3 * d[0], 6 * d[0][i] * d[0][j]),
                ("c2", 0.0, g[2] / 2, d[2] / 2, d[2][i] * d[0][j] + d[0][i] * d[2][j] - d[1][i] * d[1][j])):
            thr_part = [thr] if self.threshold else []
            rows[key] = np.concatenate([[const], thr_part, single, pair])
        return rows


def threshold_projection(J: int, s) -> np.ndarray:
    """G_J(s) = ∫_{−1}^{1} P_J(z) / sqrt(4 − t(z)) dz = (4/(2J+1)) (√s − 2)^J / (√s + 2)^{J+1}."""
    r = np.sqrt(np.asarray(s, dtype=float))
    return 4.0 / (2 * J + 1) * ((r - 2) / (r + 2)) ** J / (r + 2)     # the ratio first: no overflow at high J


def partial_wave_rows(basis: FullBasis, s, spins, chunk: int = 48) -> np.ndarray:
    """32π f_J(s) as rows on the coefficients: complex array (len(spins), m, basis.size)."""
    s = np.atleast_1d(np.asarray(s, dtype=float))
    spins = list(spins)
    if any(J < 0 or J % 2 for J in spins):
        raise ValueError(f"identical scalars have even spins only, got {spins}")
    if np.any(s <= 4):
        raise ValueError("partial waves are projected above threshold, s > 4")
    out = np.empty((len(spins), s.size, basis.size), dtype=complex)
    a = np.sqrt(basis.centres - 4.0)
    i, j = basis.pairs.T
    sl = basis.slices()
    for (rule, ks), start in ((g, st) for g in spins_by_rule(spins) for st in range(0, s.size, chunk)):
        sc = s[start:start + chunk]
        z, w = angular_rule(sc, rule)
        half = 0.5 * (sc[:, None] - 4.0)
        vt, vu = np.sqrt(4 + half * (1 - z)), np.sqrt(4 + half * (1 + z))  # sqrt(4 − t), sqrt(4 − u)
        Rt = (a - vt[..., None]) / (a + vt[..., None])
        Ru = (a - vu[..., None]) / (a + vu[..., None])
        rs = rho_wavelet(basis.centres[None, :], sc[:, None])
        for k, P in zip(ks, legendre([spins[k] for k in ks], z)):
            J = spins[k]
            wP = (w * P)[..., None]
            I = np.einsum("mqi->mi", wP * (Rt + Ru))
            K = np.matmul(np.ascontiguousarray(np.swapaxes(Rt * wP, 1, 2)), Ru)  # BLAS needs contiguous
            K = K + np.swapaxes(K, 1, 2)  # ∫_0^1 P_J [ρ_σ(t)ρ_τ(u) + ρ_σ(u)ρ_τ(t)]
            delta = 1.0 if J == 0 else 0.0
            rows = out[k, start:start + chunk]
            rows[:, sl["constant"]] = 2 * delta
            if basis.threshold:
                rows[:, sl["threshold"]] = (2 * delta * threshold_term(sc) + 2 * threshold_projection(J, sc))[:, None]
            rows[:, sl["singles"]] = 2 * delta * rs + 2 * I
            rows[:, sl["pairs"]] = 2 * rs[:, i] * I[:, j] + 2 * rs[:, j] * I[:, i] + 2 * K[:, i, j]
    return out


def cached_partial_wave_rows(basis: FullBasis, s, spins) -> np.ndarray:
    """`partial_wave_rows` through the disk cache (keyed by Nmax, threshold term, grid, spins, rule)."""
    s = np.asarray(s, dtype=float)
    params = {"nmax": basis.nmax, "threshold": basis.threshold, "s": s.tolist(), "spins": list(spins),
              "rule": PROJECTION_RULE,
              **({"high_spin_rule": projection_rule(max(spins))} if max(spins, default=0) > HIGH_SPIN_FROM else {})}
    return cached_arrays("full-wavelet-rows", params, lambda: {"rows": partial_wave_rows(basis, s, spins)},
                         check=lambda A: rows_agree(A["rows"], lambda i: partial_wave_rows(basis, s[i], spins),
                                                    axis=1))["rows"]


class FullAmplitude(Amplitude):
    """A full-model amplitude: `basis` and its coefficients (they can be large).

    Partial waves are computed by evaluating T(s, t) itself on the angular rule, not through the
    basis rows the SDP used: the certificate is a second, independent evaluation. With the pair
    coefficients as a symmetric matrix M (M_ii = α_ii, M_ij = α_ij/2), the double products are
    Σ_{x≠y} ρ(x)ᵀ M ρ(y) = 2[(M ρ_s)·(ρ_t + ρ_u) + ρ_tᵀ M ρ_u] over the channels x, y ∈ {s, t, u},
    O(n²) per point."""

    model = "full"
    uses_longdouble = True   # results are marked where longdouble is float64 (smatrix.precision)

    def __init__(self, basis: FullBasis, coefficients):
        self.basis = basis
        self.coefficients = np.asarray(coefficients, dtype=np.longdouble)
        if self.coefficients.shape != (basis.size,):
            raise ValueError(f"{basis.size} coefficients expected, got {self.coefficients.shape}")
        sl, c = basis.slices(), self.coefficients.astype(float)
        i, j = basis.pairs.T
        M = np.zeros((basis.centres.size,) * 2)
        M[i, j] += np.where(i == j, 1.0, 0.5) * c[sl["pairs"]]
        M[j, i] += np.where(i == j, 0.0, 0.5) * c[sl["pairs"]]
        self._M, self._single = M, c[sl["singles"]]
        self._const, self._thr = c[0], (c[1] if basis.threshold else 0.0)

    def _T_channels(self, rs, rt, ru, gsum):
        """T from the wavelet values of the three channels (..., n) and g(s) + g(t) + g(u); rs may
        be broadcastable (m, 1, n) against rt, ru (m, Q, n): one energy per row, then M ρ_s is
        formed once per energy and the only full product is the real ρ_tᵀ M ρ_u."""
        tu = rt + ru
        Ms = rs @ self._M
        pairs = 2.0 * (np.sum(Ms * tu, axis=-1) + np.sum((rt @ self._M) * ru, axis=-1))
        return self._const + self._thr * gsum + rs @ self._single + tu @ self._single + pairs

    def T(self, s, t) -> np.ndarray:
        """T(s, t) by direct summation (real s > 4 on the upper lip; t, u below threshold real)."""
        s, t = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(t, dtype=float))
        chan = [np.ravel(x) for x in (s, t, u_of(s, t))]
        R = [rho_wavelet(self.basis.centres[None, :], x[:, None]) for x in chan]
        g = sum(threshold_term(x) for x in chan)
        return np.asarray(self._T_channels(*R, g)).reshape(s.shape)

    def partial_waves(self, s, spins, chunk: int = 64) -> np.ndarray:
        """f_J(s) (len(spins), m) = (1/16π) ∫_0^1 P_J(z) T(s, t(z)) dz for even J (T(s,t) = T(s,u))."""
        s = np.atleast_1d(np.asarray(s, dtype=float))
        spins = list(spins)
        out = np.empty((len(spins), s.size), dtype=complex)
        c = self.basis.centres
        for rule, ks in spins_by_rule(spins):       # high spins: a finer rule (projection_rule)
            for start in range(0, s.size, chunk):
                sc = s[start:start + chunk]
                z, w = angular_rule(sc, rule)
                t = t_of_z(sc[:, None], z)
                u = 4.0 - sc[:, None] - t
                rs = rho_wavelet(c[None, :], sc[:, None])[:, None, :]     # (m, 1, n): one energy per row
                T = self._T_channels(rs, rho_wavelet(c, t[..., None]).real, rho_wavelet(c, u[..., None]).real,
                                     threshold_term(sc)[:, None] + threshold_term(t).real + threshold_term(u).real)
                # the terms of s alone project onto J = 0 only (∫_0^1 P_J dz = 0 for even J ≥ 2): left out
                # above J = 0, where the rule's own error on them (1/√(s − 4) at threshold) would remain
                T_tu = T - (self._const + self._thr * threshold_term(sc)[:, None] + (rs @ self._single))
                for k, P in zip(ks, legendre([spins[k] for k in ks], z)):
                    out[k, start:start + chunk] = np.sum(w * P * (T if spins[k] == 0 else T_tu), axis=1) / (16 * np.pi)
        return out

    def f(self, J: int, s) -> np.ndarray:
        return self.partial_waves(s, [J])[0]

    @property
    def taylor(self) -> dict[str, float]:
        rows = self.basis.taylor_rows()
        return {k: float(rows[k].astype(np.longdouble) @ self.coefficients) for k in ("c0", "c2")}
