"""Re-run the certificate of a result — typically one reloaded from disk (`Result.load`,
`smatrix show DIR`): unitarity re-measured for the amplitude with the same check points as the
original run, or the dual functional D[w] re-evaluated for the multiplier.

Nothing of the stored certificate is reused: the amplitude or multiplier alone is evaluated again,
with the imposed points rebuilt from the configuration.
"""
from __future__ import annotations

import math

import numpy as np

from smatrix.certify import certify_spin0, dense_check_points, spin0_certificate, unitarity_violation
from smatrix.dual import DualDirection, DualGrid, certified_bound, dual_objective, dual_quadrature
from smatrix.errors import BadInput
from smatrix.grids import unitarity_grid
from smatrix.result import Result

from .inelastic import certificate_eta, load_eta0

_PRIMAL_KINDS = ("primal (achieved)", "amplitude")


def recertify(res: Result) -> dict:
    """{"passed", "quantity", "value", "stored"}: the certificate's key number recomputed
    (max |S|² − 1 for an amplitude, the certified bound for a dual multiplier) next to the stored one."""
    if res.value is None:
        raise BadInput(f"{res.method}: the result holds no value ({res.status}); nothing to re-certify")
    if res.bound_kind == "dual (rigorous)":
        return _recertify_dual(res)
    amp = res.amplitude
    if amp is None:
        raise BadInput(f"{res.method}: no amplitude saved with this result")
    cfg, stored = res.config, (res.certificate or {})
    if res.model == "full":
        from .full_wavelet import FullConfig, certify_full
        from smatrix.inelasticity import load_profile
        fields = {k: cfg[k] for k in FullConfig.__dataclass_fields__ if k in cfg}
        config = FullConfig(**fields)
        profile = load_profile(config.inelasticity, config.eta_extend)
        cert, _, _ = certify_full(amp, unitarity_grid(config.grid), config, profile)
        return _primal(cert["max_unitarity_violation"], cert["passed"], stored)
    if res.method == "primal-wavelet" and res.solver == "sdpb" and "coefficients_mp" in res.extra:
        from mpmath import workdps

        from .zero_ddisc_wavelet import _high_precision_violation
        digits = int(cfg.get("digits", 60))
        with workdps(digits):
            worst, _, _ = _high_precision_violation(amp.centres, res.extra["coefficients_mp"],
                                                    unitarity_grid(cfg["grid"]), digits)
        viol = max(worst, 0.0)
        return _primal(viol, viol <= cfg["tolerance"], stored)
    if res.method == "primal-wavelet":
        imposed = unitarity_grid(cfg["grid"])
    elif res.method == "primal-grid":
        from .zero_ddisc_grid import grid_operators
        imposed = grid_operators(cfg["nodes"], cfg["s_switch"], cfg["s_max"], cfg["per_segment"], cfg["spline"],
                                 cfg["refine"]).imposed
    elif res.method.startswith("baseline-"):
        imposed = amp.grid.nodes[1:-1]                   # smatrix.elastic.ElasticProblem.points
        return _primal_cert(certify_spin0(amp, imposed), stored)
    elif res.method == "primal-nn":
        imposed = amp.grid.nodes[1:int(stored["imposed_points"]) + 1]   # UnitarityEquations.points
        pts = dense_check_points(imposed, cfg["check_factor"], cfg["s_check"])
        cert = spin0_certificate(pts, unitarity_violation(amp, pts), cfg["tolerance"], cfg["check_factor"],
                                 int(imposed.size))
        return _primal_cert(cert, stored)
    else:
        raise BadInput(f"no re-certification for method {res.method!r}")
    eta = certificate_eta(load_eta0(cfg.get("inelasticity"), cfg.get("eta_extend", "error")))
    return _primal_cert(certify_spin0(amp, imposed, cfg.get("tolerance", 1e-6), eta=eta), stored)


def _primal_cert(cert, stored: dict) -> dict:
    return _primal(cert.max_unitarity_violation, cert.passed, stored)


def _primal(violation: float, passed: bool, stored: dict) -> dict:
    return {"passed": bool(passed), "quantity": "max_unitarity_violation", "value": float(violation),
            "stored": stored.get("max_unitarity_violation")}


def _recertify_dual(res: Result) -> dict:
    cfg = res.config
    d = DualDirection.from_objective(res.objective, cfg.get("c0"), cfg.get("direction"))
    nu = float(res.extra["nu"])
    if res.method == "dual-sdp":
        from .zero_ddisc_dual import DualConfig, certify_dual
        config = DualConfig(**{k: cfg[k] for k in DualConfig.__dataclass_fields__ if k in cfg})
        cert = certify_dual(config, d, np.asarray(res.extra["coef"], dtype=float), nu)
    elif res.method == "dual-nn":
        w = np.asarray(res.extra["w_nodes"], dtype=float)
        cert = certified_bound(d, lambda q: dual_objective(
            dual_quadrature(float(cfg["cutoff"]), cfg["segments"], cfg["uv_segments"], float(cfg["s_max"]), q),
            w, nu, d.mu), nu, cfg["tolerance"])
    else:
        raise BadInput(f"no re-certification for method {res.method!r}")
    ok = math.isfinite(cert["bound"])
    return {"passed": bool(cert["passed"]) and ok, "quantity": "bound", "value": float(cert["bound"]),
            "stored": res.value}


def dual_multiplier(res: Result, s) -> np.ndarray:
    """w(s) of a dual result (Chebyshev SDP or neural), for plots."""
    s = np.asarray(s, dtype=float)
    cfg = res.config
    if res.method == "dual-sdp":
        from .zero_ddisc_dual import DualConfig, _operators, _Q_SOLVE, chebyshev_basis
        config = DualConfig(**{k: cfg[k] for k in DualConfig.__dataclass_fields__ if k in cfg})
        grid = _operators(config, _Q_SOLVE).grid
        w_nodes = chebyshev_basis(grid, grid.nodes, config.n_cheb) @ np.asarray(res.extra["coef"], dtype=float)
    elif res.method == "dual-nn":
        grid = DualGrid(np.asarray(res.extra["grid_nodes"], dtype=float))
        w_nodes = np.asarray(res.extra["w_nodes"], dtype=float)
    else:
        raise BadInput(f"{res.method}: not a dual result")
    return grid.values(s) @ w_nodes


__all__ = ["recertify", "dual_multiplier"]
