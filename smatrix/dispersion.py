"""Dispersion integrals of a spectral density parametrised by h(s) = ϱ(s)ρ(s)/16π = 1 − Re S0.

h is piecewise linear on nodes 4 = s_0 < … < s_N (hat basis φ_i, P1 eqs. (86)–(88c)) with
h(s_N) = 0 and h = 0 beyond, so ρ(s') = 16π h(s')/ϱ(s'): bounded h covers both the regular
(h → 0) and the singular (h → 2, ρ ≈ 64π/√(s−4), eq. 19b) threshold exactly.

Every integral ∫ρ(s') k(s') ds' is a linear map of the node values h_i, returned as a matrix so
that problems precompute it once. Quadrature is Gauss–Legendre per segment in a local variable
v ∈ [0, 1] (s' = a + (b − a)v, and s' = 4 + (s_1 − 4)v² on the threshold segment, which absorbs
1/ϱ). Cauchy kernels 1/(s' − x) on segments near x are done by singularity subtraction with
the exact logarithm; real x on the support means the upper lip x + i0.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg

from .grids import spectral_nodes
from .kinematics import S0_CROSSING
from .quadrature import gauss_legendre

_GL_ORDER = 16
_NEAR = 1.5  # |v_x − ½| ≤ _NEAR (in segment units) → subtraction, else plain Gauss–Legendre
_CHUNK = 128


@dataclass(frozen=True)
class SpectralGrid:
    """Nodes of h = 1 − Re S0; h is free at nodes[:-1] and zero at nodes[-1] and beyond."""

    nodes: np.ndarray
    spline: bool = False

    def __post_init__(self):
        object.__setattr__(self, "nodes", threshold_nodes(self.nodes, "spectral grid"))

    @property
    def size(self) -> int:
        return self.nodes.size

    @cached_property
    def curvature_map(self) -> np.ndarray:
        """T with h''(s_i) = (T @ h_nodes)_i for the natural cubic spline through the node values
        (h'' = 0 at s = 4 and at the last node); zero matrix for piecewise-linear elements."""
        n = self.size
        if not self.spline:
            return np.zeros((n, n))
        d = np.diff(self.nodes)
        A = np.zeros((n - 2, n - 2))
        i = np.arange(n - 2)
        A[i, i] = (d[:-1] + d[1:]) / 3
        A[i[1:], i[1:] - 1] = d[1:-1] / 6
        A[i[:-1], i[:-1] + 1] = d[1:-1] / 6
        B = np.zeros((n - 2, n))
        B[i, i] = 1 / d[:-1]
        B[i, i + 1] = -1 / d[:-1] - 1 / d[1:]
        B[i, i + 2] = 1 / d[1:]
        T = np.zeros((n, n))
        T[1:-1] = scipy.linalg.solve_banded((1, 1), _banded(A), B)
        return T

    def _assemble(self, parts) -> np.ndarray:
        """Matrix on h_nodes from per-shape contributions [(values (j, seg), column offset, curvature?)]."""
        first = parts[0][0]
        lin = np.zeros(first.shape[:-1] + (self.size,), dtype=first.dtype)
        curv = np.zeros_like(lin)
        for vals, off, is_curv in parts:
            (curv if is_curv else lin)[..., off:self.size - 1 + off] += vals
        return lin + curv @ self.curvature_map if self.spline else lin

    # --- local maps: s'(v), ds'/dv, v(x) for each segment --------------------------------------
    def _map(self, seg, v):
        a, b = self.nodes[seg], self.nodes[seg + 1]
        first = seg == 0
        s = np.where(first, 4.0 + (b - 4.0) * v**2, a + (b - a) * v)
        return s

    def _inverse(self, seg, x):
        a, b = self.nodes[seg], self.nodes[seg + 1]
        first = seg == 0
        x = np.asarray(x, dtype=complex)
        # real arithmetic for the real part: a node must map exactly onto v = 0 or 1
        lin = (x.real - a) / (b - a) + 1j * (x.imag / (b - a))
        quad = np.sqrt((x - 4.0) / (b - 4.0))
        # principal root; for real x on the threshold segment this is the real v in [0, 1]
        return np.where(first, quad, lin)

    def _measure(self, seg, v, s=None):
        """F(v)/φ(s'(v)) = 16π ds'/dv / ϱ(s'), analytic in v (no 1/√ at threshold); `s`: s'(v)
        when known exactly (x far below a long segment: a + (b − a)v_x loses x − 4 to rounding)."""
        a, b = self.nodes[seg], self.nodes[seg + 1]
        s = self._map(seg, v) if s is None else s
        with np.errstate(divide="ignore", invalid="ignore"):  # s = 4 only on the threshold segment
            lin = 16 * np.pi * (b - a) * np.sqrt(s / (s - 4.0 + 0j))
        quad = 16 * np.pi * 2.0 * np.sqrt(b - 4.0) * np.sqrt(s + 0j)
        return np.where(seg == 0, quad, lin)

    def _shapes(self, v, seg):
        """[(shape on segment `seg` as a function of v, column offset, curvature?)]: the hats
        φ_seg, φ_seg+1 (linear in s'), and for splines the curvature shapes (Δ²/6)(u³ − u)."""
        a, b = self.nodes[seg], self.nodes[seg + 1]
        u = (self._map(seg, v) - a) / (b - a)
        out = [(1.0 - u, 0, False), (u, 1, False)]
        if self.spline:
            c = (b - a) ** 2 / 6.0
            out += [(c * ((1.0 - u) ** 3 - (1.0 - u)), 0, True), (c * (u**3 - u), 1, True)]
        return out

    # --- public linear maps ------------------------------------------------------------------
    def h_values(self, x) -> np.ndarray:
        """Matrix H with h(x) = H @ h_nodes (linear interpolation, zero outside [4, s_N])."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        s = self.nodes
        H, idx, u, inside = hat_matrix(s, x)
        rows = np.arange(x.size)
        if self.spline:
            c = np.where(inside, (s[idx + 1] - s[idx]) ** 2 / 6.0, 0.0)
            C = np.zeros_like(H)
            C[rows, idx] = c * ((1.0 - u) ** 3 - (1.0 - u))
            C[rows, idx + 1] += c * (u**3 - u)
            H += C @ self.curvature_map
        return H

    def quadrature(self, order: int = _GL_ORDER):
        """Points s'_{k,p}, weights for ∫ρ k ds' per unit h, and the element shapes there."""
        v, w = gauss_legendre(order)
        seg = np.arange(self.size - 1)[:, None]
        pts = self._map(seg, v[None, :])
        wts = w[None, :] * self._measure(seg, v[None, :]).real
        return pts, wts, self._shapes(v[None, :], seg)

    def smooth_weights(self, kernel) -> np.ndarray:
        """Row r with ∫_4^∞ ρ(s') kernel(s') ds' = r @ h_nodes, for a kernel smooth on [4, ∞)."""
        return self.smooth_matrix(lambda x, sp: kernel(sp), np.zeros(1))[0]

    def smooth_matrix(self, kernel, x, h: np.ndarray | None = None) -> np.ndarray:
        """M[j, i] with ∫ρ(s') kernel(x_j, s') ds' = M @ h_nodes (kernel smooth in s'); given the
        node values `h`, the vector M @ h, without forming M (the density is summed first)."""
        x = np.atleast_1d(np.asarray(x))
        pts, wts, shapes = self.quadrature()
        dens = None if h is None else self._density(shapes, h)
        M = None
        for start in range(0, x.size, _CHUNK):    # in chunks: the (x, segment, node) array stays in cache
            kw = kernel(x[start:start + _CHUNK, None, None], pts[None]) * wts[None]
            part = (np.einsum("jsp,sp->j", kw, dens) if dens is not None else
                    self._assemble([(np.einsum("jsp,sp->js", kw, f), off, cv) for f, off, cv in shapes]))
            M = np.empty((x.size, *part.shape[1:]), dtype=part.dtype) if M is None else M
            M[start:start + _CHUNK] = part
        return M

    def _shape_weights(self, shapes, h: np.ndarray) -> list[np.ndarray]:
        """Per shape, its weight on each segment from the node values h: h itself, or h'' =
        curvature_map @ h for the curvature shapes, at the shape's node (as `_assemble` places it)."""
        h = np.asarray(h, dtype=float)
        curv = self.curvature_map @ h if self.spline else None
        return [(curv if is_curv else h)[off:self.size - 1 + off] for _, off, is_curv in shapes]

    def _density(self, shapes, h: np.ndarray) -> np.ndarray:
        """h(s'(v)) at the quadrature points of `quadrature()` from the node values h."""
        return sum(f * c[:, None] for (f, _, _), c in zip(shapes, self._shape_weights(shapes, h)))

    def cauchy_matrix(self, x, h: np.ndarray | None = None) -> np.ndarray:
        """Complex C[j, i] with ∫_4^∞ ρ(s')/(s' − x_j) ds' = C @ h_nodes; given the node values
        `h`, the vector C @ h, without forming C (the density is summed first; near pairs corrected).

        x with zero imaginary part on the support: upper lip x + i0 (principal value + iπρ(x)).
        """
        x = np.atleast_1d(np.asarray(x))
        pts, wts, shapes = self.quadrature()
        v, w = gauss_legendre(_GL_ORDER)
        dens = None if h is None else self._density(shapes, h)
        weights = None if h is None else self._shape_weights(shapes, h)
        C = np.zeros((x.size,) if h is not None else (x.size, self.size), dtype=complex)
        for start in range(0, x.size, _CHUNK):
            xs = x[start:start + _CHUNK]
            kw = wts[None] / (pts[None] - xs[:, None, None])
            jj, ii = self._near_pairs(xs)
            if h is not None:    # plain Gauss–Legendre everywhere, then the near pairs replaced
                vals = np.einsum("jsp,sp->j", kw, dens).astype(complex)
                if jj.size:
                    near = sum(val * c[ii] for val, c in zip(self._subtracted(xs[jj], ii, v, w), weights))
                    np.add.at(vals, jj, near - np.einsum("kp,kp->k", kw[jj, ii], dens[ii]))
                C[start:start + _CHUNK] = vals
                continue
            parts = [np.einsum("jsp,sp->js", kw, f).astype(complex) for f, _, _ in shapes]
            if jj.size:
                for part, val in zip(parts, self._subtracted(xs[jj], ii, v, w)):
                    part[jj, ii] = val
            C[start:start + _CHUNK] = self._assemble([(p, off, cv) for p, (_, off, cv) in zip(parts, shapes)])
        return C

    def _near_pairs(self, xs):
        a, b = self.nodes[:-1], self.nodes[1:]
        mid, half = 0.5 * (a + b), 0.5 * (b - a)
        near = np.abs(xs[:, None] - mid[None]) <= 2 * _NEAR * half[None]
        near[:, 0] |= np.abs(xs - 4.0) <= 2 * (b[0] - 4.0)  # threshold segment in v² units
        return np.nonzero(near)

    def _subtracted(self, x, seg, v, w):
        """∫_0^1 φ(v)F(v) dv/(s'(v) − x) per pair (x_k, seg_k), for both hats of the segment,
        by singularity subtraction. Linear segments: 1/(s' − x) = 1/(h(v − v_x)); threshold
        segment: 1/((b−4)(v − v_x)(v + v_x)) split into partial fractions (φF is even in v)."""
        vx = self._inverse(seg, x)
        V = v[None, :]
        sgv = seg[:, None]
        F, Fx = self._measure(sgv, V), self._measure(seg, vx, x)
        first = seg == 0
        scale = np.where(first, 2.0 * vx * (self.nodes[1] - 4.0), self.nodes[seg + 1] - self.nodes[seg])
        # 1 − v_x from the distance b − x, not by subtraction: for x within rounding of a node the
        # log|1 − v_x| of one segment must cancel the log|v_x| of its neighbour exactly
        b = self.nodes[seg + 1]
        one_minus = np.where(first, (b - x) / ((b - 4.0) * (1.0 + vx)), (b - x) / (b - self.nodes[seg]))
        out = []
        for (shape, _, _), (shape_x, _, _) in zip(self._shapes(V, sgv), self._shapes(vx, seg)):
            H = shape * F
            Hx = shape_x * Fx
            val = _subtracted_cauchy(H, Hx, vx, v, w, scale, one_minus)
            if np.any(first):
                val = np.where(first, val - _subtracted_cauchy(H, Hx, -vx, v, w, scale, 1.0 + vx), val)
            out.append(val / scale)
        return out


def threshold_nodes(nodes, what: str) -> np.ndarray:
    """Validated float nodes 4 = s_0 < s_1 < … (at least 3)."""
    s = np.asarray(nodes, dtype=float)
    if s.ndim != 1 or s.size < 3 or s[0] != 4.0 or np.any(np.diff(s) <= 0):
        raise ValueError(f"{what} must start at s = 4 and increase strictly (≥ 3 nodes)")
    return s


def hat_matrix(nodes: np.ndarray, x):
    """Matrix H with f(x) = H @ f(nodes) for piecewise-linear f, zero outside [nodes[0], nodes[-1]];
    also the segment index, the local coordinate u ∈ [0, 1] and the inside mask of each x."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    idx = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, nodes.size - 2)
    u = (x - nodes[idx]) / (nodes[idx + 1] - nodes[idx])
    inside = (x >= nodes[0]) & (x <= nodes[-1])
    H = np.zeros((x.size, nodes.size))
    rows = np.arange(x.size)
    H[rows, idx] = np.where(inside, 1.0 - u, 0.0)
    H[rows, idx + 1] += np.where(inside, u, 0.0)
    return H, idx, u, inside


def _banded(A):
    """Tridiagonal A in the (1, 1) band storage of scipy.linalg.solve_banded."""
    ab = np.zeros((3, A.shape[0]))
    ab[0, 1:] = np.diag(A, 1)
    ab[1] = np.diag(A)
    ab[2, :-1] = np.diag(A, -1)
    return ab


def _subtracted_cauchy(H, Hp, p, v, w, dx, one_minus_p):
    """∫_0^1 H(v)/(v − p) dv = ∫[H(v) − H(p)]/(v − p) dv + H(p)·L(p) (Gauss–Legendre v, w on [0, 1]);
    `one_minus_p` is 1 − p computed without cancellation."""
    with np.errstate(divide="ignore", invalid="ignore"):
        integrand = (H - Hp[:, None]) / (v[None, :] - p[:, None])
    return integrand @ w + Hp * _log_kernel(p, dx, one_minus_p)


def _log_kernel(vx, Dx, one_minus):
    """∫_0^1 dv/(v − v_x) = log(1 − v_x) − log(−v_x); for real v_x the upper-lip value.

    At a node (v_x = 0 or 1) the divergent log|v − v_x| is replaced by its finite part in
    absolute units, log|s' − x| − log|ds'/dv| → −log|D(v_x)|: the log|s' − x| of the two
    segments sharing the node cancel."""
    real = vx.imag == 0
    with np.errstate(divide="ignore"):
        principal = np.log(one_minus) - np.log(-vx)
    return np.where(real, _real_log(vx.real, one_minus.real, np.abs(Dx)), principal)


def _real_log(v, one_minus, dx):
    d1, d0 = np.abs(one_minus), np.abs(v)
    finite = -np.log(np.where(dx > 0, dx, 1.0))
    re = (np.where(d1 > 0, np.log(np.where(d1 > 0, d1, 1.0)), finite)
          - np.where(d0 > 0, np.log(np.where(d0 > 0, d0, 1.0)), finite))
    im = np.where((v > 0) & (one_minus > 0), np.pi, np.where((v == 0) | (one_minus == 0), 0.5 * np.pi, 0.0))
    return re + 1j * im


def froissart_gribov_kernel(s, sp):
    """(2/(s − 4)) log(1 + (s − 4)/s'), the t+u-channel J = 0 kernel K^{(4)} of eq. (17)."""
    d = s - 4.0
    small = np.abs(d) < 1e-300
    d_safe = np.where(small, 1.0, d)
    return np.where(small, 2.0 / sp, 2.0 * np.log1p(d_safe / sp) / d_safe)


def sum_rule_kernel(power: int):
    """1/(s' − 4/3)^power: c0 (power 1), c2 (power 3), c3 (power 4) sum rules, eqs. (24), (27)."""
    return lambda sp: (sp - S0_CROSSING) ** (-power)


def f0_matrix(grid: SpectralGrid, s, sum_rule: bool = False, real: bool = False,
              h: np.ndarray | None = None) -> np.ndarray:
    """Complex M with f0(s_j) = c0/16π + M @ h_nodes, eq. (16) with c0 held fixed:
    16π² (f0 − c0/16π) = ∫ρ [1/(s' − s) − 3/(s' − 4/3) + K^{(4)}(s, s')] (upper lip s + i0 for
    real s, the physical sheet off the axis); with `sum_rule`, f0(s_j) = M @ h_nodes: the sum
    rule (24) c0 = (3/π)∫ρ/(s' − 4/3) cancels c0/16π against the −3/(s' − 4/3) term. `real`: the
    real matrix of Re f0 for real s (principal values), as the elastic iterations, the neural
    primal and the grid SDP impose it. Given the node values `h`: the vector M @ h, computed
    without forming M (an amplitude evaluated at many points, e.g. its certificate)."""
    M = grid.cauchy_matrix(s, h).real if real else grid.cauchy_matrix(s, h)
    if not sum_rule:
        sub = grid.smooth_weights(sum_rule_kernel(1))
        M = M - 3.0 * (sub[None, :] if h is None else sub @ h)
    return (M + grid.smooth_matrix(froissart_gribov_kernel, s, h)) / (16 * np.pi**2)


def spectral_grid(n: int, s_switch: float = 1e4, s_max: float = 1e12, bulk_fraction: float = 0.75) -> SpectralGrid:
    """Piecewise-linear spectral grid on `smatrix.grids.spectral_nodes` (4, uniform in the wavelet
    angle θ up to s_switch, geometric in s − 4 up to s_max)."""
    return SpectralGrid(spectral_nodes(n, s_switch, s_max, bulk_fraction))
