"""The methods an almond scan compares: entries of the core registry (smatrix.registry) with what
only the crosscheck needs — almond settings, quick overrides, *stated* tolerances, hot start.

Tolerances: the |gap| to the reference dual bound (dual-sdp) that each method is expected to
reach at its almond settings, |Δ| ≤ tolerance·|reference| + atol (the tip tolerance at max c0);
the agreement verdict (smatrix.crosscheck.report) checks them, it never assumes them. Where they come from
(measured values: docs/crosscheck.md):
- primal-grid (spline elements, 250 nodes, segments in [5.6, 10⁴] split 2×): 1e-4 on the c2
  boundaries (the issue's target; measured ≤ 3e-5 up to c0 = 0.98 c0max), 2e-4 at max c0
  (measured 3.3e-5; the narrow resonance at the tip converges slowest, docs/convergence.md).
- primal-wavelet (Nmax 12, float64): 1e-4, 2e-4 at max c0, as the grid. The SVD truncation at
  1e-13 stalls the float64 ansatz near the tip (max c0 5.3e-4 low, max c2 4.4e-3 low at 0.95
  c0max: docs/convergence.md); where its value is further than 1e-4 from the dual bound of the
  point it solves the spline grid instead and says so (smatrix.sdp.methods.grid_route), so its
  tip and upper boundary above ~0.6 c0max are grid points (`config.route` in the store).
- dual-nn: 0.5 % (the issue's target). Every cold point (the first slice, max c0) starts from the
  SDP dual's multiplier of the point (`start` dual-sdp, docs/nn_dual.md): from scratch the network
  stays 2–6 % short of min c2 at 0.02 c0max; the later slices hot-start from the previous one
  (150 epochs: 9e-7…1.7e-4 from the dual at three slices, 400 epochs 1.3e-6…3.0e-5).
- primal-nn (c2 boundaries only): 1e-4, the primal target; measured ≤ 9.1e-6 on the 10 quick
  slices (the upper boundary a steady 5e-6 below the dual). Its slices run on the hot-start chain
  (150 epochs from the previous slice's network and boundary amplitude; 400 for the quick job's
  cold first slice). Near the tip the square node equations admit a node-to-node sawtooth
  (|S0|² − 1 up to 4e-2 between the 250 bulk nodes); an amplitude failing the dense check is
  re-polished on nodes + midpoints, then on a 2× finer bulk (neural.zero_ddisc_primal
  `_resolved_polishes`), which certifies every quick and 20-slice point (docs/crosscheck.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from smatrix import registry
from smatrix.errors import BadInput
from smatrix.problem import Problem
from smatrix.result import Result

Runner = Callable[[str, "float | None", dict], Result]


class CoreRunner:
    """The almond's picklable `(objective, c0, settings) → Result` of a core registry method: the
    settings are complete (the almond's, on top of the config dataclass, not of the method defaults);
    run options (e.g. the dual-nn `init` / `checkpoint` of the slice chain) pass through."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, objective: str, c0: float | None, settings: dict) -> Result:
        spec = registry.get(self.name)
        fields, options = spec.split(settings)
        return spec.run(Problem.make(objective, c0), spec.make_config(fields, with_defaults=False), **options)

    def __repr__(self) -> str:
        return f"CoreRunner({self.name!r})"


@dataclass(frozen=True)
class Method:
    """A method in the almond: the runner plus what only the crosscheck needs."""

    name: str
    kind: str                        # "primal" (achieved values) | "dual" (rigorous bounds)
    run: Runner
    settings: dict[str, Any]         # almond settings on top of `pinned`
    quick: dict[str, Any]            # `smatrix crosscheck --quick` (cheap) overrides
    tolerance: float                 # stated relative |gap| to the reference dual on the c2 slices
    tip_tolerance: float             # the same at max c0
    atol: float = 0.0                # absolute allowance on top (|Δ| ≤ tolerance·|ref| + atol)
    check_settings: Callable[[dict], None] = field(default=lambda settings: None)
    missing: Callable[[], str | None] = field(default=lambda: None)
    hot: dict[str, Any] | None = None  # slices after the first hot-start from the previous one with these overrides
    objectives: tuple[str, ...] = ("max-c0", "min-c2", "max-c2")   # what the method computes
    pinned: tuple[str, ...] = ()     # settings written out with the core default value (the point keys name them)

    def settings_for(self, quick: bool, overrides: dict | None = None) -> dict[str, Any]:
        base = registry.get(self.name).defaults_resolved() if self.pinned else {}
        merged = {**{k: base[k] for k in self.pinned}, **self.settings, **(self.quick if quick else {}),
                  **(overrides or {})}
        self.check_settings(merged)
        return merged


class _CheckSettings:
    """Settings → the core method's config dataclass (unknown keys, wrong types: bad input)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, settings: dict) -> None:
        spec = registry.get(self.name)
        spec.make_config(spec.split(settings)[0], with_defaults=False)


def _entry(name: str, tolerance: float, tip_tolerance: float, quick: dict | None = None,
           pinned: tuple[str, ...] = (), settings: dict | None = None, **kw) -> Method:
    """A core registry method (its kind and objectives as the core states them) with its almond
    settings, tolerances, quick overrides and hot start."""
    core = registry.get(name)
    return Method(name, core.kind, CoreRunner(name), settings or {}, quick or {}, tolerance=tolerance,
                  tip_tolerance=tip_tolerance, check_settings=_CheckSettings(name), missing=core.missing,
                  objectives=core.objectives, pinned=pinned, **kw)


METHODS: dict[str, Method] = {m.name: m for m in (
    _entry("primal-wavelet", 1e-4, 2e-4, pinned=("nmax", "grid")),
    _entry("primal-grid", 1e-4, 2e-4, pinned=("nodes", "spline", "refine")),
    _entry("dual-sdp", 0.0, 0.0),
    _entry("dual-nn", 5e-3, 5e-3, {"epochs": 400}, settings={"start": "dual-sdp"}, hot={"epochs": 150}),
    _entry("primal-nn", 1e-4, 0.0, {"epochs": 400}, hot={"epochs": 150}),
)}

DEFAULT_METHODS = ("primal-wavelet", "primal-grid", "dual-sdp", "dual-nn", "primal-nn")   # P1's four + the grid
REFERENCE_DUAL = "dual-sdp"


def parse_methods(text: str, registry: dict[str, Method] | None = None) -> list[Method]:
    """'a,b,c' → registry entries, with a clear error for unknown, repeated or unavailable ones."""
    registry = METHODS if registry is None else registry
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise BadInput("`methods` is empty; choose from " + ", ".join(registry))
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise BadInput(f"unknown method {unknown[0]!r}; choose from {', '.join(registry)}")
    if len(set(names)) != len(names):
        raise BadInput(f"a method is listed twice in `methods` {text!r}")
    for n in names:
        reason = registry[n].missing()
        if reason:
            raise BadInput(reason)
    return [registry[n] for n in names]


def parse_overrides(items: list[str] | None, methods: list[Method]) -> dict[str, dict[str, Any]]:
    """--set METHOD.KEY=VALUE (VALUE as JSON when it parses: numbers, true/false, null; else text)."""
    import json
    out: dict[str, dict[str, Any]] = {}
    names = {m.name for m in methods}
    for item in items or []:
        head, sep, raw = item.partition("=")
        method, dot, key = head.partition(".")
        if not sep or not dot or not key:
            raise BadInput(f"`set` expects METHOD.KEY=VALUE, got {item!r}")
        if method not in names:
            raise BadInput(f"`set` {item!r}: method {method!r} is not among `methods` ({', '.join(sorted(names))})")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out.setdefault(method, {})[key] = value
    return out
