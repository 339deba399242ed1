"""SDPB path: export time (60-digit matrix entries, cold and from the disk cache) and SDPB time
for the zero-ddisc wavelet primal (max c0), Nmax = 8 and 12, 300 unitarity points.

    python benchmarks/sdpb_zero_ddisc.py
"""
from __future__ import annotations

import tempfile
import time

from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet, solve_wavelet_sdpb, wavelet_sdpb_problem
from smatrix.cache import cache_dir


def main() -> None:
    print("| Nmax | variables | export s (cache warm) | SDPB s | SDPB value | Clarabel value | violation (60 digits) |")
    print("|---|---|---|---|---|---|---|")
    for nmax in (8, 12):
        cfg = WaveletConfig(nmax=nmax, grid=300)
        t = time.perf_counter()
        hp = wavelet_sdpb_problem("max-c0", None, cfg)
        t_export = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as work:
            r = solve_wavelet_sdpb("max-c0", None, cfg, workdir=work)
        c = solve_wavelet("max-c0", None, cfg)
        cert = r.certificate
        print(f"| {nmax} | {hp.problem.variables} | {t_export:.2f} | {cert['sdpb_seconds']:.1f} | {r.value:.9f} "
              f"| {c.value:.9f} | {cert['max_unitarity_violation']:.1e} |", flush=True)
    print(f"(cache: {cache_dir()})")


if __name__ == "__main__":
    main()
