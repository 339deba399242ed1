"""The neural 2PRR solver (P2 §2.3, §3): NN_ρ and NN_DDisc trained on the 2PRR equations of
`smatrix.twoprr.system` at fixed c0, in sparse → dense grid stages (the networks are functions of
(s, t), so a stage change re-evaluates them on the new nodes), Adam with cosine warm restarts then
an optional L-BFGS finish per stage; from scratch, from a classical `Solution` (the networks are
first fitted to it) or from a neural checkpoint (resume or hot start, neural/checkpoint.py). The
result is a classical `Solution` on the last grid, which `smatrix 2prr --method nn` polishes by
Newton (smatrix.twoprr.solver.newton)."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from smatrix.twoprr.grid import NodeGrid
from smatrix.twoprr.solver import Solution, transfer
from smatrix.twoprr.system import TwoPRRSystem

from .checkpoint import load_checkpoint, save_checkpoint
from .training import BestState, Progress, Schedule, adam_epochs, keep_best, lbfgs_finish
from .twoprr_loss import LossWeights, TorchSystem, TwoPRRLoss
from .twoprr_nets import NetConfig, TwoPRRNetworks

CHECKPOINT_KIND = "2prr-networks"


@dataclass(frozen=True)
class NNSolverConfig:
    """What the neural solver trains: grids, epochs per stage, schedule, networks, loss weights."""

    c0: float
    stages: tuple[int, ...] = (24, 32, 48)    # grid sizes n, sparse → dense
    s_max: float = 1e8
    epochs: int = 800                         # Adam epochs per stage
    lbfgs: int = 2000                         # L-BFGS iterations per stage (0: none)
    gauss_newton: int = 0                     # Levenberg–Marquardt steps in parameter space per stage
    schedule: Schedule = field(default_factory=Schedule)
    net: NetConfig = field(default_factory=NetConfig)
    weights: LossWeights = field(default_factory=LossWeights)

    def validate(self) -> None:
        if not (isinstance(self.c0, (int, float)) and math.isfinite(self.c0) and self.c0 >= 0):
            raise ValueError(f"c0 must be a finite number ≥ 0, got {self.c0!r}")
        if not self.stages or list(self.stages) != sorted(set(self.stages)):
            raise ValueError("the grid stages must increase strictly")
        for n in self.stages:
            NodeGrid(n, self.s_max).validate()
        if self.epochs < 0 or self.lbfgs < 0 or self.gauss_newton < 0:
            raise ValueError("epochs, lbfgs and gauss_newton iterations must be ≥ 0")
        self.schedule.validate()
        self.net.validate()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stages"] = list(self.stages)
        d["net"] = self.net.to_dict()
        return d

    def resume_key(self) -> dict:
        """What must agree for a checkpoint to be resumed (not the run's length)."""
        d = self.to_dict()
        for key in ("epochs", "lbfgs", "gauss_newton"):
            d.pop(key)
        return d


@dataclass
class NNRun:
    """The trained networks, the NN solution on the last grid and the loss history."""

    networks: TwoPRRNetworks
    solution: Solution
    system: TwoPRRSystem
    history: list[dict]
    c2: float
    residual: float               # max |F| of the NN solution on the last grid
    seconds: float


def _forward(nets: TwoPRRNetworks, system: TwoPRRSystem):
    g = system.grid
    P = system.pairs
    return nets.nodes(system.s, g.nodes[P[:, 0]], g.nodes[P[:, 1]])


def fit_to_solution(nets: TwoPRRNetworks, system: TwoPRRSystem, init: Solution, epochs: int,
                    schedule: Schedule, progress: bool = False) -> float:
    """Fit the networks to a saved solution (transferred to `system`'s grid) in relative least
    squares; returns the max relative deviation reached."""
    ref = torch.as_tensor(transfer(init, system))
    scale = ref.abs() + 1e-3 * ref.abs().max()
    inp = _forward(nets, system)
    opt, sched = schedule.build(nets.parameters())

    def loss_fn():
        u1, e = nets(inp)
        return torch.mean(((torch.cat([u1, e]) - ref) / scale) ** 2)

    # the fit is a start, not a result: its best state is not restored
    adam_epochs(loss_fn, opt, sched, BestState(), {}, 0, epochs, Progress("nn-2prr fit", epochs, progress),
                note=lambda v: f"loss {v:.3e}")
    with torch.no_grad():
        u1, e = nets(inp)
        return float(torch.max(torch.abs(torch.cat([u1, e]) - ref) / scale))


def train_nn(cfg: NNSolverConfig, init: Solution | str | Path | None = None, checkpoint: str | Path | None = None,
             systems: dict[int, TwoPRRSystem] | None = None, progress: bool = False,
             stop_at: int | None = None) -> NNRun:
    """Train the networks at cfg.c0 through the grid stages.

    init: a classical Solution (fit first), or the path of a neural checkpoint (resumed when its
    configuration matches cfg apart from the run's length, else hot-started: weights only).
    checkpoint: where to write the checkpoint (every tenth of a stage and at the end of each).
    stop_at: stop after this Adam epoch of the first stage trained (checkpoint written there): an
    interrupted run, which `init=checkpoint` resumes bit-identically."""
    cfg.validate()
    t0 = time.perf_counter()
    nets = TwoPRRNetworks(cfg.net)
    modules = {"rho": nets.rho, "ddisc": nets.ddisc}
    systems = systems or {}
    history: list[dict] = []
    start_stage, start_epoch, resumed = 0, 0, None
    if isinstance(init, (str, Path)):
        ck = load_checkpoint(init, CHECKPOINT_KIND)
        same = ck.resumes(cfg.resume_key())
        if same:
            resumed = ck
            start_stage, start_epoch = int(ck.info.get("stage", 0)), int(ck.info.get("epoch", 0))
            history = list(ck.info.get("history", []))
        if not same or start_stage >= len(cfg.stages):   # hot start, or a finished run: weights only
            ck.load_modules(modules, cfg.net.to_dict())
    stopped, system = False, None
    for si, n in enumerate(cfg.stages):
        if si < start_stage:
            continue
        system = systems.get(n) or TwoPRRSystem(NodeGrid(n, cfg.s_max), progress=progress)
        systems[n] = system
        if si == 0 and isinstance(init, Solution):
            fit_to_solution(nets, system, init, max(cfg.epochs, 1), cfg.schedule, progress)
        stopped = _train_stage(cfg, nets, modules, system, si, history, checkpoint,
                               resumed if si == start_stage else None, start_epoch if si == start_stage else 0,
                               progress, stop_at)
        stop_at = None
        if stopped:
            break
    if system is None:                                  # a finished checkpoint: evaluate on the last grid
        system = systems.get(cfg.stages[-1]) or TwoPRRSystem(NodeGrid(cfg.stages[-1], cfg.s_max))
    with torch.no_grad():
        u1, e = nets(_forward(nets, system))
    u = torch.cat([u1, e]).numpy().copy()
    F = system.residual(u, cfg.c0)
    r = float(np.max(np.abs(F))) if np.all(np.isfinite(F)) else math.inf
    sol = Solution(float(cfg.c0), system.grid, u, "nn", r, int(sum(h.get("epochs", 0) for h in history
                                                                    if h.get("kind") == "stage")),
                   [h for h in history if h.get("kind") == "stage"], cfg.to_dict())
    return NNRun(nets, sol, system, history, float(system.c2(u)), r, time.perf_counter() - t0)


def _train_stage(cfg, nets, modules, system, si, history, checkpoint, resumed, start_epoch, progress,
                 stop_at=None) -> bool:
    """One grid stage: Adam (checkpointed), best state, L-BFGS; True when stopped at stop_at."""
    tsys = TorchSystem(system)
    loss = TwoPRRLoss(tsys, cfg.weights)
    inp = _forward(nets, system)
    arch = cfg.net.to_dict()
    opt, sched = cfg.schedule.build(nets.parameters())
    best = BestState()
    if resumed is not None and start_epoch == 0:     # a stage boundary: weights, then a fresh optimiser
        resumed.load_modules(modules, arch)
    elif resumed is not None:
        resumed.resume(modules, arch, opt, sched, best)
    stage_t0 = time.perf_counter()
    last: dict = {}

    def evaluate():
        u1, e = nets(inp)
        terms, res = loss.terms(u1, e, cfg.c0)
        return loss.total(terms), terms, res, u1, e

    def loss_of():
        total, *rest = evaluate()
        last["state"] = rest
        return total

    def record(ep, total, terms, res, u1, e, phase):
        with torch.no_grad():
            r = max(float(res.spin0.abs().max()), float(res.mandelstam.abs().max()))
            history.append({"kind": "epoch", "stage": si, "n": system.grid.n, "phase": phase, "epoch": ep,
                            "loss": float(total), **{k: float(v) for k, v in terms.items()},
                            "max_residual": r, "c2": float(tsys.c2(u1, e))})

    def save(ep, opt_=None, sched_=None, info=None):
        save_checkpoint(checkpoint, CHECKPOINT_KIND, cfg.to_dict(), cfg.resume_key(), arch, modules, opt_, sched_,
                        ep, best, info)

    def log(ep, value):
        terms, res, u1, e = last["state"]
        record(ep, value, {k: v.detach() for k, v in terms.items()}, res, u1.detach(), e.detach(), "adam")
        if checkpoint is not None:
            save(ep, opt, sched, {"stage": si, "epoch": ep, "history": history})

    def note(value):
        h = history[-1] if history and history[-1].get("stage") == si else None
        return f"loss {value:.3e}" + (f" |F| {h['max_residual']:.1e} c2 {h['c2']:.6f}" if h else "")

    _, stopped = adam_epochs(loss_of, opt, sched, best, modules, start_epoch, cfg.epochs,
                             Progress(f"nn-2prr n={system.grid.n}", cfg.epochs, progress), note=note, log=log,
                             log_every=max(1, cfg.epochs // 10), stop_at=stop_at)
    if stopped:
        return True
    keep_best(loss_of, best, modules, cfg.epochs)
    if cfg.lbfgs:
        lbfgs_finish(list(nets.parameters()), loss_of, best, modules, cfg.lbfgs, cfg.epochs + cfg.lbfgs, lr=1.0,
                     history_size=50, tolerance_grad=1e-16, tolerance_change=1e-20)
        with torch.no_grad():
            total, terms, res, u1, e = evaluate()
        record(cfg.epochs + cfg.lbfgs, total, terms, res, u1, e, "lbfgs")
    if cfg.gauss_newton:
        steps = gauss_newton_finish(nets, inp, system, cfg.c0, cfg.gauss_newton)
        with torch.no_grad():
            total, terms, res, u1, e = evaluate()
        record(cfg.epochs + cfg.lbfgs + steps, total, terms, res, u1, e, "gauss-newton")
    with torch.no_grad():
        total, terms, res, u1, e = evaluate()
    record(cfg.epochs + cfg.lbfgs, total, terms, res, u1, e, "end")
    history.append({"kind": "stage", "stage": si, "n": system.grid.n, "epochs": cfg.epochs, "lbfgs": cfg.lbfgs,
                    "loss": float(total), "max_residual": history[-1]["max_residual"], "c2": history[-1]["c2"],
                    "seconds": round(time.perf_counter() - stage_t0, 2)})
    if checkpoint is not None:
        save(cfg.epochs, info={"stage": si + 1, "epoch": 0, "history": history})
    return False


def gauss_newton_finish(nets: TwoPRRNetworks, inp, system: TwoPRRSystem, c0: float, iters: int,
                        tol: float = 1e-12) -> int:
    """Levenberg–Marquardt on the network parameters θ for the residuals F(u(θ)) of the 2PRR
    equations: A = J_F(u) ∂u/∂θ with the system's exact Jacobian (twoprr.system) and ∂u/∂θ by
    autograd; the networks have more parameters than equations, so each step is the minimum-norm
    one, δθ = −Aᵀ(AAᵀ + λ⟨AAᵀ⟩I)⁻¹ F, with λ raised until |F| falls. (The loss weights are left out:
    scaled by them, λ over-regularises the lightly weighted rows, measured to stall.)
    Returns the steps taken."""
    from torch.func import functional_call, jacrev

    names = [k for k, _ in nets.named_parameters()]
    theta = {k: v.detach().clone() for k, v in nets.named_parameters()}

    def u_of(th):
        u1, e = functional_call(nets, th, (inp,))
        return torch.cat([u1, e])

    def max_res(th):
        with torch.no_grad():
            F = system.residual(u_of(th).numpy(), c0)
        return (float(np.linalg.norm(F)) if np.all(np.isfinite(F)) else math.inf), F

    r, F = max_res(theta)
    lam_scale, taken = 1e-8, 0
    for _ in range(iters):
        if np.max(np.abs(F)) <= tol:
            break
        u = u_of(theta).detach().numpy()
        Ju = system.jacobian(u, c0)
        jac = jacrev(u_of, chunk_size=128)({k: v for k, v in theta.items()})
        Jt = np.concatenate([jac[k].reshape(u.size, -1).numpy() for k in names], axis=1)
        A = Ju @ Jt
        b = F
        G = A @ A.T
        base = np.trace(G) / G.shape[0]
        improved = False
        while lam_scale < 1e6:
            try:
                y = np.linalg.solve(G + lam_scale * base * np.eye(G.shape[0]), b)
            except np.linalg.LinAlgError:
                lam_scale *= 10.0
                continue
            step = -(A.T @ y)
            trial, off = {}, 0
            for k in names:
                m = theta[k].numel()
                trial[k] = theta[k] + torch.as_tensor(step[off:off + m]).reshape(theta[k].shape)
                off += m
            rn, Fn = max_res(trial)
            if rn < r:
                theta, r, F, improved = trial, rn, Fn, True
                lam_scale = max(lam_scale / 10.0, 1e-14)
                break
            lam_scale *= 10.0
        taken += 1
        if not improved:
            break
    with torch.no_grad():
        for k, p in nets.named_parameters():
            p.copy_(theta[k])
    return taken


def loss_history_figure(history: list[dict]):
    """Loss terms and max |F| against the epoch, one colour per grid stage (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5))
    ax, bx = fig.subplots(1, 2)
    rows = [h for h in history if h.get("kind") == "epoch"]
    offset, last_stage, x = 0, None, []
    for h in rows:
        if h["stage"] != last_stage and x:
            offset = x[-1]
        last_stage = h["stage"]
        x.append(offset + h["epoch"])
    x = np.asarray(x, dtype=float)
    for key in ("loss", "spin0", "mandelstam", "high_spin", "eta"):
        y = np.array([h[key] for h in rows], dtype=float)
        if np.any(y > 0):                                   # terms that are exactly 0 (satisfied) are not drawn
            ax.semilogy(x, np.where(y > 0, y, np.nan), ".-", label=key)
    for h in [h for h in history if h.get("kind") == "stage"]:
        bx.annotate(f"n={h['n']}", (x[[r["stage"] for r in rows].index(h["stage"])], h["max_residual"]), fontsize=7)
    bx.semilogy(x, [h["max_residual"] for h in rows], "k.-", label="max |F| (grid)")
    for a in (ax, bx):
        a.set_xlabel("epoch (stages concatenated)")
        a.legend(fontsize=8)
    ax.set_title("neural 2PRR loss terms")
    bx.set_title("residual of the 2PRR equations")
    fig.tight_layout()
    return fig




def neural_init(a, run_cfg) -> tuple[Solution, dict, list[dict]]:
    """`smatrix 2prr --method nn`: train from scratch or from --init (a saved Solution or a neural
    checkpoint) on the stages ending at --n; returns the NN Solution (Newton polishes it), the NN
    report (c2 and residuals before polish) and the loss history. Bad input raises ValueError."""
    import sys

    stages = tuple(a.nn_stages) if a.nn_stages else tuple(sorted({m for m in (24, 32) if m < a.n} | {a.n}))
    if stages[-1] != a.n:
        raise ValueError(f"`nn_stages` must end at `n` {a.n}, got {','.join(map(str, stages))}")
    if a.nn_epochs < 0 or a.nn_lbfgs < 0 or a.nn_lm < 0:
        raise ValueError("`nn_epochs`, `nn_lbfgs` and `nn_lm` must be ≥ 0")
    cfg = NNSolverConfig(c0=float(run_cfg.c0), stages=stages, s_max=float(run_cfg.s_max), epochs=int(a.nn_epochs),
                         lbfgs=int(a.nn_lbfgs), gauss_newton=int(a.nn_lm),
                         schedule=Schedule(period=max(int(a.nn_epochs), 1)))     # one cosine cycle per stage
    cfg.validate()
    checkpoint = a.checkpoint or (str(Path(a.out) / "checkpoint.pt") if a.out else None)
    if checkpoint is not None:
        Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
    init = None
    if a.init:
        init = Solution.load(a.init) if str(a.init).endswith(".npz") else a.init
        if isinstance(init, str):
            load_checkpoint(init, CHECKPOINT_KIND)          # refuse a bad file before any work
    run = train_nn(cfg, init=init, checkpoint=checkpoint, progress=True)
    print(f"smatrix 2prr: neural solution c2 = {run.c2:.8f}, max |F| = {run.residual:.2e} "
          f"({run.seconds:.0f} s); Newton polish follows", file=sys.stderr, flush=True)
    report = {"c2_nn": run.c2, "residual_nn": run.residual, "seconds": run.seconds, "n": cfg.stages[-1],
              "stages": list(cfg.stages), "epochs": cfg.epochs, "lbfgs": cfg.lbfgs, "lm": cfg.gauss_newton,
              "checkpoint": checkpoint,
              "stage_history": [h for h in run.history if h.get("kind") == "stage"]}
    return run.solution, report, run.history


__all__ = ["NNRun", "NNSolverConfig", "fit_to_solution", "loss_history_figure", "neural_init", "train_nn"]
