"""SDPB: one representation of a (sampled) SDP, its writers, a runner and the output parser.

Representation (spec solvers.md): maximise b0 + b·y over free y subject to, for every block j,
M⁰_j + Σ_n y_n Mⁿ_j ⪰ 0 with constant symmetric matrices — SDPB's polynomial-matrix blocks of
degree 0 (one sample point 0, scaling 1, bilinear basis [1]). Entries are mpmath numbers built
in high precision by the problem's own formulas (never converted from float64 matrices) and are
written with all their digits. Linear equalities are eliminated before export.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import mpmath as mp
import numpy as np

SDPB_DEFAULTS = {"precision": 256, "maxThreads": 2, "initialMatrixScalePrimal": "1e3",
                 "initialMatrixScaleDual": "1e3", "stepLengthReduction": 0.9,
                 "dualityGapThreshold": "1e-30", "primalErrorThreshold": "1e-30",
                 "dualErrorThreshold": "1e-30", "maxIterations": 500}


class SDPBError(RuntimeError):
    """sdpb missing, killed, timed out, or its output unreadable (reported without traceback)."""


@dataclass
class SDPBProblem:
    """maximise b[0] + b[1:]·y  subject to  blocks[j][0] + Σ_n y_n blocks[j][n] ⪰ 0."""

    objective: list                      # N + 1 mpmath numbers, b0 first
    blocks: list                         # each: object array (N + 1, k, k) of mpmath numbers
    digits: int
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.objective)
        for j, blk in enumerate(self.blocks):
            if blk.shape[0] != n or blk.shape[1] != blk.shape[2]:
                raise ValueError(f"block {j} has shape {blk.shape}, expected ({n}, k, k)")

    @property
    def variables(self) -> int:
        return len(self.objective) - 1


def _num(x, digits: int) -> str:
    """All `digits` digits of x (the conversion runs at that precision: mpmath rounds every number
    to the working precision, which would otherwise silently be double precision)."""
    with mp.workdps(digits + 5):
        return mp.nstr(mp.mpf(x), digits + 5, strip_zeros=False, min_fixed=-1, max_fixed=-1)


def write_xml(problem: SDPBProblem, path: Path) -> Path:
    """SDPB 1.0 XML (also read by pvm2sdp / pmp2sdp); symmetric blocks written with both triangles."""
    d = problem.digits
    out = ['<?xml version="1.0"?>', "<sdp>", "<objective>"]
    out += [f"<elt>{_num(b, d)}</elt>" for b in problem.objective]
    out += ["</objective>", "<polynomialVectorMatrices>"]
    for blk in problem.blocks:
        k = blk.shape[1]
        out += ["<polynomialVectorMatrix>", f"<rows>{k}</rows><cols>{k}</cols>", "<elements>"]
        for r in range(k):
            for c in range(k):
                out.append("<polynomialVector>" + "".join(
                    f"<polynomial><coeff>{_num(blk[n, r, c], d)}</coeff></polynomial>"
                    for n in range(blk.shape[0])) + "</polynomialVector>")
        out += ["</elements>", "<samplePoints><elt>0</elt></samplePoints>",
                "<sampleScalings><elt>1</elt></sampleScalings>",
                "<bilinearBasis><polynomial><coeff>1</coeff></polynomial></bilinearBasis>",
                "</polynomialVectorMatrix>"]
    out += ["</polynomialVectorMatrices>", "</sdp>"]
    path = Path(path)
    path.write_text("\n".join(out) + "\n")
    return path


def write_json_pmp(problem: SDPBProblem, path: Path) -> Path:
    """SDPB 2.x/3.x JSON PMP (all numbers as strings; degree-0 polynomials)."""
    d = problem.digits
    pmp = {"objective": [_num(b, d) for b in problem.objective],
           "PositiveMatrixWithPrefactorArray": [
               {"polynomials": [[[[_num(blk[n, r, c], d)] for n in range(blk.shape[0])]
                                 for c in range(blk.shape[1])] for r in range(blk.shape[1])]}
               for blk in problem.blocks]}
    path = Path(path)
    path.write_text(json.dumps(pmp))
    return path


@dataclass
class SDPBResult:
    terminate_reason: str
    optimal: bool
    primal_objective: mp.mpf
    dual_objective: mp.mpf
    duality_gap: mp.mpf
    primal_error: mp.mpf
    dual_error: mp.mpf
    y: list
    seconds: float
    files: dict


_KEYS = {"terminateReason": "terminate_reason", "primalObjective": "primal_objective",
         "dualObjective": "dual_objective", "dualityGap": "duality_gap", "primalError": "primal_error",
         "dualError": "dual_error"}


def parse_out(text: str, digits: int = 60) -> dict:
    """Parse SDPB's `.out` file (`key = value;` lines, y = {...})."""
    found = {}
    with mp.workdps(digits):
        for key, name in _KEYS.items():
            m = re.search(rf"^{key}\s*=\s*(.+?);\s*$", text, re.M)
            if not m:
                raise SDPBError(f"SDPB output has no {key} line")
            val = m.group(1).strip()
            found[name] = val.strip('"') if key == "terminateReason" else mp.mpf(val)
        m = re.search(r"^y\s*=\s*\{(.*?)\};", text, re.M | re.S)
        if not m:
            raise SDPBError("SDPB output has no y = {...} vector")
        found["y"] = [mp.mpf(v) for v in m.group(1).replace("\n", "").split(",") if v.strip()]
    return found


def run_sdpb(problem: SDPBProblem, workdir: str | Path | None = None, timeout: float = 600.0,
             options: dict | None = None, executable: str = "sdpb") -> SDPBResult:
    """Write the problem, run sdpb with a fresh checkpoint path, parse the result."""
    exe = shutil.which(executable)
    if exe is None:
        raise SDPBError(f"`{executable}` not found on PATH: install SDPB (Debian: apt-get install -y sdpb) "
                        "or use `smatrix sdpb export` and run it elsewhere")
    if workdir is None:  # files are kept only where the caller asks for them
        with tempfile.TemporaryDirectory(prefix="smatrix-sdpb-") as tmp:
            res = run_sdpb(problem, tmp, timeout, options, executable)
        res.files = {k: f"{v} (temporary, removed)" for k, v in res.files.items()}
        return res
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    stamp = f"{int(time.time() * 1e6)}"
    xml = write_xml(problem, work / f"problem-{stamp}.xml")
    out, ck = work / f"problem-{stamp}.out", work / f"problem-{stamp}.ck"   # never reuse a checkpoint
    opts = {**SDPB_DEFAULTS, **(options or {})}
    cmd = [exe, "-s", str(xml), "-o", str(out), "-c", str(ck), "--noFinalCheckpoint"]
    cmd += [f"--{k}={v}" for k, v in opts.items()]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SDPBError(f"SDPB did not finish within {timeout:g} s (problem: {xml})") from None
    seconds = time.perf_counter() - t0
    if proc.returncode != 0 or not out.exists():
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise SDPBError(f"SDPB failed (exit {proc.returncode}): {' | '.join(tail) or 'no output'}")
    parsed = parse_out(out.read_text(), problem.digits)
    reason = parsed["terminate_reason"]
    return SDPBResult(terminate_reason=reason, optimal=reason == "found primal-dual optimal solution",
                      primal_objective=parsed["primal_objective"], dual_objective=parsed["dual_objective"],
                      duality_gap=parsed["duality_gap"], primal_error=parsed["primal_error"],
                      dual_error=parsed["dual_error"], y=parsed["y"], seconds=seconds,
                      files={"xml": str(xml), "out": str(out)})


def affine_chart(c0_row, c0_fixed):
    """γ = g0 + G y: identity without a constraint; with c0_row·γ = c̄0 the coordinate with the
    largest |c0_row| is eliminated (exactly, in the working precision)."""
    k = c0_row.size
    if c0_fixed is None:
        return np.array([mp.mpf(0)] * k, dtype=object), np.eye(k, dtype=int).astype(object)
    return affine_solution(np.array([c0_row], dtype=object), [c0_fixed])


def affine_solution(A, b):
    """x = x0 + N y parametrising {x : A x = b} (A: r × k object array of mpmath numbers, full row
    rank), by Gauss–Jordan elimination with partial pivoting in the working precision."""
    A = np.array(A, dtype=object)
    r, k = A.shape
    M = np.concatenate([A, np.array(b, dtype=object).reshape(r, 1)], axis=1)
    pivots = []
    for i in range(r):
        col = max((c for c in range(k) if c not in pivots), key=lambda c: max(abs(M[j, c]) for j in range(i, r)))
        j = max(range(i, r), key=lambda j: abs(M[j, col]))
        if M[j, col] == 0:
            raise ValueError("equality constraints are linearly dependent")
        M[[i, j]] = M[[j, i]]
        M[i] = M[i] / M[i, col]
        for j in range(r):
            if j != i and M[j, col] != 0:
                M[j] = M[j] - M[j, col] * M[i]
        pivots.append(col)
    free = [c for c in range(k) if c not in pivots]
    x0 = np.array([mp.mpf(0)] * k, dtype=object)
    N = np.zeros((k, len(free)), dtype=int).astype(object)
    for col, c in enumerate(free):
        N[c, col] = mp.mpf(1)
    for i, p in enumerate(pivots):
        x0[p] = M[i, k]
        for col, c in enumerate(free):
            N[p, col] = -M[i, c]
    return x0, N


def unitarity_blocks(re_S1, im_S, radius=None) -> np.ndarray:
    """2×2 blocks [[r + Re S, Im S], [Im S, r − Re S]] ⪰ 0, i.e. |S| ≤ r (eq. 41; r = sqrt(1 − η),
    1 by default), for Re S − 1 = re_S1 @ (1, y) and Im S = im_S @ (1, y), rows with the constant
    column first: shape (points, N + 1, 2, 2)."""
    m, n1 = re_S1.shape
    r = np.array([mp.mpf(1)] * m, dtype=object) if radius is None else np.asarray(radius, dtype=object)
    blk = np.empty((m, n1, 2, 2), dtype=object)
    blk[:, :, 0, 0] = re_S1
    blk[:, :, 1, 1] = -re_S1
    blk[:, :, 0, 1] = im_S
    blk[:, :, 1, 0] = im_S
    blk[:, 0, 0, 0] = blk[:, 0, 0, 0] + 1 + r        # r + Re S = r + 1 + (Re S − 1)
    blk[:, 0, 1, 1] = blk[:, 0, 1, 1] + r - 1
    return blk
