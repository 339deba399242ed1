"""Convex formulations: zero-ddisc primal (ρ-wavelet, spectral grid), zero-ddisc dual SDP, and the
SDPB high-precision path (problem representation, writers, runner, parser)."""
