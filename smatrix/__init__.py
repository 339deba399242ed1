"""Physics core of smatrix-bootstrap: kinematics, grids, wavelets, dispersion integrals,
partial waves, amplitudes, results and certification (units m = 1, s + t + u = 4)."""
