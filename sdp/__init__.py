"""Convex formulations (cvxpy): zero-ddisc primal (ρ-wavelet, spectral grid)."""
