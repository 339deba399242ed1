"""The boundary of the zero-ddisc almond at fixed c0 by the neural primal (P1 §5.1, Fig. 2a).

- **Lower boundary (min c2): the regular ansatz (57a).** With S0(4) = 1 the elastic equations at
  fixed c0 have one isolated solution, and its c2 is the lower boundary (docs/nn_primal.md). The
  network is trained on unitarity alone (γ = 0: no c2 target to bias it), the Newton polish finds
  the isolated solution, and a second polish with the c2 it reached as target certifies it.
- **Upper boundary (max c2): the singular ansatz (57b) and the Regge criterion.** With S0(4) = −1
  the elastic amplitudes form a one-parameter family in c2; above the boundary the family
  continues on the grid but Re f0 at large s turns negative (no decaying tail). The network is
  trained at a start target inside, then the family is continued in c2 by Newton polishes (each
  from the previous amplitude): the next target is the zero of Re f0(s_end) (the criterion's own
  quantity, which crosses zero smoothly at the boundary) extrapolated by a secant through the last
  two amplitudes (the step at most doubling), until the criterion fails; the bracket
  [inside, outside] is then closed by the secant through its ends, each trial placed just across
  the estimated zero (rel_tol/4 beyond it, alternating sides) and kept within the bracket, until
  its width is ≤ `rel_tol`·c2. The reported amplitude is the inside end: polished, certified on
  the dense grid, with a decaying Regge tail; the bracket is in its certificate.

Hot start (P1 §4.1, as for the neural dual): `init` is the checkpoint of the neighbouring slice's
network on the same branch (the almond's slice chain passes it, with fewer epochs); the start
target is scaled from the boundary that network gave (`<checkpoint>.boundary.json`, written next
to `checkpoint` when a point converges). Which network seeded a point is in its certificate.

Cost: the continuation steps are polishes from the previous amplitude with `step_lm_iter`
Levenberg–Marquardt evaluations (the Gauss–Newton stage in the phases converges from a
neighbouring solution in a few steps: ~0.3 s instead of 1–2 s; with none, the quick job's first
and third upper-boundary points stall inside), and the bracket is closed by a
secant on Re f0(s_end) that steps across its zero (a few polishes instead of ~10 regula-falsi ones).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from smatrix.errors import BadInput
from smatrix.result import Result
from smatrix.status import CONVERGED, FAILED, OFF_TARGET, OUTSIDE
from smatrix.unitarity import GridSpec, grid_operators, midpoints

from .zero_ddisc_primal import NNPrimalConfig, polish_from, train_primal

BRANCH = {"min-c2": "regular", "max-c2": "singular"}
START_FRACTION = 0.5          # cold start target of the upper boundary: this × 3c0/64 (the tangent, eq. 35)
HOT_START_FRACTION = 0.9      # hot start target: this × the neighbour's boundary × sqrt(c0/c0')
WALK_DOWN = 0.9               # a start outside: other starts polished at targets lowered by this factor …
WALK_STEPS = 3                # … at most this many times each
C0_STEP = 0.01                # continuation of a neighbour's amplitude in c0: substeps of this in log c0 …
NEIGHBOUR_INSIDE = 0.03       # … at this fraction below its upper boundary
FIRST_STEP = 0.05             # first continuation step, relative to the start c2 …
HOT_FIRST_STEP = 0.01         # … from a hot start (its start target is close to the boundary)
MAX_GROWTH = 2.0              # a continuation step is at most this × the previous one
FOLD_OFFSET = 5e-7            # below the end of the regular solutions, relative (< C2_MATCH)
LOWER_STEP = 1e-3             # first step below the reached c2 on the lower boundary, relative
ACROSS = 0.25                 # bracket trials: this × rel_tol across the secant's zero
SAFEGUARD = 0.02              # … and at least this fraction of the bracket away from its ends


@dataclass(frozen=True)
class BoundaryConfig:
    epochs: int = 1000            # Adam epochs (the almond's slice chain lowers them for hot starts)
    rel_tol: float = 2e-5         # upper boundary: width of the final [inside, outside] bracket, relative
    max_polishes: int = 30        # continuation + bracketing budget of the upper boundary
    step_lm_iter: int = 3         # Levenberg–Marquardt evaluations of a continuation polish (then Gauss–Newton)
    bulk: int = 250               # bulk nodes of the primal grid (smatrix.unitarity.GridSpec)
    seed: int = 0

    def validate(self) -> None:
        if self.epochs < 1 or self.max_polishes < 2 or not 0 < self.rel_tol < 0.1 or self.step_lm_iter < 1:
            raise BadInput("primal-nn needs epochs ≥ 1, max_polishes ≥ 2, step_lm_iter ≥ 1 and 0 < rel_tol < 0.1")


def boundary_c2(objective: str, c0: float, config: BoundaryConfig = BoundaryConfig(), init: str | None = None,
                checkpoint: str | None = None) -> Result:
    """min c2 (regular ansatz) or max c2 (singular ansatz + Regge criterion) at fixed c0; `init`:
    the checkpoint of a neighbouring slice's network on the same branch (hot start), `checkpoint`:
    where this point's network (and, once converged, its boundary) is saved."""
    if objective not in BRANCH:
        raise BadInput(f"primal-nn finds the c2 boundaries at fixed c0 (min-c2, max-c2), not {objective!r}: "
                       "the tip of the almond is where the two meet")
    if c0 is None or not (math.isfinite(c0) and c0 > 0):
        raise BadInput(f"primal-nn needs a c0 > 0, got {c0}")
    config.validate()
    t0 = time.perf_counter()
    ansatz = BRANCH[objective]
    nn = NNPrimalConfig(ansatz=ansatz, epochs=config.epochs, seed=config.seed, gamma=0.0 if ansatz == "regular" else 1.0,
                        grid=GridSpec(bulk=config.bulk))
    near = _neighbour(init) if init is not None else None
    start = _start_target(objective, c0, near)
    # from a neighbour's network the polish gets the continuation budget: it converges, or fails fast
    # and the neighbour's amplitude, continued in c0, takes over (near the tip the network is poor)
    trained = train_primal(c0, start, nn, init=init, checkpoint=checkpoint, progress=False, certify=False,
                           lm_iter=config.step_lm_iter if near else 100)
    training = {k: trained.certificate.get(k) for k in ("nn_residual", "c2_nn", "training_loss", "epochs",
                                                        "threshold_width")}

    def step(target: float, r: Result, certify: bool = False, before: Result | None = None) -> Result:
        """A polish towards `target` from amplitude r — from the secant predictor through `before`
        and r when given (continuation along the family: larger steps than from r itself)."""
        h = r.extra["h"]
        if before is not None and before.c2 != r.c2:
            h = h + (h - before.extra["h"]) * (target - r.c2) / (r.c2 - before.c2)
        return polish_from(c0, target, h, nn, training, certify, config.step_lm_iter, r.certificate["tail_L0"])

    restarts = _restarts(c0, trained, near, nn, training, config)
    if objective == "min-c2":
        res, info = _lower(trained, step, restarts, config)
    else:
        res, info = _upper(trained, step, restarts, config, bool(near))
    if res.status == CONVERGED:           # the reported amplitude: re-measured on the dense grid
        final = step(res.c2, res, True)
        if objective == "min-c2" and final.status == OFF_TARGET and (final.certificate.get("resolution") or {}).get("used"):
            # re-polished (nodes + midpoints, or a finer grid): the isolated regular solution
            # without the sawtooth direction, whose c2 is the lower boundary
            final = replace(final, status=CONVERGED, message="")
        res = final
    if checkpoint is not None and res.status == CONVERGED:
        _record(checkpoint, c0, res, nn.grid)
    info.update({"ansatz": ansatz, "start_target": start, "hot_start_from": init,
                 "hot_start_from_c0": near.get("c0") if near else None, "epochs": nn.epochs, "config": asdict(config)})
    cert = {**(res.certificate or {}), "boundary": info}
    ok = res.status == CONVERGED
    # a boundary point claims an allowed amplitude: |S0|² ≤ 1 + tolerance on the dense grid, the
    # primal constraint the SDP primals are certified against; the elastic equality's two-sided
    # residual stays in details.max_abs_residual (between the nodes near the tip |S0| dips below 1)
    allowed = bool(ok and cert.get("dense_check") and cert.get("passed"))
    info["certified_as"] = "allowed amplitude: |S0|^2 - 1 <= tolerance re-measured on the dense grid"
    message = res.message if not ok else ""
    return replace(res, objective=objective, value=res.c2 if ok else None, certificate=cert,
                   certified=allowed, seconds=time.perf_counter() - t0, message=message,
                   config={**res.config, "objective": objective, "boundary": asdict(config)})


def _start_target(objective: str, c0: float, near: dict | None) -> float:
    tangent = 3.0 * c0 / 64.0                      # c2 ≈ 3c0/64 near the origin (eq. 35)
    if near is not None and near.get("c2"):
        # the upper boundary grows like c0 near the origin and flattens towards the tip: sqrt(c0/c0') between
        return HOT_START_FRACTION * near["c2"] * math.sqrt(c0 / near["c0"]) if objective == "max-c2" \
            else near["c2"] * c0 / near["c0"]
    return START_FRACTION * tangent


def _lower(trained: Result, step, restarts, config: BoundaryConfig) -> tuple[Result, dict]:
    """Regular threshold: the elastic solutions at fixed c0 end at the lower boundary. Away from
    the tip the solution is isolated (any lower target is 'off-target' and returns it); near the
    tip the discretised equations carry a node-to-node sawtooth direction, along which targets
    above the boundary are met, and the family ends where the sawtooth vanishes — there the
    polish stops meeting a lower target and returns the end member. So: ask for c2 below the one
    reached, by steps that double while they are met, until the polish reports 'off-target'."""
    solved = lambda r: r.status in (CONVERGED, OFF_TARGET) and math.isfinite(r.c2)
    res, polishes, rel = trained, 0, LOWER_STEP
    for _, restart, _ in restarts:     # the network's amplitude did not polish: the other starts
        if solved(res):
            break
        res = restart(trained.certificate["c2_target"])
        polishes += 1
    if not solved(res):
        return res, {"criterion": "regular threshold: no elastic solution from this start", "polishes": polishes}
    while polishes < config.max_polishes:
        q = step(res.c2 * (1.0 - rel), res)
        polishes += 1
        if not solved(q):
            break
        res = q
        if q.status == OFF_TARGET:
            # the end is a fold (the sawtooth grows like sqrt(c2 − c2_end)): a target just below the
            # c2 reached lets the least-squares polish settle on the fold itself, within C2_MATCH
            end = step(res.c2 * (1.0 - FOLD_OFFSET), res)
            polishes += 1
            res = end if end.status == CONVERGED else res
            return replace(res, status=CONVERGED, message=""), {
                "criterion": "regular threshold: the end of the elastic solutions (lower boundary)",
                "sawtooth_between_nodes": _sawtooth(res), "polishes": polishes}
        rel *= 2.0
    return replace(res, status=FAILED, message=f"no end of the regular solutions within {polishes} polishes"), {
        "criterion": "regular threshold: unbracketed", "polishes": polishes}


def _sawtooth(res: Result) -> float:
    """Signed amplitude of a node-to-node oscillation: mean of (−1)^i (|S0|² − 1) at the midpoints
    (in log(s − 4)) of the bulk intervals i, 4.05 < s < 300 (a diagnostic of the lower boundary)."""
    s = res.amplitude.grid.nodes
    s = s[(s > 4.05) & (s < 300.0)]
    mid = midpoints(s)
    v = np.abs(res.amplitude.S(0, mid)) ** 2 - 1.0
    return float(np.mean(v * (-1.0) ** np.arange(v.size)))


def _inside(r: Result) -> bool:
    return r.status == CONVERGED


def _re_end(r: Result) -> float:
    v = ((r.certificate or {}).get("regge") or {}).get("re_f0_end")
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else math.nan


def _restarts(c0: float, trained: Result, near: dict | None, nn: NNPrimalConfig, training: dict,
              config: BoundaryConfig) -> list:
    """Starts for when the trained network's polished amplitude is unusable (near the tip the
    family is stiff and a network hot-started from the neighbour can be far from any amplitude, or
    polish onto a member above the boundary): the neighbouring slice's polished boundary amplitude
    continued in c0 (upper boundary: at NEIGHBOUR_INSIDE below the neighbour's boundary c2, which
    stays inside as the chain's c0 grows; `C0_STEP` substeps in log c0, each polished from the
    last), then the network's ρ polished anew at the target with the full Levenberg–Marquardt
    budget. Each is (name, target → polished Result, whether lower targets are worth trying)."""
    out = []
    if near and near.get("h") is not None and near["h"].shape == trained.extra["h"].shape:
        def neighbour(_: float) -> Result:
            n = max(1, math.ceil(abs(math.log(c0 / near["c0"])) / C0_STEP))
            h, L0 = near["h"], near["tail_L0"]
            target = near["c2"] * (1.0 - NEIGHBOUR_INSIDE if nn.ansatz == "singular" else 1.0)
            for k in range(n + 1):     # k = 0: into the neighbour's family at its c0, then on in c0
                r = polish_from(near["c0"] * (c0 / near["c0"]) ** (k / n), target, h, nn, training, False,
                                config.step_lm_iter, L0)
                if r.status not in (CONVERGED, OFF_TARGET):
                    return r
                h, L0 = r.extra["h"], r.certificate["tail_L0"]
            return r
        out.append(("neighbour amplitude continued in c0", neighbour, False))
    return out + [("network", lambda t: polish_from(c0, t, trained.extra["h_nn"], nn, training, False), True)]


def _secant_zero(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Zero of the line through (c2, Re f0(s_end)) pairs p and q (nan if it has none)."""
    (x1, f1), (x2, f2) = p, q
    return x1 - f1 * (x2 - x1) / (f2 - f1) if f2 != f1 and math.isfinite(f1 + f2) else math.nan


def _upper(trained: Result, step, restarts, config: BoundaryConfig, hot: bool) -> tuple[Result, dict]:
    """Continue the singular family in c2 until the Regge criterion fails, then close the bracket
    (`step(target, r, before=)`: a polish from amplitude r, predicted from `before`; `restarts`:
    (name, target → polished Result) to try in turn when the trained network's amplitude is outside)."""
    polishes = 0

    def member(r: Result) -> tuple[Result, int]:
        """An amplitude that missed its target but is inside (a family member that the stiff polish
        did not move far enough): re-polished at the c2 it reached."""
        if not _inside(r) and r.status == OFF_TARGET and r.certificate["regge"]["inside"]:
            return step(r.c2, r), 1
        return r, 0

    a, polishes = member(trained)
    target, start = trained.certificate["c2_target"], "network"
    # outside, or stuck well below the start target (near the tip the family is stiff: a continuation
    # from far inside does not reach the boundary within the budget): other starts, walked down in
    # target, keeping the inside one closest to the boundary
    short = lambda r: not _inside(r) or r.c2 < WALK_DOWN * target
    for name, restart, walk in restarts:
        t = target
        while short(a) and polishes < config.max_polishes and t > WALK_DOWN ** WALK_STEPS * target:
            q, extra = member(restart(t))
            polishes += 1 + extra
            if _inside(q) and (not _inside(a) or q.c2 > a.c2) or not _inside(a):
                a, start = q, name
            t = t * WALK_DOWN if walk else 0.0
    if not _inside(a):
        return a, {"criterion": "no inside start found", "polishes": polishes}
    prev, b, dc = None, None, (HOT_FIRST_STEP if hot else FIRST_STEP) * a.c2
    grow = 1.0
    while b is None and polishes < config.max_polishes:
        trial = a.c2 + grow * dc
        if prev is not None:                                         # secant extrapolation to the zero
            zero = _secant_zero((prev.c2, _re_end(prev)), (a.c2, _re_end(a)))
            if zero > a.c2:
                trial = min(zero * (1.0 + ACROSS * config.rel_tol), trial)
        q = step(trial, a, before=prev)
        polishes += 1
        if _inside(q):
            prev, a, dc, grow = a, q, q.c2 - a.c2, MAX_GROWTH
        elif q.status == OUTSIDE:                                    # the criterion fails: bracketed
            b = q
        else:                                                        # the polish did not get there: shorter step
            dc, grow = 0.5 * (trial - a.c2), 1.0
    if b is None:
        return replace(a, status=FAILED, message=f"no upper boundary within {polishes} polishes "
                       f"(c2 = {a.c2:.8g} still inside)"), {"criterion": "unbracketed", "polishes": polishes}
    known = lambda r: (r.c2, _re_end(r)) if r.certificate.get("target_met") else None
    trials = [p for p in (known(prev) if prev else None, known(a), known(b)) if p]   # (c2, Re f0(s_end))
    moved, reach, weight, widths = "b", math.inf, 1.0, []   # reach: how far from `a` the polish is trusted to go
    while b.certificate["c2_target"] - a.c2 > config.rel_tol * a.c2 and polishes < config.max_polishes:
        lo, hi = a.c2, b.certificate["c2_target"]
        fb = _re_end(b) if b.certificate.get("target_met") else math.nan
        zero = _secant_zero(*trials[-2:]) if len(trials) >= 2 else math.nan    # the last two: superlinear
        if not lo < zero < hi:           # regula falsi on the ends, Illinois-weighted (Re f0 drops steeply outside)
            zero = _secant_zero((lo, _re_end(a)), (hi, weight * fb))
        widths.append(hi - lo)
        if not lo < zero < hi or (len(widths) > 2 and widths[-1] > 0.5 * widths[-3]):
            zero = 0.5 * (lo + hi)        # the bracket did not halve in two trials: bisect (Dekker's safeguard)
        # step across the estimated zero, towards the end that did not move last
        trial = zero * (1.0 - ACROSS * config.rel_tol if moved == "b" else 1.0 + ACROSS * config.rel_tol)
        trial = float(np.clip(trial, lo + SAFEGUARD * (hi - lo), hi - SAFEGUARD * (hi - lo)))
        trial = min(trial, lo + reach)
        q = step(trial, a, before=prev)
        polishes += 1
        if _inside(q):
            weight = 0.5 * weight if moved == "a" else weight     # the outer end stalls: halve its weight
            prev, a, moved, reach = a, q, "a", 2.0 * reach
        elif q.status == OUTSIDE:
            b, moved, weight = q, "b", 1.0
        else:                # too far from `a` for the polish (stiff near the boundary): a shorter step
            reach = 0.5 * (trial - lo)
        if known(q):
            trials.append(known(q))
    width = b.certificate["c2_target"] - a.c2
    info = {"criterion": "singular threshold, Regge tail (P1 §5.1): Re f0 > 0 and decaying at large s",
            "bracket": [a.c2, b.certificate["c2_target"]], "bracket_width_rel": width / a.c2,
            "outside_reason": b.message, "polishes": polishes, "continuation_start": start}
    if width > config.rel_tol * a.c2:
        return replace(a, status=FAILED, message=f"the boundary bracket is still {width / a.c2:.1e} wide "
                       f"after {polishes} polishes (rel_tol {config.rel_tol:g})"), info
    return a, info


def _side(checkpoint: str) -> Path:
    """The boundary a checkpointed network gave, next to it."""
    return Path(checkpoint).with_suffix(".boundary.json")


def _neighbour(init: str) -> dict:
    """The seed's c0, boundary c2 and polished amplitude (node values h, tail L0); empty when it
    did not converge or is unreadable: the weights still seed the training, the start target is
    then the cold one)."""
    try:
        info = json.loads(_side(init).read_text())
        return {"c0": float(info["c0"]), "c2": float(info["c2"]), "tail_L0": float(info["tail_L0"]),
                "h": np.asarray(info["h"], dtype=float)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _record(checkpoint: str, c0: float, res: Result, grid: GridSpec) -> None:
    """The boundary next to the checkpoint; an amplitude re-polished on a finer grid (the
    resolution routes of the certificate) is recorded at this grid's imposed nodes, where the next
    slice's neighbour start needs it."""
    path = _side(checkpoint)
    tmp = path.with_suffix(".tmp")
    h = res.extra["h"]
    points = grid_operators(grid).points
    if h.shape != points.shape:
        h = res.amplitude.grid.h_values(points) @ res.amplitude.h_nodes
    tmp.write_text(json.dumps({"c0": c0, "c2": res.c2, "tail_L0": res.certificate["tail_L0"],
                               "h": [float(v) for v in h]}))
    tmp.replace(path)


__all__ = ["BoundaryConfig", "boundary_c2"]
