"""The problem contract (issue 13): the objective grammar, parsed once, and the `Problem` every
method runs — model, objective, fixed c0 or direction, and constraints such as an injected η
profile. Errors name configuration fields in backquotes (`c0`, `direction`); the command layer
maps them to its flags."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import BadInput

OBJECTIVES = ("max-c0", "min-c0", "max-c2", "min-c2", "direction")
C2_OBJECTIVES = ("min-c2", "max-c2")       # the objectives at a fixed c0
GRAMMAR = "max-c0 | min-c0 | max-c2 | min-c2 | direction A,B"
MODELS = ("zero-ddisc", "full")

_COEFFICIENTS = {"max-c0": (1.0, 0.0), "min-c0": (-1.0, 0.0), "max-c2": (0.0, 1.0), "min-c2": (0.0, -1.0)}


@dataclass(frozen=True)
class Objective:
    """One objective of the grammar `max-c0 | min-c0 | max-c2 | min-c2 | direction A,B`: maximise
    a·c0 + b·c2 with (a, b) = `coefficients` (a minimum is the maximum of the negative)."""

    name: str
    direction: tuple[float, float] | None = None

    @classmethod
    def parse(cls, text: "str | Objective", direction: "tuple[float, float] | None" = None) -> "Objective":
        """`text` is a name of the grammar, or `direction A,B` in one string; `direction` gives
        (A, B) separately (it is ignored by the other objectives, as the command line always did)."""
        if isinstance(text, Objective):
            return text
        head, _, tail = str(text).strip().partition(" ")
        if head not in OBJECTIVES:
            raise BadInput(f"unknown objective {str(text)!r}; choose from {GRAMMAR}")
        if tail:
            if head != "direction":
                raise BadInput(f"unknown objective {str(text)!r}; choose from {GRAMMAR}")
            direction = _pair(tail)
        if head != "direction":
            return cls(head)
        if direction is None or len(direction) != 2 or not all(math.isfinite(float(x)) for x in direction):
            raise BadInput("objective direction needs `direction` A,B (bound on A·c0 + B·c2)")
        if direction[0] == 0 and direction[1] == 0:
            raise BadInput("`direction` must not be (0, 0)")
        return cls(head, (float(direction[0]), float(direction[1])))

    @property
    def fixes_c0(self) -> bool:
        """The c2 objectives are taken at a fixed c0; the others leave c0 free."""
        return self.name in C2_OBJECTIVES

    @property
    def coefficients(self) -> tuple[float, float]:
        """(a, b): the objective maximises a·c0 + b·c2."""
        return self.direction if self.name == "direction" else _COEFFICIENTS[self.name]

    @property
    def quantity(self) -> str | None:
        """The coefficient it bounds ("c0" or "c2"); None for a direction."""
        return None if self.name == "direction" else self.name[-2:]

    @property
    def maximises(self) -> bool:
        return not self.name.startswith("min-")

    def __str__(self) -> str:
        return self.name


def _pair(text: str) -> tuple[float, float]:
    from .numbers import parse_number
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2:
        raise BadInput(f"`direction` expects A,B (two numbers), got {text!r}")
    try:
        return parse_number(parts[0]), parse_number(parts[1])
    except ValueError as exc:
        raise BadInput(f"`direction` {text!r}: {exc}") from None


@dataclass(frozen=True)
class Problem:
    """What a method computes: the model, the objective (None: an amplitude at a fixed c0, with a
    c2 `target` where the method takes one), c0 when fixed, and the constraints on top of
    unitarity (an injected η profile `inelasticity`, read with `eta_extend`; None leaves the
    method's default)."""

    objective: Objective | None
    c0: float | None = None
    model: str = "zero-ddisc"
    inelasticity: str | None = None
    eta_extend: str | None = None
    target: float | None = None

    @classmethod
    def make(cls, objective: "str | Objective | None", c0: float | None = None, *, direction=None,
             model: str = "zero-ddisc", inelasticity: str | None = None, eta_extend: str | None = None,
             target: float | None = None) -> "Problem":
        """The one place where an objective and its c0 are checked together."""
        obj = None if objective is None else Objective.parse(objective, direction)
        if model not in MODELS:
            raise BadInput(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
        if obj is None or obj.fixes_c0:
            if c0 is None:
                raise BadInput(f"{'an amplitude' if obj is None else f'objective {obj}'} needs `c0` "
                               "(a fixed c0, e.g. 28pi)")
            c0 = float(c0)
            if not math.isfinite(c0):
                raise BadInput(f"`c0` must be a finite number, got {c0}")
        elif c0 is not None:
            raise BadInput(f"`c0` is fixed only for min-c2/max-c2; {obj} leaves c0 free")
        if target is not None and obj is not None:
            raise BadInput(f"a c2 `target` is for an amplitude at fixed c0, not for the objective {obj}")
        return cls(obj, c0, model, inelasticity, eta_extend, None if target is None else float(target))

    def require(self, objectives: tuple[str, ...], models: tuple[str, ...], who: str) -> None:
        """Bad input unless `who` computes this objective (none: an amplitude) for this model."""
        name = None if self.objective is None else self.objective.name
        if not objectives and name is not None:
            raise BadInput(f"{who} computes an amplitude at fixed c0 (no objective), not {name}")
        if objectives and name not in objectives:
            raise BadInput(f"{who} computes the objectives {' | '.join(objectives)}, not {name or 'an amplitude'}")
        if self.model not in models:
            raise BadInput(f"{who} runs for the model {', '.join(models)}, not {self.model}")

    def constraint_settings(self) -> dict[str, str]:
        """The constraints as the config fields of the convex methods (`inelasticity`, `eta_extend`)."""
        out = {}
        if self.inelasticity is not None:
            out["inelasticity"] = self.inelasticity
        if self.eta_extend is not None:
            out["eta_extend"] = self.eta_extend
        return out
