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
from functools import cached_property, lru_cache
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

    @cached_property
    def texts(self) -> tuple[list[str], list[np.ndarray]]:
        """Every entry (objective, blocks) as a decimal string with all `digits` digits, formatted
        once for the writers and the hash; the conversion runs at that precision (mpmath rounds
        every number to the working precision, which would otherwise silently be double precision)."""
        d = self.digits + 5
        with mp.workdps(d):
            num = lambda x: "0" if x == 0 else mp.nstr(mp.mpf(x), d, strip_zeros=False, min_fixed=-1, max_fixed=-1)
            return [num(b) for b in self.objective], [np.vectorize(num, otypes=[object])(b) for b in self.blocks]


def write_xml(problem: SDPBProblem, path: Path) -> Path:
    """SDPB 1.0 XML (also read by pvm2sdp / pmp2sdp); symmetric blocks written with both triangles."""
    objective, blocks = problem.texts
    out = ['<?xml version="1.0"?>', "<sdp>", "<objective>"]
    out += [f"<elt>{b}</elt>" for b in objective]
    out += ["</objective>", "<polynomialVectorMatrices>"]
    for blk in blocks:
        k = blk.shape[1]
        out += ["<polynomialVectorMatrix>", f"<rows>{k}</rows><cols>{k}</cols>", "<elements>"]
        for r in range(k):
            for c in range(k):
                out.append("<polynomialVector>" + "".join(
                    f"<polynomial><coeff>{blk[n, r, c]}</coeff></polynomial>"
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
    """SDPB ≥ 2.7 JSON PMP for pmp2sdp (all numbers as strings; degree-0 polynomials; the
    normalization (1, 0, …, 0) makes its y the y of the XML form)."""
    objective, blocks = problem.texts
    pmp = {"objective": objective,
           "normalization": ["1"] + ["0"] * problem.variables,   # z = (1, y): SDPB 1.0's convention
           "PositiveMatrixWithPrefactorArray": [
               {"polynomials": [[[[blk[n, r, c]] for n in range(blk.shape[0])]
                                 for c in range(blk.shape[1])] for r in range(blk.shape[1])]}
               for blk in blocks]}
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
OPTIMAL = "found primal-dual optimal solution"


def _parse_scalars(text: str, digits: int) -> dict:
    """The `key = value;` lines shared by SDPB 1.0's .out file and SDPB ≥ 2's out.txt."""
    found = {}
    with mp.workdps(digits):
        for key, name in _KEYS.items():
            m = re.search(rf"^{key}\s*=\s*(.+?);\s*$", text, re.M)
            if not m:
                raise SDPBError(f"SDPB output has no {key} line")
            val = m.group(1).strip()
            found[name] = val.strip('"') if key == "terminateReason" else mp.mpf(val)
    return found


def parse_out(text: str, digits: int = 60) -> dict:
    """Parse SDPB 1.0's `.out` file (`key = value;` lines, y = {...})."""
    found = _parse_scalars(text, digits)
    m = re.search(r"^y\s*=\s*\{(.*?)\};", text, re.M | re.S)
    if not m:
        raise SDPBError("SDPB output has no y = {...} vector")
    with mp.workdps(digits):
        found["y"] = [mp.mpf(v) for v in m.group(1).replace("\n", "").split(",") if v.strip()]
    return found


def parse_y_txt(text: str, digits: int = 60) -> list:
    """SDPB ≥ 2's y.txt: a "rows cols" header (cols = 1), then the entries of y."""
    lines = text.split(None, 2)
    try:
        rows, cols = int(lines[0]), int(lines[1])
        values = lines[2].split() if len(lines) > 2 else []
        with mp.workdps(digits):
            y = [mp.mpf(v) for v in values]
    except (IndexError, ValueError):
        raise SDPBError("y.txt is not an SDPB vector (\"N 1\" header, then N numbers)") from None
    if cols != 1 or len(y) != rows:
        raise SDPBError(f"y.txt: header says {rows}×{cols}, found {len(y)} numbers")
    return y


def parse_out_dir(out_dir: str | Path, digits: int = 60) -> dict:
    """Parse an SDPB ≥ 2 output directory: out.txt (status, objectives, errors) and y.txt."""
    out_dir = Path(out_dir)
    try:
        found = _parse_scalars((out_dir / "out.txt").read_text(), digits)
        found["y"] = parse_y_txt((out_dir / "y.txt").read_text(), digits)
    except FileNotFoundError as exc:
        raise SDPBError(f"SDPB output directory {out_dir} has no {Path(exc.filename).name}") from None
    return found


@dataclass(frozen=True)
class SDPBVersion:
    """An installed SDPB: 1.x reads XML and writes one .out file; ≥ 2.7 needs `pmp2sdp` first and
    writes an output directory (out.txt, y.txt)."""

    major: int
    minor: int
    patch: int = 0

    @property
    def text(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def uses_pmp2sdp(self) -> bool:
        return (self.major, self.minor) >= (2, 7)


_VERSION = re.compile(r"SDPB\s+v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(version_out: str, help_out: str = "") -> SDPBVersion:
    """From `sdpb --version` (SDPB ≥ 2: "SDPB 3.0.0"); SDPB 1.0 has no --version, but its --help
    lists the XML input file and --maxThreads."""
    m = _VERSION.search(version_out)
    if m:
        return SDPBVersion(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    if "unrecognised option '--version'" in version_out or ("XML format" in help_out and "--maxThreads" in help_out):
        return SDPBVersion(1, 0)
    raise SDPBError(f"cannot tell the SDPB version from `sdpb --version`: {version_out.strip()[:120]!r}")


def sdpb_version(executable: str = "sdpb") -> SDPBVersion:
    """The version of the installed `executable` (SDPBError if it is missing or unrecognisable)."""
    exe = shutil.which(executable)
    if exe is None:
        raise SDPBError(f"`{executable}` not found on PATH: install SDPB (Debian: apt-get install -y sdpb) "
                        "or use `smatrix sdpb export` and run it elsewhere")
    return _version_of(exe)


@lru_cache(maxsize=8)
def _version_of(exe: str) -> SDPBVersion:
    def out(*args):
        try:
            p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SDPBError(f"cannot run {exe}: {exc}") from None
        if p.returncode < 0:
            raise SDPBError(f"SDPB failed (exit {p.returncode}, killed) when asked `{exe} {' '.join(args)}`")
        return (p.stdout or "") + (p.stderr or "")
    v = out("--version")
    return parse_version(v, "" if _VERSION.search(v) else out("--help"))


def _launcher(procs: int, mpirun: str) -> list[str]:
    return [mpirun, "-n", str(procs)] if procs > 1 else []


def sdpb3_commands(pmp: Path, work: Path, options: dict, procs: int = 1, mpirun: str = "mpirun",
                   pmp2sdp: str = "pmp2sdp", sdpb: str = "sdpb", checkpoint: Path | None = None,
                   initial_checkpoint: Path | None = None) -> tuple[list[str], list[str], Path]:
    """The two command lines of SDPB ≥ 2.7 — `pmp2sdp` (PMP JSON → SDP directory) and `sdpb` on it,
    both under `mpirun -n procs` when procs > 1 — and the output directory (out.txt, y.txt).
    A fresh checkpoint directory every run unless `checkpoint` is given (then the final
    checkpoint is kept there); `initial_checkpoint` starts from a neighbouring point's checkpoint
    (same block structure and precision)."""
    opts = {k: v for k, v in options.items() if k != "maxThreads"}   # SDPB ≥ 2 runs threads as MPI ranks
    precision = opts.pop("precision")
    sdp_dir, out_dir = work / "sdp", work / "out"
    ck = checkpoint if checkpoint is not None else work / "ck"
    conv = [*_launcher(procs, mpirun), pmp2sdp, f"--precision={precision}", "-i", str(pmp), "-o", str(sdp_dir)]
    run = [*_launcher(procs, mpirun), sdpb, f"--precision={precision}", "-s", str(sdp_dir), "-o", str(out_dir),
           "-c", str(ck), *(() if checkpoint is not None else ("--noFinalCheckpoint",)),
           *(("-i", str(initial_checkpoint)) if initial_checkpoint is not None else ()),
           *(f"--{k}={v}" for k, v in opts.items())]
    return conv, run, out_dir


def sdpb1_command(exe: str, xml: Path, out: Path, ck: Path, options: dict, keep_checkpoint: bool = False) -> list[str]:
    """SDPB 1.0: one process reading the XML, writing the .out file (checkpoint file `ck`: SDPB 1.0
    resumes from it when it exists)."""
    return [exe, "-s", str(xml), "-o", str(out), "-c", str(ck), *(() if keep_checkpoint else ("--noFinalCheckpoint",)),
            *(f"--{k}={v}" for k, v in options.items())]


def _run(cmd: list[str], timeout: float, what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SDPBError(f"{what} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise SDPBError(f"{what} could not be started ({exc.strerror}): {cmd[0]}") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise SDPBError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail) or 'no output'} "
                        f"(command: {' '.join(cmd[:6])} …)")


def run_sdpb(problem: SDPBProblem, workdir: str | Path | None = None, timeout: float = 600.0,
             options: dict | None = None, executable: str = "sdpb", procs: int = 1, mpirun: str = "mpirun",
             checkpoint: str | Path | None = None, initial_checkpoint: str | Path | None = None) -> SDPBResult:
    """Write the problem, run the installed SDPB (1.0: XML → .out; ≥ 2.7: JSON → pmp2sdp → sdpb,
    out.txt/y.txt, under mpirun with `procs` > 1), parse the result. A fresh checkpoint every run
    unless `checkpoint` (kept) or `initial_checkpoint` (a neighbouring point's, to start from) is given."""
    version = sdpb_version(executable)
    if not version.uses_pmp2sdp and version.major >= 2:
        raise SDPBError(f"SDPB {version.text} is not supported: use SDPB 1.0 or ≥ 2.7 (pmp2sdp)")
    if workdir is None:  # files are kept only where the caller asks for them
        with tempfile.TemporaryDirectory(prefix="smatrix-sdpb-") as tmp:
            res = run_sdpb(problem, tmp, timeout, options, executable, procs, mpirun, checkpoint, initial_checkpoint)
        res.files = {k: f"{v} (temporary, removed)" for k, v in res.files.items()}
        return res
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    stamp = f"{int(time.time() * 1e6)}"
    opts = {**SDPB_DEFAULTS, **(options or {})}
    t0 = time.perf_counter()
    if version.uses_pmp2sdp:
        run_dir = work / f"run-{stamp}"
        run_dir.mkdir()
        pmp = write_json_pmp(problem, run_dir / "problem.json")
        exe_dir = Path(shutil.which(executable)).parent
        pmp2sdp = shutil.which("pmp2sdp", path=str(exe_dir)) or shutil.which("pmp2sdp") or "pmp2sdp"
        same = checkpoint is not None and initial_checkpoint is not None and \
            Path(initial_checkpoint).resolve() == Path(checkpoint).resolve()   # SDPB ≥ 2 resumes from -c itself
        conv, run, out_dir = sdpb3_commands(pmp, run_dir, opts, procs, mpirun, pmp2sdp, shutil.which(executable),
                                            None if checkpoint is None else Path(checkpoint),
                                            None if initial_checkpoint is None or same else Path(initial_checkpoint))
        _run(conv, timeout, "pmp2sdp")
        _run(run, max(timeout - (time.perf_counter() - t0), 1.0), "SDPB")
        parsed, files = parse_out_dir(out_dir, problem.digits), {"json": str(pmp), "out": str(out_dir)}
    else:
        if procs > 1:
            raise SDPBError("SDPB 1.0 runs threads, not MPI ranks: use `procs` 1 (it takes 2 threads)")
        xml = write_xml(problem, work / f"problem-{stamp}.xml")
        out = work / f"problem-{stamp}.out"
        ck = Path(checkpoint) if checkpoint is not None else work / f"problem-{stamp}.ck"   # never reuse by accident
        if initial_checkpoint is not None and Path(initial_checkpoint).resolve() != ck.resolve():
            shutil.copyfile(initial_checkpoint, ck)     # SDPB 1.0 resumes from an existing checkpoint file
        _run(sdpb1_command(shutil.which(executable), xml, out, ck, opts, checkpoint is not None), timeout, "SDPB")
        if not out.exists():
            raise SDPBError(f"SDPB wrote no output file {out}")
        parsed, files = parse_out(out.read_text(), problem.digits), {"xml": str(xml), "out": str(out)}
    reason = parsed["terminate_reason"]
    return SDPBResult(terminate_reason=reason, optimal=reason == OPTIMAL,
                      primal_objective=parsed["primal_objective"], dual_objective=parsed["dual_objective"],
                      duality_gap=parsed["duality_gap"], primal_error=parsed["primal_error"],
                      dual_error=parsed["dual_error"], y=parsed["y"], seconds=time.perf_counter() - t0,
                      files=files)


def checkpoint_reuse(path: str | Path | None) -> dict:
    """run_sdpb's arguments for `--sdpb-checkpoint PATH`: keep the final checkpoint at PATH and, when
    PATH already holds one (a neighbouring point's run: same block structure and precision), start
    from it. None: a fresh checkpoint every run."""
    if path is None:
        return {}
    return {"checkpoint": Path(path), "initial_checkpoint": Path(path) if Path(path).exists() else None}


def read_run(run_dir: str | Path, digits: int = 60) -> SDPBResult:
    """The result of a run done elsewhere: an SDPB ≥ 2 output directory (out.txt, y.txt; `run_dir`
    itself or its `out/`) or an SDPB 1.0 `.out` file (`run_dir` itself or the one `*.out` in it)."""
    run_dir = Path(run_dir)
    candidates = [run_dir, run_dir / "out"]
    out_dir = next((c for c in candidates if (c / "out.txt").is_file()), None)
    if out_dir is not None:
        parsed, files = parse_out_dir(out_dir, digits), {"out": str(out_dir)}
    else:
        outs = [run_dir] if run_dir.is_file() else sorted(run_dir.glob("*.out"))
        if len(outs) != 1:
            raise SDPBError(f"{run_dir}: no SDPB output (out/out.txt + y.txt, or exactly one .out file)")
        parsed, files = parse_out(outs[0].read_text(), digits), {"out": str(outs[0])}
    reason = parsed["terminate_reason"]
    return SDPBResult(reason, reason == OPTIMAL, parsed["primal_objective"], parsed["dual_objective"],
                      parsed["duality_gap"], parsed["primal_error"], parsed["dual_error"], parsed["y"], 0.0, files)


def affine_chart(c0_row, c0_fixed):
    """γ = g0 + G y: identity without a constraint; with c0_row·γ = c̄0 the coordinate with the
    largest |c0_row| is eliminated (exactly, in the working precision)."""
    k = c0_row.size
    if c0_fixed is None:
        return np.array([mp.mpf(0)] * k, dtype=object), np.eye(k, dtype=int).astype(object)
    return affine_solution(np.array([c0_row], dtype=object), [c0_fixed])


@dataclass
class AffineChart:
    """x = x0 + N y parametrising {x : A x = b}: N is the identity on the free coordinates (rows
    `free`) plus the rows of the eliminated `pivots`; x0 vanishes off the pivots."""

    x0: np.ndarray
    N: np.ndarray
    pivots: list
    free: list

    def apply(self, rows) -> np.ndarray:
        """[rows @ x0, rows @ N] (rows: m × k object array) from the nonzero terms only. Output
        column j has the terms of the pivots and of the free coordinate free[j]; of those, only
        the nonzero entries of `rows` are multiplied, and each entry's terms are added in increasing
        column order from an exact 0 — exactly what the dense products compute (every omitted term
        is an exact zero, and x + 0 = x), at a cost of the nonzeros instead of m × k products."""
        rows = np.asarray(rows, dtype=object)
        nonzero = {c: np.flatnonzero(rows[:, c] != 0) for c in range(rows.shape[1])}
        piv = sorted(self.pivots)
        out = np.zeros((rows.shape[0], 1 + len(self.free)), dtype=int).astype(object)
        out[:, 0] = _ordered_sum(rows, nonzero, piv, self.x0, out[:, 0])
        for j, c in enumerate(self.free):
            out[:, 1 + j] = _ordered_sum(rows, nonzero, sorted(piv + [c]), self.N[:, j], out[:, 1 + j])
        return out


def _ordered_sum(rows, nonzero, cols, vec, total):
    """total + Σ_c rows[:, c] vec[c] over `cols` in increasing order, skipping exact zeros."""
    for c in cols:
        idx = nonzero[c]
        if idx.size and vec[c] != 0:
            total[idx] = total[idx] + rows[idx, c] * vec[c]
    return total


def affine_parametrisation(A, b) -> AffineChart:
    """{x : A x = b} (A: r × k object array of mpmath numbers, full row rank) as x = x0 + N y, by
    Gauss–Jordan elimination with partial pivoting in the working precision."""
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
    return AffineChart(x0, N, pivots, free)


def affine_solution(A, b):
    """(x0, N) of `affine_parametrisation`."""
    chart = affine_parametrisation(A, b)
    return chart.x0, chart.N


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
