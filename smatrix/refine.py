"""Adaptive refinement shared by every primal method: solve → re-measure unitarity on the dense
certificate grid → add the points where it is violated → re-solve, until the certificate passes
or the stated budget is spent (issue 19).

A primal method supplies `solve_at(points) -> Attempt`: the solve with unitarity imposed at (or
resolved around) `points` and its *independent* re-measurement — |S|² − 1 (+ η) of the returned
amplitude at the certificate's check points, evaluated from the amplitude itself, never from the
matrices the solve used. What "points" means is the method's business: imposed unitarity points
for the wavelet ansätze, extra spectral nodes for the grid. The loop only decides which points to
add: the local maxima of the violation above `target × tolerance` and their neighbouring check
points (a cutting-plane step), at most `per_round` peaks per round. A certificate that passes
on the usual 4× check points is confirmed once on `confirm`× (16×) as many — narrow spikes
between the 4× points are real (a grid max c2 passed at 4× with 1.2e-7 and showed 1.2e-4 at
8×) — and the loop goes on from the denser measurement when the confirmation fails.

The final Result carries `certificate["refinement"]`: the budget and one entry per round (points,
value, violation, where, seconds), so a reader sees how certification was reached or why not.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from .certificate import Certificate
from .certify import spin0_certificate
from .result import Result


@dataclass(frozen=True)
class RefineBudget:
    """What the loop may spend: re-solves after the first, points added in all, wall seconds."""

    rounds: int = 8
    max_added: int = 600
    seconds: float = 30.0
    per_round: int = 24          # violation peaks taken per round (each with its two neighbours)
    target: float = 0.25         # add points where the violation exceeds target × tolerance
    neighbours: bool = True      # with each peak also its two neighbouring check points
    confirm: int = 16            # a passing certificate is confirmed on this many × the imposed points


@dataclass
class Attempt:
    """One solve and its re-measurement: `violation` = |S|² − 1 (+ η) at `check_s` (None when the
    solve itself failed; the Result then says why)."""

    result: Result
    check_s: np.ndarray | None = None
    violation: np.ndarray | None = None
    # (factor, (s, violation) already measured) → (s, violation) on factor× the imposed points
    remeasure: Callable[[int, tuple[np.ndarray, np.ndarray]], tuple[np.ndarray, np.ndarray]] | None = None
    spin: int | None = None   # the highest spin above the imposed ones the re-measurement found violated
    band: tuple[int, float, float] | None = None   # (J, s_lo, s_hi): spins to impose in an energy window only


def merge_bands(a: tuple[int, float, float] | None, b: tuple[int, float, float] | None):
    """The smallest band containing both (J up to the larger spin, the union window); None if neither."""
    if a is None or b is None:
        return a if b is None else b
    return max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2])


def violating_points(check_s: np.ndarray, violation: np.ndarray, threshold: float, per_round: int,
                     neighbours: bool = True) -> np.ndarray:
    """The `per_round` largest local maxima of `violation` above `threshold`, each with its two
    neighbouring check points when `neighbours` (sorted, unique)."""
    s = np.asarray(check_s, dtype=float)
    v = np.asarray(violation, dtype=float)
    v = np.where(np.isfinite(v), v, np.inf)
    padded = np.concatenate([[-np.inf], v, [-np.inf]])
    peak = (v > threshold) & (v >= padded[:-2]) & (v >= padded[2:])
    idx = np.nonzero(peak)[0]
    idx = idx[np.argsort(-v[idx])][:per_round]
    if not neighbours:
        return np.sort(s[idx])
    around = np.unique(np.clip(np.concatenate([idx - 1, idx, idx + 1]), 0, s.size - 1))
    return s[around]


def merge_points(points: np.ndarray, new: np.ndarray, rel: float = 1e-12) -> np.ndarray:
    """`points` ∪ `new`, dropping new points within `rel` (relative in s − 4) of an existing one."""
    points = np.sort(np.asarray(points, dtype=float))
    new = np.unique(np.asarray(new, dtype=float))
    if points.size and new.size:
        k = np.clip(np.searchsorted(points, new), 1, points.size - 1)
        near = np.minimum(np.abs(new - points[k - 1]), np.abs(new - points[k])) <= rel * np.abs(new - 4.0)
        new = new[~near]
    return np.sort(np.concatenate([points, new]))


def refine_until_certified(solve_at: Callable[[np.ndarray], Attempt], points: np.ndarray,
                           budget: RefineBudget = RefineBudget()) -> Result:
    """Run the loop (module docstring) from `points`; returns the last Result with the rounds in
    its certificate (`refinement`) and the final points in `extra["refined_points"]`."""
    t0 = time.perf_counter()
    start = np.sort(np.asarray(points, dtype=float))
    current = start
    rounds: list[dict] = []
    while True:
        att = solve_at(current)
        res = att.result
        cert = res.certificate or {}
        rounds.append({"round": len(rounds), "points": int(current.size), "value": res.value,
                       "status": res.status, "violation": cert.get("max_unitarity_violation"),
                       "worst_s": (cert.get("details") or {}).get("worst_s", cert.get("worst_s")),
                       "elapsed": time.perf_counter() - t0})
        if att.violation is None:
            break
        check_s, violation = att.check_s, att.violation
        if res.certified and budget.confirm and att.remeasure is not None:
            check_s, violation = att.remeasure(budget.confirm, (check_s, violation))
            _confirmation(res, current, check_s, violation, budget.confirm)
            rounds[-1]["confirmed_violation"] = res.certificate["max_unitarity_violation"]
        if res.certified:
            break
        tol = float(cert.get("tolerance"))
        new = violating_points(check_s, violation, budget.target * tol, budget.per_round, budget.neighbours)
        grown = merge_points(current, new)
        spent = time.perf_counter() - t0
        if (grown.size == current.size or len(rounds) > budget.rounds
                or grown.size - start.size > budget.max_added or spent > budget.seconds):
            break
        current = grown
    if res.certificate is not None:
        res.certificate["refinement"] = {"rounds": rounds, "budget": asdict(budget),
                                         "points_added": int(current.size - start.size),
                                         "passed": bool(res.certified)}
    res.extra["refined_points"] = current
    res.seconds = time.perf_counter() - t0
    return res


def refine_jointly(solve_rows: Callable[..., list[Attempt]], points: np.ndarray,
                   budget: RefineBudget = RefineBudget(), spins: int | None = None,
                   spin_limit: int | None = None, band: tuple[int, float, float] | None = None
                   ) -> tuple[list[Result], np.ndarray, int | None, tuple[int, float, float] | None]:
    """The loop for the rows of a table whose constraint sets are nested (row k + 1 imposes more than
    row k, e.g. the J_min of P2 Tables 2–3), which must stay nested after refinement.
    `solve_rows(points, first)` (`solve_rows(points, first, spins, band)` when `spins` is given: the
    highest imposed spin, and the spin band imposed in an energy window only, or None) solves rows
    first, first + 1, … . Each round, the uncertified rows' re-measurements propose their
    `violating_points`; the union is added, and when some row's violation sits at a spin above
    `spins` (`Attempt.spin`) the imposed spins grow to the highest such spin (at most `spin_limit`);
    the bands the rows ask for (`Attempt.band`, waves above the limit) are merged into one; the rows
    from the first uncertified one on are re-solved. A certified prefix of
    rows is kept: its points and spins are subsets of every later row's, so each row is certified
    and its constraint set still contains the next row's (max c0 non-increasing, min c2
    non-decreasing down the table). Ends when every row is certified or the budget is spent (a spin
    step counts as a round). Returns the Results (each with the shared `certificate["refinement"]`;
    `certificate["imposed_points"]` says on how many points), the final points, the final spin cut
    and the final band."""
    t0 = time.perf_counter()
    start = np.sort(np.asarray(points, dtype=float))
    current = start
    rounds: list[dict] = []
    atts: list[Attempt] = []
    kept = 0
    while True:
        atts = atts[:kept] + (solve_rows(current, kept) if spins is None else solve_rows(current, kept, spins, band))
        results = [a.result for a in atts]
        rounds.append({"round": len(rounds), "points": int(current.size), "spins": spins, "band": band,
                       "first_row_solved": kept,
                       "values": [r.value for r in results], "certified": [bool(r.certified) for r in results],
                       "violations": [(r.certificate or {}).get("max_unitarity_violation") for r in results],
                       "elapsed": time.perf_counter() - t0})
        while kept < len(atts) and atts[kept].result.certified:
            kept += 1
        failing = [a for a in atts[kept:] if a.violation is not None and not a.result.certified]
        new = [violating_points(a.check_s, a.violation, budget.target * float(a.result.certificate["tolerance"]),
                                budget.per_round, budget.neighbours) for a in failing]
        grown_spins, grown_band = spins, band
        if spins is not None:
            asked = [a.spin for a in failing if a.spin is not None and a.spin > spins]
            if asked:
                grown_spins = max(asked) if spin_limit is None else min(max(asked), spin_limit)
            for a in failing:
                grown_band = merge_bands(grown_band, a.band)
        if kept == len(atts) or not (new or grown_band != band):
            break
        grown = merge_points(current, np.concatenate(new)) if new else current
        if ((grown.size == current.size and grown_spins == spins and grown_band == band) or len(rounds) > budget.rounds
                or grown.size - start.size > budget.max_added or time.perf_counter() - t0 > budget.seconds):
            break
        current, spins, band = grown, grown_spins, grown_band
    log = {"rounds": rounds, "budget": asdict(budget), "points_added": int(current.size - start.size),
           "spins": spins, "spin_limit": spin_limit, "band": band, "passed": all(r.certified for r in results),
           "shared": True}
    for r in results:
        if r.certificate is not None:
            r.certificate["refinement"] = log
    return results, current, spins, band


def _confirmation(res: Result, imposed: np.ndarray, s: np.ndarray, violation: np.ndarray, factor: int) -> None:
    """Replace the certificate's measurement by the denser one (a superset of its points); its
    further checks stay as they were."""
    cert: Certificate = res.certificate
    dense = spin0_certificate(s, violation, float(cert.tolerance), factor, int(imposed.size))
    cert.max_unitarity_violation, cert.check_points = dense.max_unitarity_violation, dense.check_points
    cert.spins_checked, cert.per_spin_max = dense.spins_checked, dense.per_spin_max
    cert.details.update(dense.details)
    res.certified = cert.passed


__all__ = ["Attempt", "RefineBudget", "merge_bands", "merge_points", "refine_jointly", "refine_until_certified", "violating_points"]
