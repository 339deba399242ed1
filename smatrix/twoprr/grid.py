"""The node set of the 2PRR amplitudes (spec 2prr.md) and the one-dimensional transforms of its
hat functions.

One node set serves s and t: x = 4 + sinh²ξ with ξ uniform on [0, ξ_max], x(ξ_max) = s_max, so
functions are linear in sqrt(x − 4) at threshold and logarithmic at large x. Every spectral
function is piecewise linear in ξ (hat basis φ_m); the single density ρ(s) continues beyond s_max
with the Regge tail ρ(s_max)(log s_max / log s)² (P2 eq. 57, leading term).

Every dispersion integral of the Mandelstam representation (P2 eq. 2) is built from one transform,
    H_m(x) = (1/π) ∫ ds' φ_m(s') [1/(s' − x) − 1/(s' − s0)],   s0 = 4/3,
taken on the upper lip (x + i0, principal value plus i φ_m(x)) for x > 4, its angular average
over the physical region, L_m(s) = avg_z H_m(t(z)), and its derivatives at s0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..grids import product_grid
from ..kinematics import S0_CROSSING
from ..quadrature import gauss_legendre, panel_rule

GL_ORDER = 10
TAIL_ORDER = 48


def x_of_xi(xi):
    """x = 4 + sinh²ξ."""
    return 4.0 + np.sinh(xi) ** 2


def xi_of_x(x):
    """ξ = asinh sqrt(x − 4) (x ≥ 4)."""
    return np.arcsinh(np.sqrt(np.maximum(np.asarray(x, dtype=float) - 4.0, 0.0)))


@dataclass(frozen=True)
class NodeGrid:
    """n nodes x_m = 4 + sinh²ξ_m, ξ_m = ξ_max (e^{κσ} − 1)/(e^κ − 1), σ = m/(n − 1), so
    x_{n−1} = s_max; κ = `grading` > 0 makes the steps e^κ times finer at threshold than at
    s_max (κ = 0: uniform in ξ)."""

    n: int = 48
    s_max: float = 1e8
    grading: float = 1.5

    def validate(self) -> None:
        if self.n < 12:
            raise ValueError(f"the 2PRR grid needs n ≥ 12 nodes, got n = {self.n}")
        if not (100.0 <= self.s_max <= 1e30):
            raise ValueError(f"the 2PRR cutoff s_max must lie in [1e2, 1e30], got {self.s_max:g}")
        if not (0.0 <= self.grading <= 4.0):
            raise ValueError(f"the 2PRR grid grading must lie in [0, 4], got {self.grading:g}")

    @cached_property
    def xi(self) -> np.ndarray:
        """Node positions in ξ: a smooth map of the uniform σ, so that discretisation errors fall
        smoothly with n and Richardson extrapolation applies (moving a node onto s = 16, where η_J
        starts, was tried: it made the sequence c2(n) irregular)."""
        sigma = np.linspace(0.0, 1.0, self.n)
        top = float(xi_of_x(self.s_max))
        k = self.grading
        return top * sigma if k == 0 else top * np.expm1(k * sigma) / math.expm1(k)

    @cached_property
    def widths(self) -> np.ndarray:
        """Panel widths ξ_{p+1} − ξ_p."""
        return np.diff(self.xi)

    @cached_property
    def nodes(self) -> np.ndarray:
        x = x_of_xi(self.xi)
        x[0] = 4.0
        return x

    def hats(self, x) -> tuple[np.ndarray, np.ndarray]:
        """(m, w): x lies between nodes m and m + 1 with weight 1 − w on m and w on m + 1
        (x in [4, s_max]; beyond, the weights vanish)."""
        xi = xi_of_x(x)
        m = np.clip(np.searchsorted(self.xi, xi, side="right") - 1, 0, self.n - 2)
        w = (xi - self.xi[m]) / self.widths[m]
        return m, w

    def in_panel(self, xi, panel) -> np.ndarray:
        """Weight of node panel + 1 for points ξ known to lie in `panel`."""
        return np.clip((xi - self.xi[panel]) / self.widths[panel], 0.0, 1.0)

    def hat_matrix(self, x) -> np.ndarray:
        """φ_m(x) for every node m (rows: points), zero beyond s_max."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        m, w = self.hats(x)
        inside = (x >= 4.0) & (x <= self.s_max * (1 + 1e-12))
        out = np.zeros((x.size, self.n))
        rows = np.arange(x.size)
        out[rows, m] = np.where(inside, 1.0 - w, 0.0)
        out[rows, m + 1] += np.where(inside, w, 0.0)
        return out

    def tail(self, x) -> np.ndarray:
        """Regge continuation (log s_max / log x)² for x > s_max (0 below)."""
        x = np.asarray(x, dtype=float)
        big = x > self.s_max
        return np.where(big, (math.log(self.s_max) / np.log(np.where(big, x, 2.0))) ** 2, 0.0)

    # ---- the transforms: columns are the n hats, then the tail --------------------------------

    @cached_property
    def _panel_points(self):
        """Quadrature points of every panel [ξ_p, ξ_{p+1}]: (ξ, weight dξ, panel p, local v)."""
        return panel_rule(self.xi, GL_ORDER)

    @cached_property
    def _tail_points(self):
        """Points s' = s_max e^y, y = w/(1 − w), w ∈ (0, 1): (s', weight ds' · tail(s'))."""
        v, w = gauss_legendre(TAIL_ORDER)
        y = np.minimum(v / (1.0 - v), 600.0)   # beyond, the integrands are below 1e-250
        sp = self.s_max * np.exp(y)
        return sp, w / (1.0 - v) ** 2 * sp * (math.log(self.s_max) / np.log(sp)) ** 2

    def _hat_weights(self, fun) -> np.ndarray:
        """(1/π) ∫ φ_m(s') fun(s') ds' for every hat (and the tail), fun: (points,) → (k, points)."""
        xi, w, p, v = self._panel_points
        sp = x_of_xi(xi)
        jac = np.sinh(2.0 * xi) * w / math.pi
        vals = fun(sp) * jac                                          # (k, P)
        out = np.zeros(vals.shape[:-1] + (self.n + 1,), dtype=vals.dtype)
        np.add.at(out.T, p, ((1 - v) * vals).T)
        np.add.at(out.T, p + 1, (v * vals).T)
        st, wt = self._tail_points
        out[..., -1] = fun(st) @ wt / math.pi
        return out

    def cauchy(self, x) -> np.ndarray:
        """H_m(x) (rows: points; columns: the hats, then the tail): real x > 4 on the upper lip,
        complex x anywhere off the cut (H is analytic in the cut plane)."""
        x = np.atleast_1d(np.asarray(x))
        if np.iscomplexobj(x):
            return np.array([self._cauchy_pole(complex(xk)) for xk in x]).reshape(x.size, self.n + 1)
        x = x.astype(float)
        s0 = S0_CROSSING
        out = np.empty((x.size, self.n + 1), dtype=complex)
        below = x <= 4.0
        if below.any():
            xb = x[below][:, None]
            out[below] = self._hat_weights(lambda sp: 1.0 / (sp - xb) - 1.0 / (sp - s0))
            out[below & (x == 4.0), 0] = 0.0   # H_0(4) diverges; ρ vanishes at threshold
        for k in np.flatnonzero(~below):
            if not 4.0 < x[k] < self.s_max:
                raise ValueError(f"H is evaluated on the cut for 4 < x < s_max, got x = {x[k]!r}")
            out[k] = self._cauchy_pole(float(x[k]))
        return out

    @cached_property
    def _subtraction(self) -> np.ndarray:
        """(1/π)∫φ_m/(s' − s0) for the hats."""
        return self._hat_weights(lambda sp: (1.0 / (sp - S0_CROSSING))[None, :])[0, : self.n]

    def _cauchy_pole(self, x: complex | float) -> np.ndarray:
        """H_m(x) for x on the cut (4 < x < s_max, upper lip) or in the upper half plane. With
        s' − x = sinh(ξ − ξ_x) sinh(ξ + ξ_x), ds'/(s' − x) = [coth(ξ − ξ_x) + coth(ξ + ξ_x)] dξ:
        the poles 1/(ξ ∓ ξ_x) are integrated against each linear hat piece in closed form
        (principal value plus iπφ_m(x) on the cut, complex logarithms off it), the smooth
        remainder coth(y) − 1/y by Gauss–Legendre per panel."""
        on_cut = isinstance(x, float)
        xi_x = complex(np.arcsinh(np.sqrt(complex(x) - 4.0)))
        if on_cut:
            xi_x = xi_x.real
        xi, w, p, v = self._panel_points
        smooth = _coth_minus_inverse(xi - xi_x) + _coth_minus_inverse(xi + xi_x)
        out = np.zeros(self.n + 1, dtype=complex)
        np.add.at(out, p, w * (1.0 - v) * smooth)
        np.add.at(out, p + 1, w * v * smooth)
        out[: self.n] += self._pole_integrals(xi_x) + self._pole_integrals(-xi_x)
        out[: self.n] /= math.pi
        out[: self.n] -= self._subtraction
        st, wt = self._tail_points
        out[-1] = np.sum(wt * (1.0 / (st - x) - 1.0 / (st - S0_CROSSING))) / math.pi
        if on_cut:
            m, frac = self.hats(x)
            out[int(m)] += 1j * (1.0 - float(frac))
            out[int(m) + 1] += 1j * float(frac)
        return out

    def _pole_integrals(self, c) -> np.ndarray:
        """∫ φ_m(ξ)/(ξ − c) dξ for every hat, in closed form (e_k = ξ_k − c): the principal value
        for real c (the logarithms of a node at c cancel between the two pieces of its hat),
        complex logarithms for complex c."""
        e = self.xi - c
        if np.iscomplexobj(e):
            lg = np.log(e)
            el = e * lg
        else:
            el = _xlogx(e)
            lg = np.log(np.abs(np.where(e == 0, 1.0, e)))
        h = self.widths
        out = np.zeros(self.n, dtype=e.dtype)
        # rising piece on [ξ_{m−1}, ξ_m] (m ≥ 1) and falling piece on [ξ_m, ξ_{m+1}] (m ≤ n − 2)
        out[1:] += 1.0 + (el[:-1] - e[:-1] * lg[1:]) / h
        out[:-1] += -1.0 + (e[1:] * lg[1:] - e[1:] * lg[:-1]) / h
        # the log|e_m| of a node at c: coefficient e_{m−1}/h_{m−1} − e_{m+1}/h_m → 0 there
        return out

    def angular_average(self, s) -> np.ndarray:
        """L_m(s) = avg_z H_m(t(z)) = (1/π)∫φ_m(t')[log(1 + (s−4)/t')/(s−4) − 1/(t' − s0)]dt'."""
        s = np.atleast_1d(np.asarray(s))
        d = (s - 4.0)[:, None]

        # avg = K⁽⁴⁾(s, t')/2 of smatrix.dispersion.froissart_gribov_kernel, with its own small-r
        # series: merging them changes L_m at 1e-16, which moved the injected full-model min c2 of
        # tests/test_2prr_injection.py by 4e-6 (an optimal_inaccurate SDP), so it stays bit-identical
        def fun(tp):
            r = d / tp
            avg = np.where(np.abs(r) > 1e-8, np.log1p(r) / np.where(np.abs(d) > 0, d, 1.0), (1.0 - 0.5 * r) / tp)
            return avg - 1.0 / (tp - S0_CROSSING)
        return self._hat_weights(fun)

    def derivative(self, order: int) -> np.ndarray:
        """d^k H_m / dx^k at x = s0: (k!/π)∫φ_m/(s' − s0)^(k+1)."""
        k = math.factorial(order)
        with np.errstate(over="ignore"):   # far tail points: the kernel is 0 there
            return self._hat_weights(lambda sp: (k / (sp - S0_CROSSING) ** (order + 1))[None, :])[0]


def _coth_minus_inverse(y):
    """coth(y) − 1/y, smooth on the real line (series near 0); complex y allowed."""
    y = np.asarray(y)
    small = np.abs(y) < 1e-3
    ys = np.where(small, 1.0, y)
    return np.where(small, y / 3.0 - y**3 / 45.0, 1.0 / np.tanh(ys) - 1.0 / ys)


def _xlogx(e):
    """e log|e| (0 at e = 0)."""
    e = np.asarray(e, dtype=float)
    return np.where(e == 0, 0.0, e * np.log(np.abs(np.where(e == 0, 1.0, e))))


# ---- Landau curves and supports (P2 eqs. 15a, 15b, 16, 28) ---------------------------------------

def landau_s_channel(s):
    """t on the leading s-channel Landau curve t = 16s/(s − 4) (15a): ρ_el(s, t) ≠ 0 above it."""
    s = np.asarray(s, dtype=float)
    return 16.0 * s / (s - 4.0)


def landau_t_channel(s):
    """t on the t-channel curve t = 4s/(s − 16) (15b), the support edge of ρ_el(t, s) (s > 16)."""
    s = np.asarray(s, dtype=float)
    return 4.0 * s / (s - 16.0)


def planar_cross(s, t):
    """Left side of the planar-cross Landau curve (16); ρ_MP lives where it is positive."""
    s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
    return s**3 * (t - 16) + t**3 * (s - 16) + 24 * s * t * (s + t - 18) - 2 * s**2 * t**2


def mahoux_martin(s, t):
    """The Mahoux–Martin region (28), where ρ(s, t) > 0."""
    s, t = np.asarray(s, dtype=float), np.asarray(t, dtype=float)
    return (s > 4) & (s < 16) & (t > 16 * s / (s - 4)) & (t < 4 * (3 * s + 4) ** 2 / (s - 4) ** 2)


def elastic_support(grid: NodeGrid) -> np.ndarray:
    """Mask of the nodes (s_i, t_k), i, k < n − 1, strictly inside the support (15a) of ρ_el."""
    s, t = product_grid(grid.nodes, grid.nodes)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = (s > 4) & (t > 16 * s / (s - 4))
    inside[-1, :] = inside[:, -1] = False
    return inside


# ---- Legendre Q_J (second kind) for z > 1 -----------------------------------------------------

def legendre_q(J: int, z) -> np.ndarray:
    """Q_J(z), z > 1 (Q_0 = atanh(1/z)): P_J Q_0 − W_{J−1} near z = 1, the hypergeometric
    series in 1/z² (no cancellation) for z ≥ 1.2."""
    from scipy.special import gammaln, hyp2f1

    z = np.asarray(z, dtype=float)
    near = z < 1.2
    out = np.empty_like(z)
    zn = z[near]
    if zn.size:
        q0 = 0.5 * np.log((zn + 1) / (zn - 1))
        q_prev, q = q0, zn * q0 - 1.0
        if J == 0:
            out[near] = q0
        else:
            for n in range(1, J):                      # upward recursion is stable near z = 1
                q_prev, q = q, ((2 * n + 1) * zn * q - n * q_prev) / (n + 1)
            out[near] = q
    zf = z[~near]
    if zf.size:
        lg = 0.5 * math.log(math.pi) + gammaln(J + 1) - gammaln(J + 1.5)
        with np.errstate(over="ignore"):              # z → ∞: Q_J → 0
            out[~near] = np.exp(lg) / (2 * zf) ** (J + 1) * hyp2f1((J + 1) / 2, (J + 2) / 2, J + 1.5, 1 / zf**2)
    return out
