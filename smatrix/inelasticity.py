"""Inelasticity profiles η_J(s) = 1 − |S_J(s)|² (spec README; P2 eqs. 80–81, P1 eqs. 70–71):
the input of |S_J|² ≤ 1 − η_J in the primal SDPs, the output of the inelastic neural primal.

File schema (documented in docs/inelasticity.md):
- JSON: {"schema": "smatrix-inelasticity/1", "s": [s_1 < s_2 < …], "eta": {"0": [...], "2": [...]},
  "meta": {...}}; every η_J list has one value per s.
- NPZ: array `s` and one array `eta_J<J>` per spin (e.g. `eta_J0`, `eta_J2`), optional `meta` (JSON text).
Between the points η is interpolated linearly in log(s − 4). Outside [s_1, s_N] the profile is
not defined unless `extend` says how: "zero" (η = 0), "hold" (the end value), or "auto": zero when
η_J ≤ DECAYED (1e-3, the certificates' η tolerance) at both ends for every spin — the profile has
decayed, as η_J → 0 for s → ∞ and vanishes below s = 16 — and an error otherwise.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BadInput

SCHEMA = "smatrix-inelasticity/1"
EXTEND = ("error", "zero", "hold", "auto")
DECAYED = 1e-3   # "auto" extends with η = 0 only if every η_J is below this at both ends


@dataclass
class InelasticityProfile:
    s: np.ndarray
    eta: dict[int, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    extend: str = "error"

    def __post_init__(self):
        if not isinstance(self.meta, dict):
            raise BadInput(f"inelasticity profile: `meta` must be an object, got {type(self.meta).__name__}")
        self.s = _float_array(self.s, "`s`")
        if self.s.ndim != 1 or self.s.size < 2:
            raise BadInput("inelasticity profile: `s` must be a list of ≥ 2 energies")
        if not np.all(np.isfinite(self.s)) or np.any(self.s <= 4.0) or np.any(np.diff(self.s) <= 0):
            raise BadInput("inelasticity profile: `s` must be finite, above threshold s = 4 and strictly increasing")
        if not self.eta:
            raise BadInput("inelasticity profile: no spins given")
        if self.extend not in EXTEND:
            raise BadInput(f"inelasticity profile: extend must be one of {EXTEND}, got {self.extend!r}")
        clean = {}
        for J, values in self.eta.items():
            J = int(J)
            v = _float_array(values, f"η_{J}")
            if J < 0 or J % 2:
                raise BadInput(f"inelasticity profile: spin {J} — identical scalars have even J ≥ 0 only")
            if v.shape != self.s.shape:
                raise BadInput(f"inelasticity profile: η_{J} has {v.size} values for {self.s.size} energies")
            if not np.all(np.isfinite(v)):
                raise BadInput(f"inelasticity profile: η_{J} is not finite everywhere")
            bad = np.flatnonzero((v < 0) | (v > 1))
            if bad.size:
                k = bad[0]
                raise BadInput(f"inelasticity profile: η_{J}(s = {self.s[k]:.6g}) = {v[k]:.6g} is outside [0, 1]")
            clean[J] = v
        self.eta = dict(sorted(clean.items()))
        if self.extend == "auto":
            decayed = all(v[0] <= DECAYED and v[-1] <= DECAYED for v in clean.values())
            self.extend = "zero" if decayed else "error"

    @property
    def spins(self) -> list[int]:
        return list(self.eta)

    def require_spins(self, spins) -> None:
        """Clear error when a spin the problem needs (every even J ≤ J_min) is missing."""
        missing = [J for J in spins if J not in self.eta]
        if missing:
            raise BadInput(f"inelasticity profile has spins {self.spins} but the problem needs η_J for J = {missing}")

    def covers(self, s) -> np.ndarray:
        """Mask of the energies s where η is defined: all of them unless `extend` is "error",
        else those inside the profile's range [s_1, s_N]."""
        s = np.asarray(s, dtype=float)
        if self.extend != "error":
            return np.ones(s.shape, dtype=bool)
        return (s >= self.s[0]) & (s <= self.s[-1])

    def __call__(self, J: int, s) -> np.ndarray:
        """η_J(s), linear in log(s − 4) between the profile's energies."""
        if J not in self.eta:
            raise BadInput(f"inelasticity profile has no η_{J} (spins {self.spins})")
        s = np.asarray(s, dtype=float)
        outside = (s < self.s[0] * (1 - 1e-12)) | (s > self.s[-1] * (1 + 1e-12))
        if np.any(outside) and self.extend == "error":
            raise BadInput(f"inelasticity profile covers s − 4 ∈ [{self.s[0] - 4:.3g}, {self.s[-1] - 4:.3g}] but is "
                           f"needed on [{s.min() - 4:.3g}, {s.max() - 4:.3g}]; give a wider profile or choose "
                           "extend='zero'/'hold' (CLI: --eta-extend)")
        y = np.log(np.maximum(s, 4.0 + 1e-300) - 4.0)
        v = np.interp(y, np.log(self.s - 4.0), self.eta[J])
        if self.extend == "zero":
            v = np.where(outside, 0.0, v)
        return v

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "s": self.s.tolist(), "eta": {str(J): v.tolist() for J, v in self.eta.items()},
                "meta": self.meta}

    def save(self, path: str | Path) -> Path:
        """JSON or NPZ by the file suffix."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".npz":
            np.savez(path, s=self.s, meta=json.dumps(self.meta), **{f"eta_J{J}": v for J, v in self.eta.items()})
        else:
            path.write_text(json.dumps(self.to_dict()))
        return path


def _float_array(values: Any, what: str) -> np.ndarray:
    """A list of numbers from a file, or a clear BadInput (strings, objects, nested lists, null)."""
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise BadInput(f"inelasticity profile: {what} must be a list of numbers") from None
    if isinstance(values, (str, bytes, dict)) or v.ndim != 1:
        raise BadInput(f"inelasticity profile: {what} must be a flat list of numbers")
    return v


def load_profile(path: str | Path | None, extend: str = "error", spins=()) -> InelasticityProfile | None:
    """The profile at `path` (None: no profile, the elastic problem) with clear errors for unreadable
    or invalid files and for a missing η_J of `spins`: the one loader of every method."""
    if path is None:
        return None
    profile = _read_profile(Path(path), extend)
    profile.require_spins(spins)
    return profile


def _read_profile(path: Path, extend: str) -> InelasticityProfile:
    """Read a profile file (JSON or NPZ, schema above)."""
    if not path.is_file():
        raise BadInput(f"inelasticity file {path} does not exist")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                eta = {int(k[5:]): z[k] for k in z.files if k.startswith("eta_J")}
                meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
                return InelasticityProfile(z["s"], eta, meta, extend)
        data = json.loads(path.read_text())
    except BadInput:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise BadInput(f"cannot read inelasticity file {path}: {exc}") from None
    if not isinstance(data, dict) or "s" not in data or "eta" not in data:
        raise BadInput(f"inelasticity file {path}: expected keys 's' and 'eta' (schema {SCHEMA})")
    if not isinstance(data["eta"], dict):
        raise BadInput(f"inelasticity file {path}: 'eta' must map spins to lists")
    try:
        eta = {int(J): v for J, v in data["eta"].items()}
    except ValueError:
        raise BadInput(f"inelasticity file {path}: spins must be integers, got {list(data['eta'])}") from None
    return InelasticityProfile(data["s"], eta, data.get("meta", {}), extend)


def demo_profile(spins=(0, 2, 4, 6), n: int = 600) -> InelasticityProfile:
    """A synthetic profile for demonstrations and tests (not physics input): η_J(s) =
    4 e^{−J/2} (1 − y)^{2+J} y², y = 16/s: zero below the four-particle threshold s = 16, opening
    more slowly for higher spins, peak η0 = 1/4 at s = 32, decaying like s^{−2}; on s − 4 ∈ [1e-13, 1e17]."""
    s = np.geomspace(4 + 1e-13, 1e17, n)
    y = np.where(s > 16, 16 / s, 1.0)
    return InelasticityProfile(s, {J: 4 * np.exp(-J / 2) * (1 - y) ** (2 + J) * y**2 for J in spins},
                               {"source": "demo_profile"})
