"""ρ-wavelets and the threshold term (P1 eq. 64; P2 eqs. 88, 90); their unitarity grid and centre
set (P1 eqs. 91–93) are in smatrix.grids. Branch: sqrt(σ − 4) in the numerator (the P2 print has a typo)."""
from __future__ import annotations

import mpmath as mp
import numpy as np

# elementwise functions that also take object arrays of mpmath numbers (the high-precision path
# rebuilds the same formulas at any number of digits)
_MP_SQRT, _MP_LOG1P = np.frompyfunc(mp.sqrt, 1, 1), np.frompyfunc(mp.log1p, 1, 1)


def xsqrt(x):
    x = np.asarray(x)
    return _MP_SQRT(x) if x.dtype == object else np.sqrt(x)


def xlog1p(x):
    x = np.asarray(x)
    return _MP_LOG1P(x) if x.dtype == object else np.log1p(x)


def sqrt_4_minus(s):
    """Principal sqrt(4 − s) on the upper lip of the cut: −i sqrt(s − 4) for real s > 4."""
    s = np.asarray(s)
    if np.iscomplexobj(s):
        return np.sqrt(4 - s)
    if s.dtype != object:
        s = s.astype(np.result_type(s, np.float64))
    return np.where(s <= 4, xsqrt(np.abs(4 - s)) + 0j, -1j * xsqrt(np.abs(s - 4)))


def rho_wavelet(sigma, s):
    """ρ_σ(s) = (√(σ−4) − √(4−s)) / (√(σ−4) + √(4−s)), eq. (64). Broadcasts σ against s."""
    a = xsqrt(np.asarray(sigma) - 4)
    w = sqrt_4_minus(s)
    return (a - w) / (a + w)


def rho_wavelet_derivative(sigma, s, n: int):
    """dⁿρ_σ/dsⁿ (n = 0..3) for real s < 4, by the chain rule through w = sqrt(4 − s):
    ρ = −1 + 2a/(a + w); used for the Taylor coefficients at the crossing point."""
    sigma = np.asarray(sigma)
    a = xsqrt(sigma - 4)
    w = xsqrt(4 - np.asarray(s, dtype=sigma.dtype))
    p = a + w
    if n == 0:
        return (a - w) / p
    if n == 1:
        return a / (p**2 * w)
    if n == 2:
        return a / (p**3 * w**2) + a / (2 * p**2 * w**3)
    if n == 3:
        return 3 * a / (2 * p**4 * w**3) + 3 * a / (2 * p**3 * w**4) + 3 * a / (4 * p**2 * w**5)
    raise ValueError("derivatives up to third order only")


def threshold_term(s):
    """g(s) = 1/sqrt(4 − s): the threshold singularity of Paulos et al. (1/(ρ − 1) up to a constant);
    lets the ansatz reach a singular threshold S0(4) = −1 (eq. 19b). Upper lip for s > 4."""
    return 1.0 / sqrt_4_minus(s)


def threshold_term_derivative(s, n: int):
    """dⁿg/dsⁿ for real s < 4, n = 0..3: (2n − 1)!!/2ⁿ (4 − s)^{−n − 1/2}."""
    coeff = {0: 1.0, 1: 0.5, 2: 0.75, 3: 1.875}[n]
    return coeff * (4 - np.asarray(s)) ** (-n - 0.5)
