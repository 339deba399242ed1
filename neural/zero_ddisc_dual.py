"""Neural dual optimizer of the zero-ddisc model (P1 §4.1, eqs. (42)–(52), (78)–(81)).

The analyticity multiplier is a network of x = 4/s (6 layer blocks of width 64, CELU, Kaiming
init), with the threshold zero and the UV decay built in (eq. 51, adapted):

    w(s) = W · sqrt(1 − x) · x^a · NN_θ(x),

sqrt(1 − x) = ϱ(s) because the optimal multipliers vanish like ϱ at threshold (eq. 43), and
x^a (a = 1.5) makes ∫w converge. w is evaluated at the nodes of the shared piecewise-linear dual
grid (smatrix.dual: threshold, bulk and Regge regions) and the loss is the **nonlinear optimal
dual objective** D[w] (eq. 47/81) on the same quadrature as the SDP (~900 points), in float64.
Every D is a rigorous bound, so training only improves it. After training the bound is
re-evaluated with independent, denser quadrature (smatrix.dual.certified_bound): that value,
not the loss, is reported.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from smatrix.dual import DualDirection, DualGrid, certified_bound, dual_objective, dual_quadrature
from smatrix.errors import BadInput
from smatrix.outputs import check_output_file
from smatrix.kinematics import phase_space
from smatrix.result import Result
from smatrix.status import CONVERGED, FAILED

from .blocks import celu_blocks, output_layer
from .checkpoint import load_checkpoint, save_checkpoint
from .training import BestState, Progress, Schedule, adam_epochs, keep_best, lbfgs_finish

NN_DUAL_OBJECTIVES = ("max-c0", "max-c2", "min-c2")
_Q_TRAIN = 2
CHECKPOINT_KIND = "dual-nn"
_NOT_IN_RESUME_KEY = ("checkpoint_every", "tolerance")     # bookkeeping and the certificate after training


@dataclass(frozen=True)
class NNDualConfig:
    cutoff: float = 1e5
    segments: int = 300          # w-grid segments on [4, Λ] (plus geometric splits at large s)
    uv_segments: int = 150
    s_max: float = 1e16
    depth: int = 6
    width: int = 64
    power: float = 1.5           # a in x^a
    scale: float | None = None   # W; None: 100 for max-c0, 1 for the c2 objectives
    epochs: int = 3000
    lr: float = 1e-3
    lbfgs_steps: int = 300       # L-BFGS finish after Adam (0: off)
    sum_rule: bool = True
    seed: int = 0
    checkpoint_every: int = 500
    tolerance: float = 1e-6
    start: str = "scratch"       # "dual-sdp": first fit w to the SDP dual's multiplier at this point (no `init`)
    fit_steps: int = 1000        # Adam steps of that fit (then an L-BFGS finish of as many)


class DualNet(torch.nn.Module):
    """x ↦ NN_θ(x): `depth` blocks Linear + CELU of constant `width`, then a linear output."""

    def __init__(self, depth: int, width: int, start: float):
        super().__init__()
        blocks = celu_blocks(2, width, depth)
        # max-c0 starts from w ∝ ϱ x^a > 0, so ∫w > 0
        self.body = torch.nn.Sequential(*blocks, output_layer(width, bias=start))

    def forward(self, x):
        # inputs x and log(x)/10 (as P2's primal network): x alone squeezes the Regge region,
        # where the sum-rule multiplier does its work, into x < 10⁻³
        return self.body(torch.stack([x, torch.log(x) / 10], dim=1))[:, 0]


class _SumRuleWeight(torch.nn.Module):
    """The raw parameter of ν ≥ 0, the weight of the sum rule (ν = 10 softplus(param))."""

    def __init__(self):
        super().__init__()
        self.param = torch.nn.Parameter(torch.tensor(0.0, dtype=torch.float64))


class _Problem:
    """Float64 torch tensors of one quadrature level and the loss/bound of eq. (47)/(81)."""

    def __init__(self, config: NNDualConfig, d: DualDirection, q: int):
        self.quad = dual_quadrature(float(config.cutoff), config.segments, config.uv_segments,
                                    float(config.s_max), q)
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=float))
        nodes = self.quad.grid.nodes
        self.x = t(4.0 / nodes)
        self.envelope = t(_scale(config, d) * np.sqrt(1.0 - 4.0 / nodes) * (4.0 / nodes) ** config.power)
        self.int_row = t(self.quad.grid.integral_row / (16 * np.pi))
        self.W_ir = t(self.quad.W_ir)
        self.F_ir, self.F_uv = self.quad.F_ir.converted(t), self.quad.F_uv.converted(t)   # eq. (80)
        self.q_ir, self.q_uv = t(self.quad.q_ir), t(self.quad.q_uv)
        self.inv_rho = t(1.0 / phase_space(self.quad.s_ir))
        self.d = d

    def w_nodes(self, net, nu_param):
        return self.envelope * net(self.x)

    def loss(self, w, nu):
        F_ir, F_uv = self.F_ir(w, nu, self.d.mu), self.F_uv(w, nu, self.d.mu)
        r = (self.W_ir @ w) * self.inv_rho
        D = self.q_ir @ (torch.sqrt(F_ir**2 + r**2 + 1e-300) - F_ir) + 2 * self.q_uv @ torch.relu(-F_uv)
        int_w = self.int_row @ w
        d = self.d
        if d.c0_fixed is not None:                   # vertical scan: −κ c̄0 + D bounds b·c2 (eq. 81)
            return -(int_w - nu - d.a) * d.c0_fixed + D
        a = (int_w - nu) * np.sign(d.a)              # c0 coefficient certified by (w, ν)
        return torch.where(a > 0, D / torch.clamp(a, min=1e-12), 1e3 * (1 - a) + D)


def fit_multiplier(net, nu_weight, prob: _Problem, multiplier: dict, steps: int) -> float:
    """Fit w_θ at the training grid's nodes to `multiplier` (w linear between its `grid_nodes`) by
    Adam then L-BFGS on the mean squared difference relative to max |w|, and set ν; returns the
    relative rms misfit."""
    nodes = prob.quad.grid.nodes
    target = torch.as_tensor(DualGrid(np.asarray(multiplier["grid_nodes"], dtype=float)).values(nodes)
                             @ np.asarray(multiplier["w_nodes"], dtype=float))
    scale = float(target.abs().max()) or 1.0
    with torch.no_grad():      # ν = 10 softplus(param) (a vanishing ν: param → −∞, kept finite)
        nu_weight.param.fill_(math.log(math.expm1(max(float(multiplier["nu"]), 1e-12) / 10.0)))
    misfit = lambda: (((prob.w_nodes(net, None) - target) / scale) ** 2).mean()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        misfit().backward()
        opt.step()
    best = BestState()
    with torch.no_grad():
        best.update(float(misfit()), 0, {"net": net})
    lbfgs_finish(list(net.parameters()), misfit, best, {"net": net}, steps, 0, lr=1.0)   # kept only if better
    with torch.no_grad():
        return math.sqrt(float(misfit()))


def _scale(config: NNDualConfig, d: DualDirection) -> float:
    """Typical size of w: the c0 multipliers are ~100× those of the c2 problems (μ = ∓1)."""
    if config.scale is not None:
        return config.scale
    return 100.0 if d.c0_fixed is None else 1.0


def _nu(nu_param, sum_rule: bool):
    return torch.nn.functional.softplus(nu_param) * 10.0 if sum_rule else torch.zeros((), dtype=torch.float64)


def train_dual(objective: str, c0: float | None = None, config: NNDualConfig = NNDualConfig(),
               init: str | None = None, checkpoint: str | None = None, progress: bool = True,
               start_multiplier: dict | None = None) -> Result:
    """Train w_θ, then report the certified bound D[w_θ] (denser, independent quadrature).

    init: a dual-nn checkpoint, resumed when it holds this very run (objective, c0 and
    configuration), else a hot start from its weights (another c0 or schedule).
    start_multiplier: without `init`, w_θ and ν are first fitted to this multiplier — a dict with
    `grid_nodes`, `w_nodes` (w piecewise linear on them) and `nu`, e.g. the SDP dual's Result.extra
    at the same point (`config.start` "dual-sdp"; smatrix.neural.methods): a warm start only, the
    bound is still D of the trained network."""
    if objective not in NN_DUAL_OBJECTIVES:
        raise BadInput(f"unknown objective {objective!r} for the neural dual; choose from "
                       f"{', '.join(NN_DUAL_OBJECTIVES)}")
    d = DualDirection.from_objective(objective, c0)
    if config.epochs < 0 or config.lbfgs_steps < 0:
        raise BadInput("`epochs` and `lbfgs_steps` must be ≥ 0")
    if config.start not in ("scratch", "dual-sdp"):
        raise BadInput(f"`start` must be scratch or dual-sdp, got {config.start!r}")
    if not config.cutoff > 4.0:
        raise BadInput(f"`cutoff` Λ must be above threshold (Λ > 4), got {config.cutoff}")
    if checkpoint is not None:
        check_output_file(checkpoint, "checkpoint")     # before the training, not after it
    t0 = time.perf_counter()
    torch.manual_seed(config.seed)
    cfg = {"model": "zero-ddisc", "method": "dual-nn", "objective": objective, "c0": c0, **asdict(config)}
    resume_key = {k: v for k, v in cfg.items() if k not in _NOT_IN_RESUME_KEY}
    arch = {"depth": config.depth, "width": config.width}
    net = DualNet(config.depth, config.width, 1.0 if d.c0_fixed is None else 0.0).double()
    nu_weight = _SumRuleWeight()
    modules = {"net": net, "nu": nu_weight}
    params = list(net.parameters()) + ([nu_weight.param] if config.sum_rule else [])
    opt, sched = Schedule.one_cycle(config.lr, config.epochs).build(params)
    best = BestState()      # every w is a valid bound: keep the best one seen
    start, finished = 0, False
    if init is not None:
        ck = load_checkpoint(init, CHECKPOINT_KIND)
        if ck.resumes(resume_key):
            ck.resume(modules, arch, opt, sched, best)
            start, finished = ck.epoch, bool(ck.info.get("finished"))
        else:
            ck.load_modules(modules, arch)
    prob = _Problem(config, d, _Q_TRAIN)
    fitted = None
    if init is None and start_multiplier is not None:
        fitted = fit_multiplier(net, nu_weight, prob, start_multiplier, config.fit_steps)

    def save(epoch: int, done: bool = False) -> None:
        save_checkpoint(checkpoint, CHECKPOINT_KIND, cfg, resume_key, arch, modules, opt, sched, epoch, best,
                        {"finished": done})

    loss_of = lambda: prob.loss(prob.w_nodes(net, nu_weight.param), _nu(nu_weight.param, config.sum_rule))
    history: list[float] = []
    if not finished:
        history, _ = adam_epochs(loss_of, opt, sched, best, modules, start, config.epochs,
                                 Progress(f"nn-dual {objective}", config.epochs, progress),
                                 log=(lambda epoch, _: save(epoch)) if checkpoint else None,
                                 log_every=config.checkpoint_every)
        end = max(config.epochs, start)
        keep_best(loss_of, best, modules, end)
        if config.lbfgs_steps:
            lbfgs_finish(params, loss_of, best, modules, config.lbfgs_steps, end, lr=0.5)
        if checkpoint:
            save(end, done=True)
    with torch.no_grad():
        w = prob.w_nodes(net, nu_weight.param).numpy().copy()
        nu = float(_nu(nu_weight.param, config.sum_rule))
        final_loss = loss_of().item()
    cert = certified_bound(d, lambda q: dual_objective(
        dual_quadrature(float(config.cutoff), config.segments, config.uv_segments, float(config.s_max), q),
        w, nu, d.mu), nu, config.tolerance)
    value = cert["bound"]
    ok = math.isfinite(value)
    return Result(
        method="dual-nn", model="zero-ddisc", objective=objective,
        c0=d.c0_fixed if d.c0_fixed is not None else (value if ok else None),
        c2=value if d.c0_fixed is not None and ok else None, value=value if ok else None,
        bound_kind="dual (rigorous)", status=CONVERGED if ok else FAILED, certified=bool(cert["passed"]),
        certificate={**cert, "training_loss": final_loss, "epochs": config.epochs, "start_epoch": start,
                     "training_points": int(prob.quad.s_ir.size + prob.quad.s_uv.size),
                     "w_segments": int(prob.quad.grid.size - 1),
                     **({"start": {"from": config.start, "fit_rms": fitted}} if fitted is not None else {})},
        solver="torch-adam" + ("+lbfgs" if config.lbfgs_steps else ""), seconds=time.perf_counter() - t0,
        config=cfg, message="" if ok else "the trained multiplier does not certify a finite bound",
        extra={"w_nodes": w, "nu": nu, "history": history, "grid_nodes": prob.quad.grid.nodes})
