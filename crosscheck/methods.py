"""The methods an almond scan compares: one registry entry each, a picklable callable
(objective, c0, settings) → Result plus its almond settings and *stated* tolerances.

Tolerances: the |gap| to the reference dual bound (dual-sdp) that each method is expected to
reach at its almond settings, |Δ| ≤ tolerance·|reference| + atol (the tip tolerance at max c0);
the agreement verdict (smatrix.crosscheck.report) checks them, it never assumes them. Where they come from
(measured values: docs/crosscheck.md):
- primal-grid (spline elements, 250 nodes, segments in [5.6, 10⁴] split 2×): 1e-4 on the c2
  boundaries (the issue's target; measured ≤ 3e-5 up to c0 = 0.98 c0max), 2e-4 at max c0
  (measured 3.3e-5; the narrow resonance at the tip converges slowest, docs/convergence.md).
- primal-wavelet (Nmax 12, float64): the SVD truncation at 1e-13 stalls it (docs/convergence.md):
  max c0 5.3e-4 low (1e-3); the upper boundary near the tip is worst, 4.4e-3 at 0.95 c0max (1e-2).
- dual-nn: 1 % plus 5e-4 absolute. Its target was 0.5 % (docs/nn_dual.md, three points); over
  the 20-slice almond the worst point is min c2 at 0.95 c0max, 5.2e-3 (3000 epochs; 5.9e-5 there
  with 1500 — training is not monotone in epochs near the tip), and its absolute accuracy in c2 is
  ~1e-4…3e-4, which near the origin (c2 → 0 like c0²) is several % relative.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from smatrix.errors import BadInput
from smatrix.result import Result

Runner = Callable[[str, "float | None", dict], Result]


def run_primal_wavelet(objective: str, c0: float | None, settings: dict) -> Result:
    from smatrix.sdp.zero_ddisc_wavelet import WaveletConfig, solve_wavelet
    return solve_wavelet(objective, c0, WaveletConfig(**settings))


def run_primal_grid(objective: str, c0: float | None, settings: dict) -> Result:
    from smatrix.sdp.zero_ddisc_grid import GridConfig, solve_grid
    return solve_grid(objective, c0, GridConfig(**settings))


def run_dual_sdp(objective: str, c0: float | None, settings: dict) -> Result:
    from smatrix.sdp.zero_ddisc_dual import DualConfig, solve_dual
    return solve_dual(objective, c0, DualConfig(**settings))


def run_dual_nn(objective: str, c0: float | None, settings: dict) -> Result:
    """`init` / `checkpoint` (paths) hot-start from and save the network (the almond's slice chain)."""
    from smatrix.neural.zero_ddisc_dual import NNDualConfig, train_dual
    settings = dict(settings)
    init, checkpoint = settings.pop("init", None), settings.pop("checkpoint", None)
    return train_dual(objective, c0, NNDualConfig(**settings), init=init, checkpoint=checkpoint, progress=False)


def run_primal_nn(objective: str, c0: float | None, settings: dict) -> Result:
    from smatrix.neural.zero_ddisc_boundary import BoundaryConfig, boundary_c2
    return boundary_c2(objective, c0, BoundaryConfig(**settings))


def _config_check(module: str, cls: str) -> Callable[[dict], None]:
    """Settings → the method's config dataclass: unknown keys and values of the wrong type (a
    number where the default is a number, a flag where it is a flag) are bad input at once."""
    def check(settings: dict) -> None:
        import dataclasses
        import importlib
        config = getattr(importlib.import_module(module), cls)
        fields = {f.name: f for f in dataclasses.fields(config)}
        for key, value in settings.items():
            if key not in fields:
                raise BadInput(f"unknown setting {key!r} for {cls} (known: {', '.join(fields)})")
            default = fields[key].default
            if default is dataclasses.MISSING or default is None:
                continue
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif isinstance(default, float):
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            else:
                ok = isinstance(value, type(default))
            if not ok:
                raise BadInput(f"setting {key}={value!r}: expected {type(default).__name__} like the default "
                               f"{default!r}")
        try:
            config(**settings)
        except (TypeError, ValueError) as exc:
            raise BadInput(f"bad settings {settings}: {exc}") from None
    return check


@dataclass(frozen=True)
class Method:
    name: str
    kind: str                        # "primal" (achieved values) | "dual" (rigorous bounds)
    run: Runner
    settings: dict[str, Any]         # almond defaults
    quick: dict[str, Any]            # `smatrix crosscheck --quick` (cheap) overrides
    tolerance: float                 # stated relative |gap| to the reference dual on the c2 slices
    tip_tolerance: float             # the same at max c0
    atol: float = 0.0                # absolute allowance on top (|Δ| ≤ tolerance·|ref| + atol)
    check_settings: Callable[[dict], None] = field(default=lambda settings: None)
    missing: Callable[[], str | None] = field(default=lambda: None)
    hot: dict[str, Any] | None = None  # slices after the first hot-start from the previous one with these overrides
    objectives: tuple[str, ...] = ("max-c0", "min-c2", "max-c2")   # what the method computes

    def settings_for(self, quick: bool, overrides: dict | None = None) -> dict[str, Any]:
        merged = {**self.settings, **(self.quick if quick else {}), **(overrides or {})}
        self.check_settings(merged)
        return merged


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("primal-wavelet", "primal", run_primal_wavelet, {"nmax": 12, "grid": 300}, {},
           tolerance=1e-2, tip_tolerance=1e-3,
           check_settings=_config_check("smatrix.sdp.zero_ddisc_wavelet", "WaveletConfig")),
    Method("primal-grid", "primal", run_primal_grid, {"nodes": 250, "spline": True, "refine": 2}, {},
           tolerance=1e-4, tip_tolerance=2e-4,
           check_settings=_config_check("smatrix.sdp.zero_ddisc_grid", "GridConfig")),
    Method("dual-sdp", "dual", run_dual_sdp, {}, {}, tolerance=0.0, tip_tolerance=0.0,
           check_settings=_config_check("smatrix.sdp.zero_ddisc_dual", "DualConfig")),
    Method("dual-nn", "dual", run_dual_nn, {}, {"epochs": 1500},
           tolerance=1e-2, tip_tolerance=5e-3, atol=5e-4,
           check_settings=_config_check("smatrix.neural.zero_ddisc_dual", "NNDualConfig"), hot={"epochs": 400}),
    Method("primal-nn", "primal", run_primal_nn, {}, {}, tolerance=1e-4, tip_tolerance=0.0,
           check_settings=_config_check("smatrix.neural.zero_ddisc_boundary", "BoundaryConfig"),
           objectives=("min-c2", "max-c2")),
)}

DEFAULT_METHODS = ("primal-wavelet", "primal-grid", "dual-sdp", "dual-nn")   # + primal-nn via --methods (slow near the tip)
REFERENCE_DUAL = "dual-sdp"


def parse_methods(text: str, registry: dict[str, Method] | None = None) -> list[Method]:
    """'a,b,c' → registry entries, with a clear error for unknown, repeated or unavailable ones."""
    registry = METHODS if registry is None else registry
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise BadInput("--methods is empty; choose from " + ", ".join(registry))
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise BadInput(f"unknown method {unknown[0]!r}; choose from {', '.join(registry)}")
    if len(set(names)) != len(names):
        raise BadInput(f"a method is listed twice in --methods {text!r}")
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
            raise BadInput(f"--set expects METHOD.KEY=VALUE, got {item!r}")
        if method not in names:
            raise BadInput(f"--set {item!r}: method {method!r} is not among --methods ({', '.join(sorted(names))})")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out.setdefault(method, {})[key] = value
    return out
