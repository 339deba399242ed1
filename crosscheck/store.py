"""Results store of the scans: one SQLite file (embedded, no server), one row per
(method, config hash) of a point, so that reruns reuse finished points and a killed scan resumes.

Schema (version 2; docs/crosscheck.md, docs/reliability.md):

    points(method TEXT, key TEXT, objective TEXT, c0 REAL, spec TEXT (JSON),
           status TEXT  -- 'running' | 'done' | 'failed' (reason: why; 'timeout: …' past --point-timeout)
           value REAL, certified INTEGER, result TEXT (Result JSON + analysis), reason TEXT,
           attempts INTEGER,
           worker TEXT,        -- running: the scan holding the lease (host:pid:random);
                               -- finished: host:pid of the worker process that computed it
           started REAL, finished REAL, seconds REAL,
           lease_until REAL,   -- a 'running' row belongs to `worker` (a scan) until then
           checksum TEXT,      -- SHA-256 of (method, key, status, value, certified, result, reason)
           PRIMARY KEY (method, key))
    meta(name TEXT PRIMARY KEY, value TEXT)   -- 'schema' = 'smatrix-results/2'

A version-1 store is migrated in place (the two columns added, checksums written for its rows).

Concurrency: WAL journal, a busy timeout, and every write is one short `BEGIN IMMEDIATE`
transaction, so several processes (scans sharing a store, or workers) can write at once; a
reader never sees half a row. Scans sharing a store *claim* points (`claim`): a point is
computed by the scan that holds its lease; the others wait for its row, and take the point over
only when the lease has lapsed (its scan died: a dead process on this host is noticed at once,
elsewhere after `lease_s`). A running scan renews its leases (`LeaseKeeper`); an interrupted one
releases them. A finished row whose checksum or JSON does not verify is reported and recomputed.
SQLite's WAL needs a local file system (not NFS).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import socket
import sqlite3
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from smatrix.errors import BadInput

SCHEMA = "smatrix-results/2"
OLD_SCHEMAS = ("smatrix-results/1",)
BUSY_TIMEOUT_S = 120.0
LEASE_S = 60.0             # a claim lapses this long after its scan's last renewal
_COLUMNS = ("method", "key", "objective", "c0", "spec", "status", "value", "certified", "result", "reason",
            "attempts", "worker", "started", "finished", "seconds", "lease_until", "checksum")
_ADDED = {"lease_until": "REAL", "checksum": "TEXT"}          # version 1 → 2
_DDL = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    method TEXT NOT NULL, key TEXT NOT NULL, objective TEXT NOT NULL, c0 REAL, spec TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    value REAL, certified INTEGER, result TEXT, reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, started REAL, finished REAL, seconds REAL,
    lease_until REAL, checksum TEXT,
    PRIMARY KEY (method, key));
"""


def _enable_wal(db: sqlite3.Connection, attempts: int = 100) -> None:
    """WAL journal. Switching the mode needs an exclusive lock and SQLite does not run the busy
    handler for it: several workers opening a fresh store at once get "database is locked", so
    retry (and skip the switch once another connection has made it)."""
    for k in range(attempts):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or k == attempts - 1:
                raise
            time.sleep(0.05 * (1 + k % 10))


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return db


def row_checksum(row: dict[str, Any]) -> str:
    """SHA-256 of what a finished row asserts, as stored: (method, key, status, value, certified,
    result JSON text, reason)."""
    fields = [row.get("method"), row.get("key"), row.get("status"), row.get("value"), row.get("certified"),
              row.get("result"), row.get("reason")]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


class ResultStore:
    """The points of one or several scans (see the module docstring)."""

    def __init__(self, path: str | Path, lease_s: float = LEASE_S):
        self.path = Path(path)
        self.lease_s = float(lease_s)
        self.worker = _worker_id()
        if self.path.exists() and not self.path.is_file():
            raise BadInput(f"results store {self.path} is not a file")
        if not self.path.parent.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BadInput(f"cannot create the directory of results store {self.path}: {exc}") from None
        try:
            self._db = _connect(self.path)
            found = self._schema()
            foreign = found is None and self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'points'").fetchone() is not None
            if not foreign and (found is None or found in OLD_SCHEMAS or found == SCHEMA):
                _enable_wal(self._db)
                with self._write() as db:
                    for statement in filter(str.strip, _DDL.split(";")):
                        db.execute(statement)
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                    if found in OLD_SCHEMAS:
                        self._migrate(db)
                found = self._schema()
            columns = [r[1] for r in self._db.execute("PRAGMA table_info(points)")]
        except sqlite3.DatabaseError as exc:
            raise BadInput(self._open_error(exc)) from None
        except OSError as exc:
            raise BadInput(f"cannot open results store {self.path}: {exc}") from None
        if foreign:
            raise BadInput(f"results store {self.path} has a points table but no schema record: not a smatrix "
                           "results store; give another --store")
        if found != SCHEMA:
            raise BadInput(f"results store {self.path} holds schema {found!r}, not {SCHEMA!r}: give another `store`")
        if tuple(columns) != _COLUMNS:
            raise BadInput(f"results store {self.path} says schema {SCHEMA!r} but its points table has columns "
                           f"{', '.join(columns) or '(none)'}; expected {', '.join(_COLUMNS)}: give another --store")

    def _schema(self) -> str | None:
        has_meta = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            return None
        row = self._db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        return None if row is None else str(row[0])

    def _open_error(self, exc: sqlite3.DatabaseError) -> str:
        text = str(exc)
        if "readonly" in text or "read-only" in text or not os.access(self.path.parent, os.W_OK):
            return (f"results store {self.path} is read-only ({text}): scans write their points there; "
                    "give a writable --store")
        if "not a database" in text or "malformed" in text:
            return (f"cannot use results store {self.path}: {text} (not a readable SQLite file; "
                    "give another --store or remove it)")
        return f"cannot use results store {self.path}: {text}"

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Version 1 → 2: lease and checksum columns; the rows of version 1 get their checksums."""
        have = {r[1] for r in db.execute("PRAGMA table_info(points)")}
        for name, kind in _ADDED.items():
            if name not in have:
                db.execute(f"ALTER TABLE points ADD COLUMN {name} {kind}")
        cur = db.execute("SELECT method, key, status, value, certified, result, reason FROM points")
        names = [d[0] for d in cur.description]
        for r in [dict(zip(names, row)) for row in cur.fetchall()]:
            db.execute("UPDATE points SET checksum = ? WHERE method = ? AND key = ?",
                       (row_checksum(r), r["method"], r["key"]))
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (SCHEMA,))
        print(f"smatrix: results store {self.path} migrated from {OLD_SCHEMAS[0]} to {SCHEMA}", file=sys.stderr)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (taken at once, waiting up to the busy timeout). A Ctrl-C
        can land between any two statements, BEGIN and COMMIT included: whatever is left open is
        rolled back, here or by the next write, so an interrupted write never half-happens and the
        scan's `release` on Ctrl-C still runs."""
        if self._db.in_transaction:          # left open by an interrupt on its way out
            self._db.execute("ROLLBACK")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _query(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        try:
            cur = self._db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"cannot read results store {self.path}: {exc}") from None
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def get(self, method: str, key: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM points WHERE method = ? AND key = ?", (method, key))
        return _decode(rows[0], self.path) if rows else None

    def rows(self, status: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM points", ()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status,)
        return [_decode(r, self.path) for r in self._query(sql + " ORDER BY method, objective, c0", args)]

    def claim(self, points: list[dict[str, Any]], retry_failed: bool = False) -> tuple[list[dict], list[dict]]:
        """Claim the points this scan should compute, in one transaction: absent ones, failed ones
        (with `retry_failed`), finished ones whose row does not verify, and running ones whose
        lease has lapsed. Returns (claimed, busy): busy points are being computed by another
        live scan; the rest are finished (reuse them)."""
        now = time.time()
        claimed, busy = [], []
        with self._write() as db:
            for p in points:
                cur = db.execute("SELECT * FROM points WHERE method = ? AND key = ?", (p["method"], p["key"]))
                names = [d[0] for d in cur.description]
                found = cur.fetchone()
                old = None if found is None else dict(zip(names, found))
                if old is not None:
                    if old["status"] == "done":
                        problem = _decode(old, self.path).get("problem")
                        if problem is None:
                            continue
                        print(f"smatrix: results store {self.path}: {problem}; recomputing it", file=sys.stderr)
                    elif old["status"] == "failed" and not retry_failed:
                        continue
                    elif old["status"] == "running" and old["worker"] != self.worker and \
                            (old["lease_until"] or 0.0) > now and _owner_alive(old["worker"]):
                        busy.append(p)
                        continue
                self._take(db, p, now)
                claimed.append(p)
        return claimed, busy

    def _take(self, db: sqlite3.Connection, p: dict[str, Any], now: float) -> None:
        db.execute(
            "INSERT INTO points (method, key, objective, c0, spec, status, attempts, worker, started, lease_until) "
            "VALUES (?, ?, ?, ?, ?, 'running', 1, ?, ?, ?) "
            "ON CONFLICT (method, key) DO UPDATE SET status = 'running', attempts = attempts + 1, "
            "worker = excluded.worker, started = excluded.started, lease_until = excluded.lease_until, "
            "value = NULL, certified = NULL, result = NULL, reason = NULL, checksum = NULL",
            (p["method"], p["key"], p["objective"], p["c0"], json.dumps(p["spec"]), self.worker, now,
             now + self.lease_s))

    def mark_running(self, points: list[dict[str, Any]]) -> None:
        """Points about to be computed: 'running', one more attempt (finished rows are never touched)."""
        now = time.time()
        with self._write() as db:
            for p in points:
                done = db.execute("SELECT status FROM points WHERE method = ? AND key = ?",
                                  (p["method"], p["key"])).fetchone()
                if done is None or done[0] != "done":
                    self._take(db, p, now)

    def renew(self) -> None:
        """Extend the leases of this scan's running points."""
        with self._write() as db:
            db.execute("UPDATE points SET lease_until = ? WHERE worker = ? AND status = 'running'",
                       (time.time() + self.lease_s, self.worker))

    def release(self, reason: str = "interrupted") -> int:
        """Give up this scan's running points (an interrupted scan): any scan takes them over at once."""
        with self._write() as db:
            cur = db.execute("UPDATE points SET lease_until = 0, reason = ? WHERE worker = ? AND status = 'running'",
                             (reason, self.worker))
            return cur.rowcount

    def record(self, row: dict[str, Any]) -> None:
        """A computed point: 'done' with its result, or 'failed' with its reason (with its checksum)."""
        stored = {"method": row["method"], "key": row["key"], "status": row["status"],
                  "value": _finite(row.get("value")),
                  "certified": None if row.get("certified") is None else int(bool(row["certified"])),
                  "result": None if row.get("result") is None else json.dumps(row["result"], default=_jsonable),
                  "reason": row.get("reason")}
        with self._write() as db:
            db.execute(
                "INSERT INTO points (method, key, objective, c0, spec, status, value, certified, result, reason, "
                "attempts, worker, started, finished, seconds, lease_until, checksum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, NULL, ?) "
                "ON CONFLICT (method, key) DO UPDATE SET status = excluded.status, value = excluded.value, "
                "certified = excluded.certified, result = excluded.result, reason = excluded.reason, "
                "worker = excluded.worker, finished = excluded.finished, seconds = excluded.seconds, "
                "lease_until = NULL, checksum = excluded.checksum "
                "WHERE points.status != 'done'",
                (row["method"], row["key"], row["objective"], row["c0"], json.dumps(row["spec"]), stored["status"],
                 stored["value"], stored["certified"], stored["result"], stored["reason"],
                 row.get("worker") or self.worker, row.get("started"), time.time(), row.get("seconds"),
                 row_checksum(stored)))


class LeaseKeeper:
    """Renews a scan's leases every lease_s/3 from a thread with its own connection (use as a
    context manager around the computation)."""

    def __init__(self, store: ResultStore):
        self._path, self._worker, self._lease = store.path, store.worker, store.lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smatrix-lease", daemon=True)

    def _run(self) -> None:
        db = _connect(self._path)
        try:
            while not self._stop.wait(self._lease / 3.0):
                try:
                    db.execute("UPDATE points SET lease_until = ? WHERE worker = ? AND status = 'running'",
                               (time.time() + self._lease, self._worker))
                except sqlite3.OperationalError:
                    pass        # busy beyond the timeout: the next renewal comes in lease/3
        finally:
            db.close()

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _decode(row: dict[str, Any], path: Path) -> dict[str, Any]:
    """A stored row with its JSON parsed; a finished row that does not verify gets `problem`
    (its checksum, or its JSON) instead of being trusted."""
    raw = dict(row)
    row = dict(row)
    where = f"row ({raw.get('method')}, {raw.get('key')})"
    problems = []
    for column in ("spec", "result"):
        try:
            row[column] = json.loads(raw[column]) if raw.get(column) else None
        except (TypeError, ValueError) as exc:
            row[column] = None
            problems.append(f"{where} has malformed {column} JSON ({exc})")
    row["certified"] = None if raw.get("certified") is None else bool(raw["certified"])
    if raw.get("status") in ("done", "failed") and raw.get("checksum") != row_checksum(raw):
        problems.append(f"{where} does not match its checksum (altered)")
    if problems:
        row["problem"] = "; ".join(problems)
    return row


def _owner_alive(worker: str | None) -> bool:
    """False when the scan that holds a lease is a dead process on this host (True elsewhere)."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_id() -> str:
    """host:pid:random — one scan (one ResultStore) among those sharing a store."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _finite(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _jsonable(x):
    """numpy scalars (longdouble too) and arrays in certificates → JSON numbers and lists."""
    if getattr(x, "ndim", 0) > 0:
        return [_jsonable(v) for v in x]
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)
