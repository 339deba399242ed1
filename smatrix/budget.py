"""Size guards: an estimate of the memory and time a problem needs, checked before it is built.

The estimates are calibrated on measured runs (docs/reliability.md: one core, float64/longdouble
as the solvers use them) and are deliberately rough — within a factor of ~2. A problem whose
memory estimate exceeds what the machine has available is refused (bad input, exit 2) with the
estimate, and so is one estimated to run longer than $SMATRIX_MAX_HOURS (default 12 h); one that
would run long is announced on stderr with its estimated time, so a long silent run is never a
surprise.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .errors import BadInput

GiB = 2.0 ** 30
MEMORY_FRACTION = 0.8      # refuse above this share of the available memory
ANNOUNCE_SECONDS = 30.0    # announce runs estimated to take longer
MAX_HOURS_DEFAULT = 12.0   # refuse runs estimated to take longer ($SMATRIX_MAX_HOURS overrides)


@dataclass(frozen=True)
class Estimate:
    what: str          # e.g. "wavelet primal, Nmax 100 (3143 wavelets, 300 points)"
    bytes: float
    seconds: float
    knob: str          # the config fields to lower, e.g. "`nmax`" (the command layer names its flags)


def available_memory() -> float | None:
    """MemAvailable of /proc/meminfo in bytes (None where unknown)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        return None
    return None


def _max_hours() -> float:
    try:
        return float(os.environ.get("SMATRIX_MAX_HOURS", MAX_HOURS_DEFAULT))
    except ValueError:
        raise BadInput(f"SMATRIX_MAX_HOURS must be a number of hours, got {os.environ['SMATRIX_MAX_HOURS']!r}") from None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def check_size(est: Estimate, available: float | None = None) -> None:
    """Refuse `est` if it would not fit in memory; announce it on stderr if it would run long."""
    available = available_memory() if available is None else available
    if available is not None and est.bytes > MEMORY_FRACTION * available:
        raise BadInput(f"{est.what} needs about {est.bytes / GiB:.1f} GiB (estimate; ~{_duration(est.seconds)}), "
                       f"{available / GiB:.1f} GiB available: lower {est.knob}")
    max_hours = _max_hours()
    if est.seconds > 3600.0 * max_hours:
        raise BadInput(f"{est.what} would take about {_duration(est.seconds)} (estimate; {est.bytes / GiB:.1f} GiB), "
                       f"more than the {max_hours:g} h limit: lower {est.knob} (or raise SMATRIX_MAX_HOURS)")
    if est.seconds > ANNOUNCE_SECONDS:
        print(f"smatrix: {est.what}: about {_duration(est.seconds)} and {est.bytes / GiB:.2g} GiB (estimate); "
              "Ctrl-C stops it", file=sys.stderr, flush=True)


# calibration (docs/reliability.md): measured wall time and peak memory above the interpreter, one core
_WAVELET = {"wavelets": 1161, "grid": 300, "seconds": 10.5, "power": 2.3, "bytes_per_entry": 700.0}  # Nmax 60
_FULL = {"terms": 378, "grid": 300, "spins": 9, "seconds": 15.0}                                     # Nmax 12
_DUAL = {"segments": 400, "seconds": 9.0}                                                            # 800 nodes


def wavelet_estimate(nmax: int, grid: int) -> Estimate:
    """Zero-ddisc ρ-wavelet primal: the (W + 2)² basis map B in extended precision (24 bytes an entry
    with its integer identity), the (2·grid + 2) × W design, QR + SVD; W = |Σ(Nmax)|."""
    from .grids import wavelet_centres
    c, wavelets = _WAVELET, int(wavelet_centres(nmax).size)
    seconds = c["seconds"] * (wavelets / c["wavelets"]) ** c["power"] * (grid / c["grid"])
    return Estimate(f"wavelet primal, Nmax {nmax} ({wavelets} wavelets, {grid} points)",
                    24.0 * (wavelets + 2) ** 2 + c["bytes_per_entry"] * wavelets * grid, seconds, "`nmax` or `grid`")


def full_terms_bound(nmax: int) -> int:
    """Upper bound on the full-model ansatz size: 2 + |Σ(Nmax)| + Σ_k n_k(n_k + 1)/2 (pairs on one
    level θ_k, counted before the duplicates across levels are merged)."""
    from .grids import chebyshev_fractions, wavelet_centres
    return 2 + int(wavelet_centres(nmax).size) + sum(n * (n + 1) // 2 for n in
                                                     (len(chebyshev_fractions(k)) for k in range(1, nmax + 1)))


def full_estimate(nmax: int, grid: int, jmax: int) -> Estimate:
    """Full-model primal: partial-wave rows (spins × grid × terms, complex) and their QR."""
    c, terms, spins = _FULL, full_terms_bound(nmax), jmax // 2 + 1
    rows = spins * grid * terms
    seconds = c["seconds"] * rows / (c["spins"] * c["grid"] * c["terms"])
    return Estimate(f"full-model primal, Nmax {nmax} (≤ {terms} terms, {spins} spins, {grid} points)",
                    4 * 16.0 * rows, seconds, "`nmax`, `jmax` or `grid`")


def dual_estimate(nodes: int) -> Estimate:
    """Dual SDP: kernel matrices at the finest certification quadrature (16 nodes per w-segment,
    nodes/2 segments)."""
    c, segments = _DUAL, max(nodes // 2, 1)
    return Estimate(f"dual SDP with {nodes} positivity nodes", 2 * 8.0 * 16 * segments * segments,
                    c["seconds"] * (segments / c["segments"]) ** 2, "`nodes`")
