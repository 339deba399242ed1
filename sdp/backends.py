"""The convex back-ends behind one interface: `Backend.solve(ProblemData) -> Solution`.

- `CvxpyBackend` (Clarabel, SCS): the problem's parametrised cvxpy form is compiled once per
  structure (`ParametricProblem.key`) and kept (a small LRU); each solve sets the Parameter values
  (c0, the objective direction) and solves with warm starts off. Every solve — a single CLI point as
  much as an almond slice — goes through that path, so the solver receives the same data for a point
  whether its problem was compiled for it or reused from another point: the results are bit-identical
  (tests/test_backends.py). (Mixing a parameter-free compile for single points with a Parameter-
  compiled one for scans moved bounds by ~1e-9 between a fresh and a resumed run.)
- `CvxoptBackend`: the problem's dense cone form (`ConeLP`) by CVXOPT's `conelp` with its dense
  Cholesky KKT solver: nothing to compile, and on the grid primal (2000 cone rows × 355 dense
  columns) 4–8× faster than Clarabel's sparse LDL of the same data and closer to the optimum
  (benchmarks/backends.md). A solve that the Cholesky path ends short of its tolerances is
  repeated with CVXOPT's QR path, then handed to Clarabel (the cvxpy form); the Solution says so.
- `SDPBBackend`: the problem's SDPB form (built at high precision by the formulation) is written,
  run by the installed SDPB (smatrix.sdp.sdpb.run_sdpb) and parsed; y is mapped back by the form.

`backend(name)` gives the back-end of `--solver clarabel|scs|cvxopt|sdpb`.
"""
from __future__ import annotations

import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .problems import Compiled, ConeLP, ParametricProblem, ProblemData
from .sdpb import checkpoint_reuse, run_sdpb

if TYPE_CHECKING:     # imported by the cvxpy back-end when it solves (smatrix.sdp.problems)
    import cvxpy as cp

SOLVERS = ("clarabel", "scs", "cvxopt", "sdpb")


class SolverUnavailable(RuntimeError):
    """The requested back-end is not installed, or cannot read this formulation."""


@dataclass
class Solution:
    """status: optimal | optimal_inaccurate | infeasible | unbounded | failed | "sdpb: <reason>";
    `outputs` the formulation's named values (variables, expressions; SDPB: what its form maps y
    to); `raw` the back-end's own result (SDPB: its SDPBResult)."""

    status: str
    value: float | None
    seconds: float
    iterations: int | None
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    raw: Any = None

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "optimal_inaccurate")


_CVXPY_NAMES = {"clarabel": "CLARABEL", "scs": "SCS"}     # cvxpy's solver names
_OPTIONS = {
    "clarabel": {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "max_iter": 400},
    "scs": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
}
_RETRY_OPTIONS = {"clarabel": {"static_regularization_constant": 1e-7}}
_STATUS = {"optimal": "optimal", "optimal_inaccurate": "optimal_inaccurate",
           "infeasible": "infeasible", "infeasible_inaccurate": "infeasible",
           "unbounded": "unbounded", "unbounded_inaccurate": "unbounded"}
_COMPILED: OrderedDict[tuple, Compiled] = OrderedDict()
COMPILED_KEPT = 8


def compiled(p: ParametricProblem) -> Compiled:
    """The compiled problem of structure `p.key` (built on first use, kept for `COMPILED_KEPT` structures)."""
    if p.key in _COMPILED:
        _COMPILED.move_to_end(p.key)
        return _COMPILED[p.key]
    c = _COMPILED[p.key] = p.build()
    while len(_COMPILED) > COMPILED_KEPT:
        _COMPILED.popitem(last=False)
    return c


def clear_compiled() -> None:
    """Forget every compiled problem (the next solve of each structure compiles afresh)."""
    _COMPILED.clear()


class Backend:
    """A convex solver: `solve(data)` reads the form of `data` it understands (SolverUnavailable if
    there is none) and returns a Solution."""

    name: str

    def solve(self, data: ProblemData) -> Solution:
        raise NotImplementedError


@dataclass
class CvxpyBackend(Backend):
    """Clarabel or SCS through cvxpy; a numerical breakdown of Clarabel is retried once with stronger
    regularisation; never raises for solver-side failures (status 'failed')."""

    name: str = "clarabel"
    verbose: bool = False

    def solve(self, data: ProblemData) -> Solution:
        if data.cvxpy is None:
            raise SolverUnavailable(f"{data.name} has no cvxpy form: use `solver` sdpb")
        import cvxpy as cp
        if _CVXPY_NAMES[self.name] not in cp.installed_solvers():
            raise SolverUnavailable(f"solver {self.name!r} is not installed (pip install {self.name})")
        t0 = time.perf_counter()
        c = compiled(data.cvxpy)
        for name, value in data.cvxpy.values.items():
            c.parameters[name].value = value
        status, msg = self._attempt(c.problem, _OPTIONS[self.name])
        if status == "failed" and self.name in _RETRY_OPTIONS:   # numerical breakdown: once more, regularised
            status, msg = self._attempt(c.problem, {**_OPTIONS[self.name], **_RETRY_OPTIONS[self.name]})
            msg = msg and f"{msg} (also after a retry with stronger regularisation)"
        seconds = time.perf_counter() - t0
        stats = c.problem.solver_stats
        iters = getattr(stats, "num_iters", None) if stats else None
        status = _STATUS.get(status, "failed")
        value = data.cvxpy.sign * c.problem.value if status in ("optimal", "optimal_inaccurate") else None
        if value is not None and not np.isfinite(value):
            status, value, msg = "failed", None, "solver returned a non-finite objective"
        outputs = {k: e.value for k, e in c.outputs.items()} if value is not None else {}
        return Solution(status, value, seconds, iters, msg, outputs)

    def _attempt(self, problem: cp.Problem, options: dict) -> tuple[str, str]:
        import cvxpy as cp
        try:
            with warnings.catch_warnings():  # an inaccurate solve is reported in the status instead
                warnings.simplefilter("ignore", UserWarning)
                problem.solve(solver=_CVXPY_NAMES[self.name], verbose=self.verbose, warm_start=False, **options)
            return problem.status, ""
        except cp.error.SolverError as exc:
            return "failed", f"solver error: {exc}"


_CVXOPT_STATUS = {"optimal": "optimal", "primal infeasible": "infeasible", "dual infeasible": "unbounded"}
# gaps (the objective is scaled to O(1), problems.py) and residuals; two steps of iterative
# refinement (with one, 2 of 11 almond grid points stalled near a gap of 3e-8 while the dual
# residual grew: Cholesky of the ill-conditioned normal matrix); 1 of 11 still needs QR
CVXOPT_OPTIONS = {"abstol": 1e-8, "reltol": 1e-8, "feastol": 1e-8, "refinement": 2}
CVXOPT_KKT = ("chol", "qr")     # dense Cholesky of the normal equations; QR (2.4× dearer, stabler) next


@dataclass
class CvxoptBackend(Backend):
    """CVXOPT's `conelp` on the dense cone form: Cholesky KKT, QR when that stops short, Clarabel
    (the cvxpy form) when both do; the Solution's message says which one solved it."""

    name: str = "cvxopt"
    max_iterations: int = 200

    def solve(self, data: ProblemData) -> Solution:
        if data.cone is None:
            raise SolverUnavailable(f"{data.name} has no dense cone form (so far): use `solver` clarabel")
        try:
            from cvxopt import matrix, solvers
        except ImportError as exc:
            raise SolverUnavailable("solver 'cvxopt' is not installed (pip install cvxopt)") from exc
        p: ConeLP = data.cone
        t0 = time.perf_counter()
        opts = {**CVXOPT_OPTIONS, "show_progress": False, "maxiters": self.max_iterations}
        eq = {} if p.A is None else {"A": matrix(p.A), "b": matrix(p.b)}
        notes = []
        for kkt in CVXOPT_KKT:
            try:
                sol = solvers.conelp(matrix(p.c), matrix(p.G), matrix(p.h), {"l": p.linear, "q": [3] * p.cones, "s": []},
                                     kktsolver=kkt, options=opts, **eq)
            except (ArithmeticError, ValueError) as exc:   # a singular KKT system
                notes.append(f"CVXOPT ({kkt}): {exc}")
                continue
            status = _CVXOPT_STATUS.get(sol["status"], "failed")
            if status != "failed":
                break
            notes.append(f"CVXOPT ({kkt}) ended with status {sol['status']!r} after {sol['iterations']} iterations")
        else:
            status, sol = "failed", None
        note = "; ".join(notes)
        if status == "failed" and data.cvxpy is not None:
            fallback = CvxpyBackend("clarabel").solve(data)
            fallback.message = f"{note}; solved by clarabel instead" + (f" ({fallback.message})" if fallback.message else "")
            fallback.seconds = time.perf_counter() - t0
            return fallback
        seconds = time.perf_counter() - t0
        if status != "optimal":
            return Solution(status, None, seconds, sol and sol["iterations"], note if status == "failed" else "")
        x = np.array(sol["x"]).ravel()
        outputs = {k: rows @ x for k, rows in p.outputs.items()}
        return Solution("optimal", p.sign * float(p.c @ x), seconds, sol["iterations"],
                        f"{note}; solved by CVXOPT (qr)" if notes else "", outputs, sol)


@dataclass
class SDPBBackend(Backend):
    """The installed SDPB on the problem's high-precision form: `digits` (None: the formulation's
    default), `procs` MPI ranks (SDPB ≥ 2.7), `checkpoint` (smatrix.sdp.sdpb.checkpoint_reuse),
    `workdir` to keep the files, `options` SDPB's own; SDPBError when SDPB is missing or fails."""

    name: str = "sdpb"
    digits: int | None = None
    timeout: float = 600.0
    procs: int = 1
    checkpoint: str | None = None
    workdir: str | None = None
    options: dict | None = None

    def solve(self, data: ProblemData) -> Solution:
        if data.sdpb is None:
            raise SolverUnavailable(f"{data.name} has no SDPB form (so far): use `solver` clarabel or scs")
        t0 = time.perf_counter()
        form = data.sdpb(self.digits)
        export_seconds = time.perf_counter() - t0
        res = run_sdpb(form.problem, workdir=self.workdir, timeout=self.timeout, options=self.options,
                       procs=self.procs, **checkpoint_reuse(self.checkpoint))
        outputs = {**form.back(res), "problem": form.problem, "export_seconds": export_seconds}
        status = "optimal" if res.optimal else f"sdpb: {res.terminate_reason}"
        return Solution(status, outputs.get("value"), res.seconds, None,
                        "" if res.optimal else f"SDPB stopped: {res.terminate_reason}", outputs, res)


def backend(name: str | Backend, **sdpb_options) -> Backend:
    """The back-end of `--solver name` (a Backend is passed through); `sdpb_options` configure SDPB."""
    if isinstance(name, Backend):
        return name
    if name == "sdpb":
        return SDPBBackend(**sdpb_options)
    if name in _CVXPY_NAMES or name == "cvxopt":
        if sdpb_options:
            raise ValueError(f"SDPB options {sorted(sdpb_options)} given for solver {name!r}")
        return CvxoptBackend() if name == "cvxopt" else CvxpyBackend(name)
    raise SolverUnavailable(f"solver {name!r} is not a back-end here (choose from {', '.join(SOLVERS)})")
