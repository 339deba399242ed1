"""Neural primal of the zero-ddisc model (P1 §5.1, §7, App. B; eqs. (56)–(63), (70)–(71), (82)–(90)).

A network of x = 4/s parametrises the spectral density at the nodes of the primal grid
(smatrix.unitarity.GridSpec: threshold, bulk and Regge nodes up to s = 10²⁰, the universal tail
beyond). Two sub-networks read x and log(x)/10, are concatenated and followed by blocks with skip
connections (CELU, α = 1/10, Kaiming initialisation), depth 9. Ansätze, with L' = log(s/4):

    regular  (57a):  ρ = 32π ϱ [CELU(NN) + α] / (1 + L')²,                 h = ϱρ/16π → 0 at s = 4
    singular (57b):  ρ = (32π/(α ϱ)) [CELU(g NN) + α] / (1 + L')²,        h(4) = 2 (ρ ≈ 64π/√(s−4))

with g = (s − 4)/(s − 4 + ε) in place of P1's factor (s − 4): it vanishes at threshold as (57b)
requires but stays O(1) up to s = 10²⁰, and the learnable width ε lets the threshold turnover
(which sets c2 along the singular family) move over decades. The singular part
ρ_sing = 32π/(ϱ(1 + L')²) (89b) enters Re f0 through a vector precomputed once (90).

Loss at fixed c0 (eqs. 60–62): mean_i w_i (|S0(s_i)|² − 1)² + γ (c2 − c2_target)², with
w ∝ (1 + L')^p (p = 0 by default: the log-spaced Regge nodes already give the tail its weight).
With `inelastic` (eqs. 70–71) |S0| = 1 is imposed below s_MP = 16 and above the window top and
ReLU(|S0|² − 1)² (weight γ') inside it, so that |S0| ≤ 1 there while the Regge tail stays elastic
and can decay. Adam with a cosine schedule; the best state is kept; checkpoints hold the optimiser,
schedule and best state, so that a run resumes exactly, and seed other targets (hot start).

The trained ρ (max residual 1e-2 … 1 at the nodes, worst at threshold) is then Newton-polished
(smatrix.unitarity.polish) to ≤ 1e-8 where an amplitude exists, re-certified on a 4× denser grid
reaching 20 decades beyond the last imposed point, and P1's boundary criterion is read off its
Regge behaviour (smatrix.analysis.regge_fit). Inelastic runs export η0 = 1 − |S0|² of the polished
amplitude (smatrix.inelasticity schema), ready for injection into the SDP.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from smatrix.analysis import regge_fit
from smatrix.certify import DEFAULT_TOLERANCE, dense_check_points, spin0_certificate, unitarity_violation
from smatrix.errors import BadInput
from smatrix.outputs import check_output_file
from smatrix.inelasticity import InelasticityProfile
from smatrix.result import Result
from smatrix.status import CONVERGED, FAILED, NOT_CONVERGED, OFF_TARGET, OUTSIDE
from smatrix.unitarity import (BRANCHES, GridSpec, UnitarityEquations, between_operators, grid_operators, polish,
                               polish_between, spin0_residual)

from .blocks import celu_blocks, output_layer
from .checkpoint import load_checkpoint, save_checkpoint
from .training import BestState, Progress, Schedule, adam_epochs

ANSATZE = tuple(BRANCHES)       # regular, singular
S_ELASTIC = 16.0                # multi-particle threshold s_MP (eq. 11)
REGGE_WINDOW = (1e6, 1e20)      # energies read by the boundary criterion
C2_MATCH = 1e-6                 # relative: the reported c2 "meets the target"
EPS_LR_FACTOR = 25.0            # learning rate of log ε relative to the network's
CHECKPOINT_KIND = "primal-nn"
# bookkeeping and what runs after the training: not part of the run a checkpoint resumes
_NOT_IN_RESUME_KEY = ("checkpoint_every", "polish", "check_factor", "s_check", "tolerance", "resolve")


@dataclass(frozen=True)
class NNPrimalConfig:
    ansatz: str = "regular"
    inelastic: bool = False
    epochs: int = 2000
    lr: float = 2e-3
    gamma: float = 1.0            # γ of (61)
    gamma_inelastic: float = 1.0  # γ' of (71)
    s_inelastic_max: float = 1e3  # inelastic window [16, this]: elastic again above, so that the tail decays
    weight_power: float = 0.0     # w ∝ (1 + log(s/4))^p in (60); the log-spaced Regge nodes already weigh the tail
    width: int = 32
    sub_depth: int = 3            # layer blocks in each input sub-network
    head_depth: int = 5           # blocks after concatenation (skip connections), then the output layer
    alpha: float = 0.1            # CELU α (eq. 32)
    seed: int = 0
    checkpoint_every: int = 500
    polish: bool = True
    grid: GridSpec = field(default_factory=GridSpec)
    check_factor: int = 4         # certificate: this many times denser than the imposed nodes, …
    s_check: float = 1e40         # … from 4 + 1e-12 to here (20 decades beyond the last imposed point)
    tolerance: float = DEFAULT_TOLERANCE
    resolve: bool = True          # a polished amplitude failing the dense check: re-polished (_resolved_polishes)


class PrimalNet(torch.nn.Module):
    """Two sub-networks (x and log(x)/10) → concatenation → blocks with skip connections → 1."""

    def __init__(self, width: int, sub_depth: int, head_depth: int, alpha: float):
        super().__init__()
        self.sub_x = celu_blocks(1, width, sub_depth, alpha)
        self.sub_log = celu_blocks(1, width, sub_depth, alpha)
        self.merge = celu_blocks(2 * width, width, 1, alpha)
        self.head = torch.nn.ModuleList(celu_blocks(width, width, 1, alpha) for _ in range(head_depth - 1))
        self.out = output_layer(width)

    def forward(self, x):
        z = torch.cat([self.sub_x(x[:, None]), self.sub_log(torch.log(x)[:, None] / 10)], dim=1)
        z = self.merge(z)
        for block in self.head:
            z = z + block(z)                       # skip connection
        return self.out(z)[:, 0]


class _Model(torch.nn.Module):
    """Network + ansatz: h = ϱρ/16π at the imposed nodes (the learnable ε of the singular g)."""

    def __init__(self, config: NNPrimalConfig, s: np.ndarray):
        super().__init__()
        self.config = config
        self.net = PrimalNet(config.width, config.sub_depth, config.head_depth, config.alpha)
        self.log_eps = torch.nn.Parameter(torch.tensor(0.0))
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=float))
        self.register_buffer("x", t(4.0 / s), persistent=False)
        self.register_buffer("envelope", t(1.0 / (1.0 + np.log(s / 4.0)) ** 2), persistent=False)
        self.register_buffer("rho2", t((s - 4.0) / s), persistent=False)
        self.register_buffer("sm4", t(s - 4.0), persistent=False)

    def h_parts(self):
        """(h_sing, h_reg) of eq. (89): h = h_sing + h_reg (h_sing = 0 for the regular ansatz)."""
        a, nn = self.config.alpha, self.net(self.x)
        celu = torch.nn.functional.celu
        if self.config.ansatz == "regular":
            return torch.zeros_like(nn), 2.0 * self.rho2 * (celu(nn, a) + a) * self.envelope
        g = self.sm4 / (self.sm4 + torch.exp(self.log_eps))
        return 2.0 * self.envelope, (2.0 / a) * celu(g * nn, a) * self.envelope


class _Loss:
    """Float64 torch form of smatrix.unitarity.UnitarityEquations (same matrices)."""

    def __init__(self, eq: UnitarityEquations, c0: float, target: float, config: NNPrimalConfig,
                 h_sing: np.ndarray):
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=float))
        A, _ = eq._folded
        s = eq.points
        self.A = t(A * eq.phase_space[:, None])                          # X = A h + x_const
        # (90): the constant part of Im S0 = ϱ Re f0 — c0, threshold value and the singular part
        self.x_const = t(eq.phase_space * eq.re_f0(h_sing, c0))
        row, r0 = eq.c2_folded
        self.row, self.c2_const = t(row), float(row @ h_sing + r0)
        w = (1.0 + np.log(s / 4.0)) ** config.weight_power                # (60)
        self.w = t(w / w.mean())
        self.elastic = t(~_inelastic_window(s, config)) if config.inelastic else t(np.ones_like(s))
        self.target, self.gamma, self.gamma_inel = target, config.gamma, config.gamma_inelastic

    def __call__(self, h_reg, h_sing):
        h = h_reg + h_sing
        X = self.A @ h_reg + self.x_const
        phi = spin0_residual(h, X)                                     # |S0|² − 1 (eq. 56)
        el = self.elastic
        unit = torch.mean(self.w * (el * phi**2 + self.gamma_inel * (1 - el) * torch.relu(phi) ** 2))
        c2 = self.row @ h_reg + self.c2_const
        return unit + self.gamma * (c2 - self.target) ** 2, phi, c2


def _shape(config: NNPrimalConfig) -> dict:
    return {k: getattr(config, k) for k in ("ansatz", "width", "sub_depth", "head_depth", "alpha")} | \
        {"grid": asdict(config.grid)}


def _check(c0: float, c2: float, config: NNPrimalConfig) -> None:
    if not (isinstance(c0, (int, float)) and math.isfinite(c0) and c0 > 0):
        raise BadInput(f"`c0` must be a finite number > 0, got {c0}")
    if not (isinstance(c2, (int, float)) and math.isfinite(c2) and c2 > 0):
        raise BadInput(f"the c2 `target` must be a finite number > 0 (c2 ≥ 0, = 0 only for the free theory), got {c2}")
    if config.ansatz not in ANSATZE:
        raise BadInput(f"unknown ansatz {config.ansatz!r}; choose regular or singular")
    if config.epochs < 0 or config.lr <= 0 or config.gamma < 0 or config.gamma_inelastic < 0:
        raise BadInput("need epochs ≥ 0, lr > 0 and γ, γ' ≥ 0")
    if config.inelastic and not S_ELASTIC < config.s_inelastic_max < config.grid.s_imposed:
        raise BadInput(f"the inelastic window [16, {config.s_inelastic_max:g}] must end above s = 16 and below "
                       f"the last imposed energy {config.grid.s_imposed:g}")
    try:
        config.grid.validate()
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def train_primal(c0: float, c2: float, config: NNPrimalConfig = NNPrimalConfig(), init: str | None = None,
                 checkpoint: str | None = None, eta_out: str | None = None, progress: bool = True,
                 dual_bounds: tuple[float, float] | None = None, certify: bool = True,
                 lm_iter: int = 100) -> Result:
    """Train ρ_θ at fixed c0 towards c2, Newton-polish it, certify it and apply the boundary
    criterion. `dual_bounds` = (min c2, max c2) at this c0, if given, is compared with the target;
    `certify=False` skips the dense re-measurement (a start for a continuation, never certified);
    `lm_iter` as in `polish_from` (fewer: a cheap polish that fails fast from a poor network)."""
    _check(c0, c2, config)
    if checkpoint is not None:
        check_output_file(checkpoint, "checkpoint")     # before the training, not after it
    if eta_out is not None:
        check_output_file(eta_out, "η0 file")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)       # ~600-point tensors: one intra-op thread is fastest (no oversubscription)
    try:
        return _train(c0, c2, config, init, checkpoint, eta_out, progress, dual_bounds, certify, lm_iter)
    finally:
        torch.set_num_threads(threads)


def _train(c0, c2, config, init, checkpoint, eta_out, progress, dual_bounds, certify, lm_iter) -> Result:
    t0 = time.perf_counter()
    torch.manual_seed(config.seed)
    cfg = {"model": "zero-ddisc", "method": "primal-nn", "c0": c0, "c2_target": c2,
           **asdict(config)}
    resume_key = {k: v for k, v in cfg.items() if k not in _NOT_IN_RESUME_KEY}
    arch = _shape(config)
    ops = grid_operators(config.grid)
    eq = UnitarityEquations(ops, config.ansatz)
    s = eq.points
    model = _Model(config, s).double()
    modules = {"model": model}
    # log ε travels decades (the threshold turnover sits at s − 4 ~ 1e-6 near the lower boundary)
    opt, sched = Schedule.one_cycle(config.lr, config.epochs).build(
        [{"params": model.net.parameters()}, {"params": [model.log_eps], "lr": config.lr * EPS_LR_FACTOR}])
    best = BestState()                       # lowest loss seen and its state (kept across a resume)
    start = 0
    if init is not None:
        ck = load_checkpoint(init, CHECKPOINT_KIND)
        if ck.resumes(resume_key):           # the same run (target, config): continue where it stopped
            ck.resume(modules, arch, opt, sched, best)
            start = ck.epoch
        else:                                # another target or schedule: hot start, weights only
            ck.load_modules(modules, arch)
    with torch.no_grad():
        h_sing = model.h_parts()[0].numpy().copy()
    loss_fn = _Loss(eq, c0, c2, config, h_sing)
    h_sing_t = torch.as_tensor(h_sing)
    last = {}

    def loss_of():
        loss, _, last["c2"] = loss_fn(model.h_parts()[1], h_sing_t)
        return loss

    save = (lambda epoch, _: save_checkpoint(checkpoint, CHECKPOINT_KIND, cfg, resume_key, arch, modules, opt,
                                             sched, epoch, best)) if checkpoint else None
    history, _ = adam_epochs(loss_of, opt, sched, best, modules, start, config.epochs,
                             Progress("nn-primal", config.epochs, progress and config.epochs > start),
                             note=lambda v: f"loss {v:.4e}  c2 {float(last['c2'].detach()):.8f}",
                             log=save, log_every=config.checkpoint_every)
    # the best of the scored states (each before its step); unlike keep_best the final state is not
    # scored: the documented primal numbers were made so, and a changed start would move them
    best.restore(modules)
    with torch.no_grad():
        loss, phi, c2_nn = loss_fn(model.h_parts()[1], h_sing_t)
        h_nn = (model.h_parts()[1] + h_sing_t).numpy().copy()
    nn_residual = _nn_residual(phi.numpy(), s, config)
    return _finish(eq, h_nn, c0, c2, config, cfg, t0, {
        "nn_residual": nn_residual, "c2_nn": float(c2_nn), "training_loss": float(loss),
        "epochs": config.epochs, "start_epoch": start,
        "threshold_width": float(torch.exp(model.log_eps.detach())) if config.ansatz == "singular" else None},
        history, eta_out, dual_bounds, certify, lm_iter)


def polish_from(c0: float, c2: float, h_start: np.ndarray, config: NNPrimalConfig = NNPrimalConfig(),
                training: dict | None = None, certify: bool = True, lm_iter: int = 100,
                tail_L0: float | None = None) -> Result:
    """Newton-polish a given ρ (node values h, e.g. a neighbouring amplitude of the same family)
    towards c2 at fixed c0, then certify it and apply the boundary criterion, as after training
    (elastic only: continuation along the singular family, P1 §5.1). `lm_iter` caps the
    Levenberg–Marquardt evaluations of the polish (smatrix.unitarity.polish `max_iter`): from a
    neighbouring solution a few suffice and the Gauss–Newton stage in the phases does the rest.
    `tail_L0`: the Regge tail constant to start from (the neighbour's refitted one; the polish
    refits it in any case)."""
    _check(c0, c2, config)
    if config.inelastic:
        raise BadInput("polish_from continues elastic amplitudes only")
    t0 = time.perf_counter()
    eq = UnitarityEquations(grid_operators(config.grid), config.ansatz)
    if tail_L0 is not None:
        eq = eq.with_tail(tail_L0)
    cfg = {"model": "zero-ddisc", "method": "primal-nn", "c0": c0, "c2_target": c2, **asdict(config)}
    return _finish(eq, np.asarray(h_start, dtype=float), c0, c2, config, cfg, t0, training or {}, [], None, None,
                   certify, lm_iter)


def _inelastic_window(s: np.ndarray, config: NNPrimalConfig) -> np.ndarray:
    """Nodes where |S0| ≤ 1 replaces |S0| = 1 (eqs. 70–71): s_MP = 16 ≤ s ≤ s_inelastic_max."""
    return (s >= S_ELASTIC) & (s <= config.s_inelastic_max)


def _nn_eta(s: np.ndarray, phi: np.ndarray, config: NNPrimalConfig, degree: int = 6, ramp: float = 0.3) -> np.ndarray:
    """η0 = 1 − |S0|² of the trained network, made smooth for the polish (the raw deficit carries
    the network's ~1e-2 node-to-node noise): sqrt(η0) is fitted by Chebyshev polynomials in the
    window's log-variable u ∈ [0, 1] and squared (η0 ≥ 0), then tapered to zero as sin⁴ over
    `ramp` of the window at both ends, so that η0 vanishes smoothly at s_MP = 16 and above."""
    u = np.log(s / S_ELASTIC) / math.log(config.s_inelastic_max / S_ELASTIC)
    win = (u > 0) & (u < 1)
    if win.sum() <= degree:
        raise BadInput("the inelastic window holds too few grid nodes; widen it (s_inelastic_max)")
    fit = np.polynomial.chebyshev.Chebyshev.fit(u[win], np.sqrt(np.clip(-phi[win], 0.0, 1.0)), degree, domain=[0, 1])
    taper = np.sin(0.5 * np.pi * np.clip(np.minimum(u, 1 - u) / ramp, 0, 1)) ** 4
    return np.where(win, np.clip(taper * fit(np.clip(u, 0, 1)) ** 2, 0.0, 1.0), 0.0)


def _nn_residual(phi: np.ndarray, s: np.ndarray, config: NNPrimalConfig) -> float:
    """max ||S0|² − 1| where it is an equation, and the largest |S0|² − 1 > 0 in the inelastic
    window (a violation of |S0| ≤ 1)."""
    if not config.inelastic:
        return float(np.max(np.abs(phi)))
    win = _inelastic_window(s, config)
    return float(max(np.max(np.abs(phi[~win])), np.max(phi[win], initial=0.0)))


def _finish(eq, h_nn, c0, target, config, cfg, t0, training, history, eta_out, dual_bounds,
            certify: bool = True, lm_iter: int = 100) -> Result:
    """Polish, certify, criterion, η export → Result (`certify=False`: a continuation step, the
    dense re-measurement is skipped and the result is never certified)."""
    s = eq.points
    if config.inelastic:
        eq = eq.with_eta(_nn_eta(s, eq.residual(h_nn, c0), config))
    pol = None
    h = h_nn
    if config.polish:
        pol = polish(eq, h_nn, c0, target, max_iter=lm_iter)
        h, eq = pol.h, pol.equations
    # re-measure |S0|² − 1 check_factor× denser than the imposed nodes, 4 + 1e-12 … s_check
    def measure(e: UnitarityEquations, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not certify:
            return e.points, e.residual(v, c0)           # the nodes only: not a certificate
        p = dense_check_points(e.points, config.check_factor, config.s_check)
        return p, unitarity_violation(e.amplitude(v, c0), p)
    pts, viol = measure(eq, h)
    resolution = None
    if certify and pol is not None and config.resolve and eq.eta is None and not np.max(viol) <= config.tolerance:
        resolution = {"violation_as_polished": float(np.max(viol)), "tried": [], "used": None}
        for route, alt in _resolved_polishes(eq, h, c0, target, config, lm_iter):
            alt_pts, alt_viol = measure(alt.equations, alt.h)
            resolution["tried"].append({"route": route, "violation": float(np.max(alt_viol)), "residual": alt.residual,
                                        "imposed_points": int(alt.equations.size)})
            converged = alt.residual <= (config.tolerance if alt.between else 1e-8)   # as _status asks
            if converged and np.max(alt_viol) < np.max(viol):
                pol, h, eq, pts, viol, resolution["used"] = alt, alt.h, alt.equations, alt_pts, alt_viol, route
            if np.max(viol) <= config.tolerance:
                break
    s = eq.points
    amp = eq.amplitude(h, c0)
    taylor = amp.taylor
    c2 = float(taylor["c2"])
    re = eq.re_f0(h, c0)
    im = h / eq.phase_space
    win = (s >= REGGE_WINDOW[0]) & (s <= REGGE_WINDOW[1])
    regge = regge_fit(s[win], re[win], im[win])
    cert = spin0_certificate(pts, viol, config.tolerance, config.check_factor if certify else 1, int(s.size))
    profile = None
    if config.inelastic:
        # η0 = 1 − |S0|² of the amplitude itself on the dense points of the window; the equation
        # |S0| = 1 is certified outside it, |S0| ≤ 1 everywhere
        win = _inelastic_window(pts, config)
        profile = InelasticityProfile(pts[win], {0: np.clip(-viol[win], 0.0, 1.0)},
                                      {"c0": c0, "c2": c2, "c2_target": target, "source": "primal-nn",
                                       "ansatz": config.ansatz, "eta_scale": pol.eta_scale if pol else None},
                                      extend="zero")
        cert.details["max_abs_residual_elastic_part"] = float(np.max(np.abs(viol[~win])))
        elastic_ok = cert.details["max_abs_residual_elastic_part"] <= config.tolerance
        cert.details["max_eta"] = float(np.max(profile.eta[0]))
    else:
        elastic_ok = cert.details["max_abs_residual"] <= config.tolerance   # |S0| = 1 itself, both signs
    residual = pol.residual if pol is not None and pol.between else _max_abs(eq.residual(h, c0))
    met = abs(c2 - target) <= C2_MATCH * max(1.0, target)
    status, message = _status(config, pol, regge, met, c2, target, residual)
    certificate = {**cert, **training, "dense_check": certify, "c2_target": target, "c2_reached": c2, "target_met": bool(met),
                   "polished": pol is not None, "polished_residual": residual if pol is not None else None,
                   "polish_iterations": pol.iterations if pol is not None else None,
                   "resolution": resolution,
                   "eta_scale": pol.eta_scale if pol is not None else None,
                   "grid_nodes": int(eq.ops.grid.size), "imposed_points": int(s.size),
                   "tail_nodes": int(eq.ops.grid.size - s.size - 2), "tail_L0": eq.tail_L0,
                   "regge": regge.summary()}
    if dual_bounds is not None:
        lo, hi = dual_bounds
        certificate["dual_bounds"] = [lo, hi]
        certificate["target_within_dual"] = bool(lo <= target <= hi)
        certificate["reached_within_dual"] = bool(lo <= c2 <= hi)
    if profile is not None and eta_out is not None:
        certificate["eta_file"] = str(profile.save(eta_out))
    return Result(
        method="primal-nn", model="zero-ddisc", objective="c2-target", c0=c0, c2=c2, value=c2,
        bound_kind="amplitude", status=status, certified=certify and elastic_ok and cert.passed and status == CONVERGED,
        certificate=certificate, solver="torch-adam" + ("+newton" if pol is not None else ""),
        seconds=time.perf_counter() - t0, config=cfg, message=message,
        amplitude=amp, extra={"c3": float(taylor["c3"]), "h": h, "h_nn": h_nn, "history": history,
               "eta_profile": profile, "regge_fit": regge})


def _resolved_polishes(eq: UnitarityEquations, h: np.ndarray, c0: float, target: float, config: NNPrimalConfig,
                       lm_iter: int):
    """Re-polishes of an amplitude whose |S0|² − 1 fails the dense check between the nodes, in
    turn (the caller keeps the first that passes, else the best): (1) least squares on the nodes
    and the midpoints (smatrix.unitarity.polish_between: removes the node-to-node sawtooth of the
    square system near the tip); (2) the square polish on a grid with twice the bulk nodes, from
    the spline interpolated onto it (the interpolation error between nodes falls ~16×); (3) (1)
    on that grid. The regular threshold's solution is isolated: no c2 row biases (1) and (3)."""
    aim = None if config.ansatz == "regular" else target
    yield "midpoints", polish_between(eq.with_between(between_operators(config.grid)), h, c0, aim)
    finer = replace(config.grid, bulk=2 * config.grid.bulk)
    fine = UnitarityEquations(grid_operators(finer), config.ansatz, eq.tail_L0)
    h_fine = eq.ops.grid.h_values(fine.points) @ eq.expand(h)
    pol = polish(fine, h_fine, c0, target, max_iter=lm_iter)
    yield "finer bulk", pol
    yield "finer bulk + midpoints", polish_between(pol.equations.with_between(between_operators(finer)), pol.h, c0, aim)


def _status(config, pol, regge, met, c2, target, residual) -> tuple[str, str]:
    if not regge.inside:
        kind = f"{config.ansatz} ansatz" + (" (inelastic)" if config.inelastic else "")
        return OUTSIDE, (f"no amplitude with a decaying Regge tail at c2 = {target:.8g} with the {kind}: "
                           f"{regge.reason} (P1's boundary criterion)")
    if pol is None:
        return NOT_CONVERGED, "not polished (`polish` off)"
    if not residual <= (config.tolerance if pol.between else 1e-8):   # least squares: the midpoints' floor
        return FAILED, f"the Newton polish did not converge (max ||S0|²−1| = {residual:.2e} at the nodes)"
    if not met:
        hint = (" Regular-threshold elastic amplitudes at fixed c0 are isolated (the lower boundary); "
                "the interior is reached with --ansatz singular or --inelastic.") if config.ansatz == "regular" \
            and not config.inelastic else ""
        return OFF_TARGET, f"the polished amplitude has c2 = {c2:.10g}, not the target {target:.10g}.{hint}"
    return CONVERGED, ""


def _max_abs(v) -> float:
    v = np.asarray(v)
    return float(np.max(np.abs(v))) if np.all(np.isfinite(v)) else math.inf


__all__ = ["NNPrimalConfig", "PrimalNet", "train_primal", "polish_from", "ANSATZE"]
