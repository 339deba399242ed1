"""The one method registry (issue 13), used by the command line, the Python API and the crosscheck.

A method is a `MethodSpec`: its name, kind (primal: achieved values; dual: rigorous bounds;
amplitude: an amplitude at a target), the objectives and models it computes, its config dataclass
(the single source of its defaults, with the method's own `defaults` on top) and its runner
`(problem, config, **options) -> Result`. The core names no method package: they register
themselves through the entry-point group `smatrix.methods` (pyproject.toml), each entry a sequence
of specs. Config classes and runners are named "module:attribute" and imported when used, so that
listing the methods imports neither cvxpy nor torch."""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Protocol

from .errors import BadInput
from .problem import Problem
from .result import Result

ENTRY_POINT_GROUP = "smatrix.methods"
KINDS = ("primal", "dual", "amplitude")


class MissingExtra(ModuleNotFoundError):
    """A method whose optional dependency is not installed (torch: the `[neural]` extra)."""


class Method(Protocol):
    """What the command line, the Python API and the crosscheck need of a method."""

    name: str
    kind: str
    objectives: tuple[str, ...]

    def make_config(self, settings: Mapping[str, Any] | None = None, *, with_defaults: bool = True) -> Any: ...

    def run(self, problem: Problem, config: Any = None, **options: Any) -> Result: ...


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class MethodSpec:
    """One registered method (see the module docstring)."""

    name: str
    kind: str
    summary: str
    config: str                                  # "module:ConfigClass"
    runner: str                                  # "module:function", (problem, config, **options) → Result
    objectives: tuple[str, ...] = ("max-c0", "min-c2", "max-c2")
    models: tuple[str, ...] = ("zero-ddisc",)
    defaults: Mapping[str, Any] = field(default_factory=dict)   # over the config dataclass's
    options: tuple[str, ...] = ()                # run options that are not physics (paths, progress, procs)
    requires: str | None = None                  # a module it needs ("torch")
    extra: str | None = None                     # the optional dependency group that installs it

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"method {self.name}: unknown kind {self.kind!r}")

    def missing(self) -> str | None:
        """Why the method cannot run here (its optional dependency is not installed), or None."""
        if self.requires is None:
            return None
        try:
            if importlib.util.find_spec(self.requires) is not None:
                return None
        except (ImportError, ValueError):   # a finder that refuses it: not importable here
            pass
        return (f"method {self.name} needs {self.requires}, installed with the optional extra: "
                f"python -m pip install 'smatrix-bootstrap[{self.extra}]'")

    def config_class(self) -> type:
        reason = self.missing()
        if reason:
            raise MissingExtra(reason, name=self.requires)
        return _load(self.config)

    def defaults_resolved(self) -> dict[str, Any]:
        """Every config field with the value this method runs with by default."""
        return dataclasses.asdict(self.make_config())

    def make_config(self, settings: Mapping[str, Any] | None = None, *, with_defaults: bool = True) -> Any:
        """The config dataclass from `settings` (on top of the method defaults unless not
        `with_defaults`); unknown fields and values of the wrong type are bad input."""
        cls = self.config_class()
        merged = {**(self.defaults if with_defaults else {}), **(settings or {})}
        check_settings(cls, merged)
        return cls(**merged)

    def split(self, settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """settings → (config fields, run options)."""
        options = {k: v for k, v in settings.items() if k in self.options}
        return {k: v for k, v in settings.items() if k not in self.options}, options

    def run(self, problem: Problem, config: Any = None, **options: Any) -> Result:
        """Run on `problem` with `config` (default: the method defaults); `options` as listed."""
        problem.require(self.objectives, self.models, f"method {self.name}")
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise BadInput(f"method {self.name} has no option {unknown[0]!r} (options: {', '.join(self.options)})")
        config = self.make_config() if config is None else config
        return _load(self.runner)(problem, config, **options)


def check_settings(config: type, settings: Mapping[str, Any]) -> None:
    """Unknown keys and values of the wrong type (a number where the default is a number, a flag
    where it is a flag) are bad input at once, naming the field."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    for key, value in settings.items():
        if key not in fields:
            raise BadInput(f"unknown setting {key!r} for {config.__name__} (known: {', '.join(fields)})")
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
        raise BadInput(f"bad settings {dict(settings)}: {exc}") from None


@lru_cache(maxsize=1)
def registry() -> dict[str, MethodSpec]:
    """Every registered method by name: primal, dual, amplitude, each in registration order."""
    from importlib.metadata import entry_points
    found: dict[str, MethodSpec] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        for spec in ep.load():
            if spec.name in found:
                raise RuntimeError(f"method {spec.name} is registered twice ({ep.value})")
            found[spec.name] = spec
    order = {kind: i for i, kind in enumerate(KINDS)}
    found = dict(sorted(found.items(), key=lambda kv: order[kv[1].kind]))   # stable: primal, dual, amplitude
    if not found:
        raise RuntimeError(f"no methods registered in the entry-point group {ENTRY_POINT_GROUP!r}: "
                           "reinstall the package (python -m pip install -e .); a stale smatrix_bootstrap.egg-info "
                           "folder on sys.path (e.g. in the source tree) hides the installed metadata: delete it")
    return found


def get(name: str) -> MethodSpec:
    """The method called `name`; bad input naming the known ones otherwise."""
    methods = registry()
    if name not in methods:
        raise BadInput(f"unknown `method` {name!r}; choose from {', '.join(methods)}")
    return methods[name]


def specs(kind: str | None = None) -> list[MethodSpec]:
    """The registered methods (of one kind)."""
    return [m for m in registry().values() if kind is None or m.kind == kind]

