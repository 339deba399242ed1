"""Physics core of smatrix-bootstrap: kinematics, grids, wavelets, dispersion integrals,
partial waves, amplitudes, results and certification (units m = 1, s + t + u = 4).

The Python API (smatrix.api, loaded on first use so that `import smatrix` stays light and torch-free):
`bound`, `find_amplitude`, `run`, `methods`, and the contract types `Problem`, `Objective`, `Result`."""

__version__ = "0.1.0"   # the single source of the version (pyproject.toml reads it)

_LAZY = {"bound": "api", "find_amplitude": "api", "run": "api", "methods": "api", "Problem": "problem",
         "Objective": "problem", "Result": "result", "BadInput": "errors"}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
