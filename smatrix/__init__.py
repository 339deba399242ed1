"""Physics core of smatrix-bootstrap: kinematics, grids, wavelets, dispersion integrals,
partial waves, amplitudes, results and certification (units m = 1, s + t + u = 4)."""

__version__ = "0.1.0"   # the single source of the version (pyproject.toml reads it)
