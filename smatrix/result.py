"""The result contract of the spec README: every bound or amplitude carries its certificate."""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .certificate import Certificate
from .precision import precision_note
from .provenance import provenance

if TYPE_CHECKING:
    from .amplitude import Amplitude

BOUND_KINDS = ("primal (achieved)", "dual (rigorous)", "amplitude")


def config_hash(config: dict[str, Any]) -> str:
    """Stable short hash of a configuration (sorted JSON)."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass
class Result:
    method: str
    model: str
    objective: str
    c0: float | None
    c2: float | None
    value: float | None
    bound_kind: str
    status: str
    certified: bool
    certificate: Certificate | dict[str, Any] | None   # a unitarity certificate is typed (smatrix.certificate)
    solver: str
    seconds: float
    config: dict[str, Any]
    config_hash: str = ""
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=provenance)   # version, git, libraries, host
    amplitude: Amplitude | None = None   # the amplitude of a primal result (S_J(s), T(s, t), plots); never in to_dict

    def __post_init__(self):
        if self.bound_kind not in BOUND_KINDS:
            raise ValueError(f"unknown bound kind {self.bound_kind!r}")
        if "amplitude" in (self.extra or {}):
            raise TypeError("the amplitude of a Result is its `amplitude` field, not extra['amplitude']")
        if not self.config_hash:
            self.config_hash = config_hash(self.config)
        if isinstance(self.certificate, Mapping) and not isinstance(self.certificate, Certificate) \
                and Certificate.describes(self.certificate):
            self.certificate = Certificate.from_dict(self.certificate)   # e.g. {**cert, "key": …} or JSON
        self._mark_precision()

    def _mark_precision(self) -> None:
        """An amplitude evaluated in numpy.longdouble on a platform where it is float64 is marked
        (smatrix.precision): a warning in the certificate and the message."""
        if not getattr(self.amplitude, "uses_longdouble", False) or self.certificate is None \
                or "precision_warning" in self.certificate:
            return
        note = precision_note()
        if note is not None:
            cert = self.certificate.copy()      # the caller's certificate is left as it was
            cert["precision_warning"] = note
            self.certificate = cert
            self.message = f"{self.message}; {note}" if self.message else note

    def __repr__(self) -> str:
        value = "None" if self.value is None else f"{self.value:.10g}"
        return (f"Result({self.method}, {self.model}, {self.objective}, value={value}, "
                f"{self.bound_kind}, status={self.status}, certified={self.certified})")

    @classmethod
    def load(cls, directory: str | Path) -> "Result":
        """A result saved with `save` (or `--out DIR`), with its amplitude or multiplier restored."""
        from .saved import load_result
        return load_result(directory)

    def save(self, directory: str | Path) -> Path:
        """result.json and data.npz (amplitude or multiplier arrays, no pickle) in `directory`."""
        from .saved import save_result
        return save_result(self, directory)

    def to_dict(self) -> dict[str, Any]:
        """The result contract as plain data: the certificate in its JSON form, no amplitude."""
        typed = isinstance(self.certificate, Certificate)
        d = asdict(replace(self, certificate=None if typed else self.certificate, amplitude=None))
        d.pop("amplitude")
        if typed:
            d["certificate"] = self.certificate.to_dict()
        for k in ("c0", "c2", "value"):
            if d[k] is not None:
                d[k] = float(d[k])
        if d["c0"] is not None:
            d["c0_over_pi"] = d["c0"] / math.pi
            d["c0_over_32pi"] = d["c0"] / (32 * math.pi)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=_jsonable)



def _jsonable(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)
