"""The boundary of the zero-ddisc almond at fixed c0 by the neural primal (P1 §5.1, Fig. 2a).

- **Lower boundary (min c2): the regular ansatz (57a).** With S0(4) = 1 the elastic equations at
  fixed c0 have one isolated solution, and its c2 is the lower boundary (docs/nn_primal.md). The
  network is trained on unitarity alone (γ = 0: no c2 target to bias it), the Newton polish finds
  the isolated solution, and a second polish with the c2 it reached as target certifies it.
- **Upper boundary (max c2): the singular ansatz (57b) and the Regge criterion.** With S0(4) = −1
  the elastic amplitudes form a one-parameter family in c2; above the boundary the family
  continues on the grid but Re f0 at large s turns negative (no decaying tail). The network is
  trained at a start target inside, then the family is continued in c2 by Newton polishes (each
  from the previous amplitude): the step doubles until the criterion fails, and the bracket
  [inside, outside] is shrunk by regula falsi on Re f0(s_end) (the criterion's own quantity, which
  crosses zero smoothly at the boundary), safeguarded to at least 10 % of the bracket per side,
  until its width is ≤ `rel_tol`·c2. The reported amplitude is the inside end: polished, certified
  on the dense grid, with a decaying Regge tail; the bracket is in its certificate.

Hot start: each trained network is kept in the kernel cache (smatrix.cache.cache_dir(),
`primal-nn-boundary/`) with the boundary it gave; a later point on the same branch starts from
the network of the nearest c0 already there (`hot_epochs` instead of `epochs`, P1: ×2 fewer) and
from a start target scaled from that boundary. Which network seeded a point is recorded.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from smatrix.cache import cache_dir
from smatrix.errors import BadInput
from smatrix.result import Result, config_hash
from smatrix.status import CONVERGED, FAILED, OFF_TARGET
from smatrix.unitarity import GridSpec

from .checkpoint import CHECKPOINT_SCHEMA
from .zero_ddisc_primal import NNPrimalConfig, polish_from, train_primal

BRANCH = {"min-c2": "regular", "max-c2": "singular"}
START_FRACTION = 0.5          # cold start target of the upper boundary: this × 3c0/64 (the tangent, eq. 35)
HOT_START_FRACTION = 0.9      # hot start target: this × the neighbour's boundary × c0/c0'
FIRST_STEP = 0.05             # first continuation step, relative to the start c2
FOLD_OFFSET = 5e-7            # below the end of the regular solutions, relative (< C2_MATCH)
LOWER_STEP = 1e-3             # first step below the reached c2 on the lower boundary, relative
SAFEGUARD = 0.1               # regula-falsi trials stay this fraction of the bracket away from its ends


@dataclass(frozen=True)
class BoundaryConfig:
    epochs: int = 1000            # Adam epochs from a fresh network
    hot_epochs: int = 300         # … from the network of the nearest slice
    hot_start: bool = True
    rel_tol: float = 2e-5         # upper boundary: width of the final [inside, outside] bracket, relative
    max_polishes: int = 30        # continuation + bracketing budget of the upper boundary
    bulk: int = 250               # bulk nodes of the primal grid (smatrix.unitarity.GridSpec)
    seed: int = 0

    def validate(self) -> None:
        if self.epochs < 1 or self.hot_epochs < 1 or self.max_polishes < 2 or not 0 < self.rel_tol < 0.1:
            raise BadInput("primal-nn needs epochs, hot_epochs ≥ 1, max_polishes ≥ 2 and 0 < rel_tol < 0.1")


def boundary_c2(objective: str, c0: float, config: BoundaryConfig = BoundaryConfig()) -> Result:
    """min c2 (regular ansatz) or max c2 (singular ansatz + Regge criterion) at fixed c0."""
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
    seeds = _Seeds(nn) if config.hot_start else None
    near = seeds.nearest(c0) if seeds else None
    if near is not None:
        nn = replace(nn, epochs=config.hot_epochs)
    start = _start_target(objective, c0, near)
    trained = train_primal(c0, start, nn, init=near["checkpoint"] if near else None,
                           checkpoint=seeds.checkpoint(c0) if seeds else None, progress=False, certify=False)
    training = {k: trained.certificate.get(k) for k in ("nn_residual", "c2_nn", "training_loss", "epochs",
                                                        "threshold_width")}
    if objective == "min-c2":
        res, info = _lower(c0, trained, nn, training, config)
    else:
        res, info = _upper(c0, trained, nn, training, config)
    if res.status == CONVERGED:           # the reported amplitude: re-measured on the dense grid
        res = polish_from(c0, res.c2, res.extra["h"], nn, training)
    if seeds and res.status == CONVERGED:
        seeds.record(c0, res.c2)
    info.update({"ansatz": ansatz, "start_target": start, "hot_start_from_c0": near["c0"] if near else None,
                 "epochs": nn.epochs, "config": asdict(config)})
    cert = {**(res.certificate or {}), "boundary": info}
    ok = res.status == CONVERGED
    message = res.message if not ok else ""
    return replace(res, objective=objective, value=res.c2 if ok else None, certificate=cert,
                   certified=bool(res.certified and ok), seconds=time.perf_counter() - t0, message=message,
                   config={**res.config, "objective": objective, "boundary": asdict(config)})


def _start_target(objective: str, c0: float, near: dict | None) -> float:
    tangent = 3.0 * c0 / 64.0                      # c2 ≈ 3c0/64 near the origin (eq. 35)
    if near is not None and near.get("c2"):
        return HOT_START_FRACTION * near["c2"] * c0 / near["c0"] if objective == "max-c2" else near["c2"] * c0 / near["c0"]
    return START_FRACTION * tangent


def _lower(c0: float, trained: Result, nn: NNPrimalConfig, training: dict,
           config: BoundaryConfig) -> tuple[Result, dict]:
    """Regular threshold: the elastic solutions at fixed c0 end at the lower boundary. Away from
    the tip the solution is isolated (any lower target is 'off-target' and returns it); near the
    tip the discretised equations carry a node-to-node sawtooth direction, along which targets
    above the boundary are met, and the family ends where the sawtooth vanishes — there the
    polish stops meeting a lower target and returns the end member. So: ask for c2 below the one
    reached, by steps that double while they are met, until the polish reports 'off-target'."""
    solved = lambda r: r.status in (CONVERGED, OFF_TARGET) and math.isfinite(r.c2)
    res, polishes, step = trained, 0, LOWER_STEP
    if not solved(res):
        return res, {"criterion": "regular threshold: no elastic solution from this start", "polishes": 0}
    while polishes < config.max_polishes:
        q = polish_from(c0, res.c2 * (1.0 - step), res.extra["h"], nn, training, False)
        polishes += 1
        if not solved(q):
            break
        res = q
        if q.status == OFF_TARGET:
            # the end is a fold (the sawtooth grows like sqrt(c2 − c2_end)): a target just below the
            # c2 reached lets the least-squares polish settle on the fold itself, within C2_MATCH
            end = polish_from(c0, res.c2 * (1.0 - FOLD_OFFSET), res.extra["h"], nn, training, False)
            polishes += 1
            res = end if end.status == CONVERGED else res
            return replace(res, status=CONVERGED, message=""), {
                "criterion": "regular threshold: the end of the elastic solutions (lower boundary)",
                "sawtooth_between_nodes": _sawtooth(res), "polishes": polishes}
        step *= 2.0
    return replace(res, status=FAILED, message=f"no end of the regular solutions within {polishes} polishes"), {
        "criterion": "regular threshold: unbracketed", "polishes": polishes}


def _sawtooth(res: Result) -> float:
    """Signed amplitude of a node-to-node oscillation: mean of (−1)^i (|S0|² − 1) at the midpoints
    (in log(s − 4)) of the bulk intervals i, 4.05 < s < 300 (a diagnostic of the lower boundary)."""
    s = res.amplitude.grid.nodes
    s = s[(s > 4.05) & (s < 300.0)]
    mid = 4.0 + np.sqrt((s[1:] - 4.0) * (s[:-1] - 4.0))
    v = np.abs(res.amplitude.S(0, mid)) ** 2 - 1.0
    return float(np.mean(v * (-1.0) ** np.arange(v.size)))


def _inside(r: Result) -> bool:
    return r.status == CONVERGED


def _re_end(r: Result) -> float:
    v = ((r.certificate or {}).get("regge") or {}).get("re_f0_end")
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else math.nan


def _upper(c0: float, trained: Result, nn: NNPrimalConfig, training: dict,
           config: BoundaryConfig) -> tuple[Result, dict]:
    """Continue the singular family in c2 until the Regge criterion fails, then shrink the bracket."""
    polishes = 0
    a = trained
    if not _inside(a) and a.status == OFF_TARGET and a.certificate["regge"]["inside"]:
        a = polish_from(c0, a.c2, a.extra["h"], nn, training, False)  # a family member: accept the c2 it reached
        polishes += 1
    target = a.certificate["c2_target"]
    while not _inside(a):                                            # start outside: walk down
        if polishes >= config.max_polishes or a.extra.get("h") is None:
            return a, {"criterion": "no inside start found", "polishes": polishes}
        target *= 0.7
        a = polish_from(c0, target, a.extra["h"], nn, training, False)
        polishes += 1
    step, b = FIRST_STEP * a.c2, None
    while b is None and polishes < config.max_polishes:
        q = polish_from(c0, a.c2 + step, a.extra["h"], nn, training, False)
        polishes += 1
        if _inside(q):
            a, step = q, 2.0 * step
        else:
            b = q
    if b is None:
        return replace(a, status=FAILED, message=f"no upper boundary within {polishes} polishes "
                       f"(c2 = {a.c2:.8g} still inside)"), {"criterion": "unbracketed", "polishes": polishes}
    while b.certificate["c2_target"] - a.c2 > config.rel_tol * a.c2 and polishes < config.max_polishes:
        lo, hi = a.c2, b.certificate["c2_target"]
        fa, fb = _re_end(a), _re_end(b)
        frac = fa / (fa - fb) if fa > 0 > fb else 0.5                 # regula falsi on Re f0(s_end)
        trial = lo + (hi - lo) * float(np.clip(frac, SAFEGUARD, 1.0 - SAFEGUARD))
        q = polish_from(c0, trial, a.extra["h"], nn, training, False)
        polishes += 1
        if _inside(q):
            a = q
        else:
            b = q
    width = b.certificate["c2_target"] - a.c2
    info = {"criterion": "singular threshold, Regge tail (P1 §5.1): Re f0 > 0 and decaying at large s",
            "bracket": [a.c2, b.certificate["c2_target"]], "bracket_width_rel": width / a.c2,
            "outside_reason": b.message, "polishes": polishes}
    if width > config.rel_tol * a.c2:
        return replace(a, status=FAILED, message=f"the boundary bracket is still {width / a.c2:.1e} wide "
                       f"after {polishes} polishes (rel_tol {config.rel_tol:g})"), info
    return a, info


class _Seeds:
    """Networks (and the boundary they gave) of earlier points on the same branch and grid."""

    def __init__(self, nn: NNPrimalConfig):
        root = cache_dir()
        shape = {k: v for k, v in asdict(nn).items() if k in ("ansatz", "width", "sub_depth", "head_depth",
                                                                "alpha", "grid", "seed")}
        shape["checkpoint"] = CHECKPOINT_SCHEMA      # seeds of an older checkpoint format are not looked at
        self.dir = None if root is None else Path(root) / "primal-nn-boundary" / f"{nn.ansatz}-{config_hash(shape)}"
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)

    def __bool__(self) -> bool:
        return self.dir is not None

    def checkpoint(self, c0: float) -> str:
        return str(self.dir / f"c0={c0!r}.pt")

    def nearest(self, c0: float) -> dict | None:
        found = []
        for side in self.dir.glob("c0=*.json"):
            try:
                info = json.loads(side.read_text())
                c0_seed, c2_seed = float(info["c0"]), float(info["c2"])
            except (OSError, ValueError, KeyError, TypeError):
                continue                      # an unreadable seed is skipped, never trusted
            ckpt = Path(self.checkpoint(c0_seed))
            if c0_seed != c0 and c0_seed > 0 and ckpt.exists():
                found.append((abs(math.log(c0_seed / c0)), {"c0": c0_seed, "c2": c2_seed, "checkpoint": str(ckpt)}))
        return min(found, key=lambda f: f[0])[1] if found else None

    def record(self, c0: float, c2: float) -> None:
        path = self.dir / f"c0={c0!r}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"c0": c0, "c2": c2}))
        tmp.replace(path)


__all__ = ["BoundaryConfig", "boundary_c2"]
