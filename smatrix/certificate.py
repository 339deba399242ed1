"""The typed certificate of an amplitude (spec README: a number is clean only when its certificate,
re-measured on a denser grid than the one imposed, passes), for any set of spins.

A `Certificate` holds the headline — max over the spins checked of |S_J|² − 1 (+ η_J where an
inelasticity is imposed) at `check_points` energies, against `tolerance` — the per-spin maxima, the
further `checks` it ran (each a `Check`: value, limit, passed), the refinement rounds that led to it,
and free `details` (nested) and `facts` (top-level keys a method states: solver status, sizes, …).

Its JSON form (`to_dict`, read back by `from_dict`) is flat and stable: the keys
`max_unitarity_violation`, `check_points`, `spins_checked`, `tolerance`, `per_spin_max` (spin → max,
spins as strings), `checks` (the unitarity check first), `passed`, `other_checks_passed`, `details`,
`refinement`, then the facts. The object is also a mutable mapping over that form, so code and
saved files that read `certificate["max_unitarity_violation"]` or add a key keep working; `passed`
and `other_checks_passed` are derived from the checks and cannot be set.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

_CORE = ("max_unitarity_violation", "check_points", "spins_checked", "tolerance", "per_spin_max", "checks",
         "passed", "other_checks_passed", "details", "refinement")
_DERIVED = ("passed", "other_checks_passed", "checks", "per_spin_max")   # JSON forms, set through the fields
UNITARITY = "unitarity"   # name of the headline check in `checks`


@dataclass(frozen=True)
class Check:
    """One condition a certificate re-measured: `value` against `limit` in the sense `sense`
    ("<=": value ≤ limit passes, ">=": value ≥ limit, "": a verdict stated by the check itself)."""

    value: float | None
    limit: float | None
    passed: bool
    sense: str = "<="

    @classmethod
    def at_most(cls, value: float, limit: float) -> "Check":
        """value ≤ limit (a NaN value fails)."""
        return cls(float(value), float(limit), bool(value <= limit), "<=")

    @classmethod
    def at_least(cls, value: float, limit: float) -> "Check":
        """value ≥ limit (a NaN value fails)."""
        return cls(float(value), float(limit), bool(value >= limit), ">=")

    @classmethod
    def stated(cls, passed: bool, value: float | None = None, limit: float | None = None) -> "Check":
        """A verdict that is not one comparison (e.g. the all-spin row with its traced waves)."""
        return cls(None if value is None else float(value), None if limit is None else float(limit),
                   bool(passed), "")

    def to_dict(self) -> dict[str, Any]:
        """{"value", "limit", "sense", "passed"}."""
        return {"value": self.value, "limit": self.limit, "sense": self.sense, "passed": self.passed}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Check":
        """The check of a `to_dict` form."""
        return cls(d.get("value"), d.get("limit"), bool(d["passed"]), d.get("sense", "<="))


@dataclass(eq=False)
class Certificate(MutableMapping):
    """Unitarity of an amplitude re-measured at `check_points` energies for `spins_checked`
    (module docstring). `passed`: the headline within `tolerance` and every further check passed."""

    max_unitarity_violation: float
    check_points: int
    spins_checked: list[int]
    tolerance: float
    per_spin_max: dict[int, float] = field(default_factory=dict)   # max |S_J|² − 1 (+ η_J) per spin
    checks: dict[str, Check] = field(default_factory=dict)         # further checks, by name
    refinement: dict[str, Any] | None = None                       # rounds of smatrix.refine
    details: dict[str, Any] = field(default_factory=dict)          # free details (JSON "details")
    facts: dict[str, Any] = field(default_factory=dict)            # free top-level keys

    # ---- verdict -----------------------------------------------------------------------------------

    @property
    def unitarity(self) -> Check:
        """The headline check: max_unitarity_violation finite and ≤ tolerance."""
        v = self.max_unitarity_violation
        return Check(float(v), float(self.tolerance), bool(math.isfinite(v) and v <= self.tolerance), "<=")

    @property
    def other_checks_passed(self) -> bool:
        return all(c.passed for c in self.checks.values())

    @property
    def passed(self) -> bool:
        return self.unitarity.passed and self.other_checks_passed

    @property
    def failed_checks(self) -> list[str]:
        """Names of the checks that failed, the headline included."""
        all_checks = {UNITARITY: self.unitarity, **self.checks}
        return [name for name, c in all_checks.items() if not c.passed]

    @property
    def worst_spin(self) -> int | None:
        """The spin with the largest violation (None without per-spin maxima)."""
        finite = {J: v for J, v in self.per_spin_max.items() if math.isfinite(v)}
        return max(finite, key=finite.get) if finite else None

    def copy(self) -> "Certificate":
        """An independent copy (details, facts and refinement copied deeply)."""
        return Certificate(self.max_unitarity_violation, self.check_points, list(self.spins_checked),
                           self.tolerance, dict(self.per_spin_max), dict(self.checks),
                           copy.deepcopy(self.refinement), copy.deepcopy(self.details), copy.deepcopy(self.facts))

    # ---- JSON form ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (module docstring): plain data (nested dataclasses as dicts, as
        `dataclasses.asdict` gives them), nothing in it refers back to this object."""
        return asdict(_Plain({key: self[key] for key in self}))["data"]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Certificate":
        """The certificate of a `to_dict` form (or of a saved result written before the checks were
        typed: a failed `other_checks_passed` without `checks` becomes one failed check "other")."""
        checks = {name: Check.from_dict(c) for name, c in (d.get("checks") or {}).items() if name != UNITARITY}
        if "checks" not in d and d.get("other_checks_passed") is False:
            checks["other"] = Check.stated(False)
        cert = cls(max_unitarity_violation=float(d["max_unitarity_violation"]), check_points=int(d["check_points"]),
                   spins_checked=[int(J) for J in d["spins_checked"]], tolerance=float(d["tolerance"]),
                   per_spin_max={int(J): float(v) for J, v in (d.get("per_spin_max") or {}).items()},
                   checks=checks, refinement=copy.deepcopy(d.get("refinement")),
                   details=copy.deepcopy(dict(d.get("details") or {})),
                   facts={k: copy.deepcopy(v) for k, v in d.items() if k not in _CORE})
        if "passed" in d and "checks" in d and bool(d["passed"]) != cert.passed:
            raise ValueError(f"certificate states passed={d['passed']} but its checks give {cert.passed}")
        return cert

    @staticmethod
    def describes(d: Mapping[str, Any]) -> bool:
        """Whether a mapping is the JSON form of a unitarity certificate (a dual certificate is not)."""
        return all(k in d for k in ("max_unitarity_violation", "check_points", "spins_checked", "tolerance"))

    # ---- mapping interface over the JSON form ------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key == "per_spin_max":
            return {str(J): v for J, v in self.per_spin_max.items()}
        if key == "checks":
            return {UNITARITY: self.unitarity.to_dict(), **{k: c.to_dict() for k, c in self.checks.items()}}
        if key in _CORE:
            return getattr(self, key)       # details: the live dict (setdefault("details", {}).update works)
        return self.facts[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key in _DERIVED:
            raise KeyError(f"certificate[{key!r}] is derived from the checks; set the typed field instead")
        if key in _CORE:
            setattr(self, key, value)
        else:
            self.facts[key] = value

    def __delitem__(self, key: str) -> None:
        if key in _CORE:
            raise KeyError(f"certificate[{key!r}] is part of every certificate")
        del self.facts[key]

    def __iter__(self) -> Iterator[str]:
        yield from _CORE
        yield from self.facts

    def __len__(self) -> int:
        return len(_CORE) + len(self.facts)

    def __repr__(self) -> str:
        return (f"Certificate(max_unitarity_violation={self.max_unitarity_violation:.3g}, "
                f"check_points={self.check_points}, spins={self.spins_checked}, tolerance={self.tolerance:g}, "
                f"passed={self.passed}, failed={self.failed_checks})")


@dataclass
class _Plain:
    data: dict[str, Any]


__all__ = ["Certificate", "Check", "UNITARITY"]
