"""What a formulation hands to a back-end (`smatrix.sdp.backends`): `ProblemData`, the problem in the
forms the back-ends read — a parametrised cvxpy problem (Clarabel, SCS) and/or an SDPB problem
built at high precision — and the unitarity problem of the primal formulations written once.

The cvxpy form is a `ParametricProblem`: a structure key, a builder of the problem with c0 and the
objective direction as cvxpy `Parameter`s, and this point's parameter values. The back-end compiles a
structure once and re-solves it with new values, and a single solve goes through the same path, so a
point's solver data never depends on what was solved before it (smatrix.sdp.backends).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import mpmath as mp
import numpy as np

from .objectives import c2_scale
from .reductions import ExactDigits, FixedC0Chart, UnitarityRows
from .sdpb import SDPBProblem, unitarity_blocks

if TYPE_CHECKING:     # cvxpy is imported where a cvxpy form is built (the dense CVXOPT path needs none)
    import cvxpy as cp


@dataclass
class Compiled:
    """A cvxpy problem with named Parameters and named outputs (expressions read after a solve)."""

    problem: cp.Problem
    parameters: dict[str, cp.Parameter]
    outputs: dict[str, cp.Expression]


@dataclass(frozen=True)
class ParametricProblem:
    """`build()` makes the problem of structure `key`; `values` are this point's parameter values;
    the reported objective is `sign` × the solver's (−1 where a maximum is solved as a minimum)."""

    key: tuple
    build: Callable[[], Compiled]
    values: dict[str, float] = field(default_factory=dict)
    sign: float = 1.0


@dataclass(frozen=True)
class SDPBForm:
    """An SDPB problem and `back(SDPBResult) -> dict` mapping its y to the formulation's outputs
    ("value" the objective in the formulation's convention)."""

    problem: SDPBProblem
    back: Callable[[Any], dict]


@dataclass(frozen=True)
class ConeLP:
    """min c·x subject to G x + s = h, s ∈ R₊^l × SOC(3)^q (CVXOPT's standard form, dense G) and
    A x = b; the reported objective is `sign` × c·x; `outputs[name]` = rows @ x (a matrix, or a
    vector for a number) are the formulation's named values."""

    c: np.ndarray
    G: np.ndarray
    h: np.ndarray
    linear: int
    cones: int
    A: np.ndarray | None = None
    b: np.ndarray | None = None
    sign: float = 1.0
    outputs: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ProblemData:
    """One problem for any back-end: `cvxpy` for Clarabel and SCS, `sdpb(digits)` (None: the
    formulation's default digits) for SDPB, `cone` (dense matrices) for CVXOPT; a form left None is
    not available for this formulation."""

    name: str
    cvxpy: ParametricProblem | None = None
    sdpb: Callable[[int | None], SDPBForm] | None = None
    cone: ConeLP | None = None


def array_key(*arrays) -> str:
    """SHA-1 of the arrays' bytes, shapes and dtypes (numbers and None included): the identity of
    the constant data of a compiled problem."""
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a if a is not None else np.nan, dtype=float))
        h.update(f"{a.shape}{a.dtype}|".encode() + a.tobytes())
    return h.hexdigest()


def objective_values(objective: str, c0: float | None, scaled: bool = False) -> tuple[dict[str, float], float]:
    """Parameter values and sign of `fixed_c0_objective`: the weight w of min w·c2 (±1, or
    ±1/c2_scale(c0) when `scaled`: the solver's absolute gap is then relative in c2, see
    smatrix.sdp.objectives.c2_scale) and the fixed c0; max-c0 has none."""
    if objective == "max-c0":
        return {}, 1.0
    sign = -1.0 if objective == "max-c2" else 1.0
    weight = 1.0 / c2_scale(c0) if scaled else 1.0
    return {"weight": sign * weight, "c0": float(c0)}, sign


def fixed_c0_objective(objective: str, c0_expr, c2_expr):
    """(objective, constraints, parameters): max c0, or min w·c2 with c0_expr = c0 (both Parameters)."""
    import cvxpy as cp
    if objective == "max-c0":
        return cp.Maximize(c0_expr), [], {}
    params = {"weight": cp.Parameter(), "c0": cp.Parameter()}
    return cp.Minimize(params["weight"] * c2_expr), [c0_expr == params["c0"]], params


def unitarity_socp(rows: UnitarityRows, objective: str, c0: float | None, scaled: bool = False) -> ParametricProblem:
    """The primal SOCP: extremise c0 or c2 subject to |S_k| ≤ r_k (and the variable bounds).

    Plain cone (no `scale`): ‖(1 + Re S − 1, Im S)‖ ≤ r. Balanced cone (`scale` λ from
    RowBalancing, radius² = 1 − η): |d|² ≤ x·1 with d = S − 1, x = −2 Re d − η, as
        ‖(2d/√λ, x/λ − 1)‖ ≤ x/λ + 1.
    In the plain form the slack is ~|d| next to 1, which double precision cannot resolve for the tiny
    high-spin waves near threshold (f_J ~ (s − 4)^J); balanced, the slack and the cone are of the same
    size for every row."""
    free = objective == "max-c0"
    key = ("unitarity", free, scaled, rows.scale is not None, rows.bounds,
           array_key(rows.re_S1, rows.im_S, rows.c0_row, rows.c2_row, rows.radius, rows.eta, rows.scale))

    def build() -> Compiled:
        import cvxpy as cp
        x = cp.Variable(rows.n)
        if rows.scale is None:
            cone = cp.SOC(rows.radius, cp.vstack([1.0 + rows.re_S1 @ x, rows.im_S @ x]), axis=0)
        else:
            lam, m = rows.scale, rows.m
            eta = np.zeros(m) if rows.eta is None else np.asarray(rows.eta, dtype=float)
            slack = ((-2 * rows.re_S1 / lam[:, None]) @ x) - eta / lam
            d = cp.vstack([(2 * rows.re_S1 / np.sqrt(lam)[:, None]) @ x, (2 * rows.im_S / np.sqrt(lam)[:, None]) @ x])
            cone = cp.SOC(slack + 1, cp.vstack([d, cp.reshape(slack - 1, (1, m), order="C")]), axis=0)
        c0_expr, c2_expr = rows.c0_row @ x, rows.c2_row @ x
        obj, fix, params = fixed_c0_objective(objective, c0_expr, c2_expr)
        boxes = [c for k, lo, hi in rows.bounds for c in (x[k] >= lo, x[k] <= hi)]
        return Compiled(cp.Problem(obj, [cone, *boxes, *fix]), params, {"x": x, "c0": c0_expr, "c2": c2_expr})

    values, sign = objective_values(objective, c0, scaled)
    return ParametricProblem(key, build, values, sign)


def unitarity_cone(rows: UnitarityRows, objective: str, c0: float | None, scaled: bool = False) -> ConeLP:
    """The plain-cone primal SOCP of `unitarity_socp` as dense matrices: the box rows first, then one
    3-cone (r_k, 1 + Re(S − 1)_k, Im S_k) per unitarity row."""
    if rows.scale is not None:
        raise ValueError("the dense cone form is written for the plain cone (no row balancing)")
    m, n = rows.m, rows.n
    G, h = np.zeros((2 * len(rows.bounds) + 3 * m, n)), np.zeros(2 * len(rows.bounds) + 3 * m)
    for i, (k, lo, hi) in enumerate(rows.bounds):            # −x_k ≤ −lo, x_k ≤ hi
        G[2 * i, k], h[2 * i], G[2 * i + 1, k], h[2 * i + 1] = -1.0, -lo, 1.0, hi
    first = 2 * len(rows.bounds) + 3 * np.arange(m)
    h[first] = np.broadcast_to(np.asarray(rows.radius, dtype=float), (m,))
    G[first + 1], h[first + 1] = -rows.re_S1, 1.0
    G[first + 2] = -rows.im_S
    values, sign = objective_values(objective, c0, scaled)
    outputs = {"x": np.eye(n), "c0": rows.c0_row, "c2": rows.c2_row}
    if objective == "max-c0":
        return ConeLP(-rows.c0_row, G, h, 2 * len(rows.bounds), m, sign=-1.0, outputs=outputs)
    return ConeLP(values["weight"] * rows.c2_row, G, h, 2 * len(rows.bounds), m,
                  A=rows.c0_row[None, :], b=np.array([values["c0"]]), sign=sign, outputs=outputs)


def unitarity_sdpb(rows: UnitarityRows, objective: str, digits: int, meta: dict, chart: tuple | None = None) -> SDPBProblem:
    """|S_k| ≤ sqrt(1 − η_k) as 2×2 blocks for SDPB; `rows` affine in y (FixedC0Chart applied:
    mpmath entries, constant column first); the variable bounds as 1×1 blocks (they need the
    `chart` (g0, G) of x = g0 + G y)."""
    with mp.workdps(digits):
        target = {"max-c0": rows.c0_row, "max-c2": rows.c2_row, "min-c2": -rows.c2_row}[objective]
        radius = None if rows.eta is None else np.array([mp.sqrt(1 - e) for e in rows.eta], dtype=object)
        blocks = list(unitarity_blocks(rows.re_S1, rows.im_S, radius))
        for k, lo, hi in rows.bounds:                       # lo ≤ x_k ≤ hi
            x_k = np.concatenate([[chart[0][k]], chart[1][k]])
            blocks += [(x_k - np.eye(x_k.size, dtype=int)[0] * mp.mpf(lo)).reshape(-1, 1, 1),
                       (np.eye(x_k.size, dtype=int)[0] * mp.mpf(hi) - x_k).reshape(-1, 1, 1)]
        return SDPBProblem(objective=list(target), blocks=blocks, digits=digits, meta=meta)


def unitarity_sdpb_form(rows: UnitarityRows, objective: str, c0: float | None, digits: int, meta: dict) -> SDPBForm:
    """The float64 unitarity problem for SDPB (entries converted exactly, c0 fixed by the chart);
    `back` gives x, c0, c2 and the value in double precision, as the cvxpy form's outputs."""
    exact, _ = ExactDigits(digits).apply(rows)
    chart = FixedC0Chart(c0, digits)
    affine, inverse = chart.apply(exact)
    problem = unitarity_sdpb(affine, objective, digits, meta, inverse)

    def back(res) -> dict:
        with mp.workdps(digits):
            x = chart.invert(res.y, inverse)
            c0v, c2v = float(exact.c0_row @ x), float(exact.c2_row @ x)
        return {"x": np.array([float(v) for v in x]), "c0": c0v, "c2": c2v,
                "value": c0v if objective == "max-c0" else c2v}
    return SDPBForm(problem, back)
