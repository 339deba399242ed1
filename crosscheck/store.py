"""Results store of the scans: one SQLite file (embedded, no server), one row per
(method, config hash) of a point, so that reruns reuse finished points and a killed scan resumes.

Schema (version 1; docs/crosscheck.md):

    points(method TEXT, key TEXT, objective TEXT, c0 REAL, spec TEXT (JSON),
           status TEXT  -- 'running' | 'done' | 'failed'
           value REAL, certified INTEGER, result TEXT (Result JSON + analysis), reason TEXT,
           attempts INTEGER, worker TEXT, started REAL, finished REAL, seconds REAL,
           PRIMARY KEY (method, key))
    meta(name TEXT PRIMARY KEY, value TEXT)   -- 'schema' = 'smatrix-results/1'

Concurrency: WAL journal, a busy timeout, and every write is one short `BEGIN IMMEDIATE`
transaction, so several processes (scans sharing a store, or workers) can write at once; a
reader never sees half a row. SQLite's WAL needs a local file system (not NFS).
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from smatrix.errors import BadInput

SCHEMA = "smatrix-results/1"
BUSY_TIMEOUT_S = 120.0
_COLUMNS = ("method", "key", "objective", "c0", "spec", "status", "value", "certified", "result", "reason",
            "attempts", "worker", "started", "finished", "seconds")
_DDL = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    method TEXT NOT NULL, key TEXT NOT NULL, objective TEXT NOT NULL, c0 REAL, spec TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    value REAL, certified INTEGER, result TEXT, reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, started REAL, finished REAL, seconds REAL,
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


class ResultStore:
    """The points of one or several scans (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise BadInput(f"results store {self.path} is not a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            _enable_wal(self._db)
            with self._write() as db:
                for statement in filter(str.strip, _DDL.split(";")):
                    db.execute(statement)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
            found = self._db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            columns = [r[1] for r in self._db.execute("PRAGMA table_info(points)")]
        except (sqlite3.DatabaseError, OSError) as exc:
            raise BadInput(f"cannot use results store {self.path}: {exc} (not a readable SQLite file; "
                           "give another --store or remove it)") from None
        if found is None or found[0] != SCHEMA or tuple(columns) != _COLUMNS:
            raise BadInput(f"results store {self.path} holds schema {found[0] if found else '?'!r}, "
                           f"not {SCHEMA!r}: give another --store")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (taken at once, waiting up to the busy timeout)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        try:
            cur = self._db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"cannot read results store {self.path}: {exc}") from None
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def get(self, method: str, key: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM points WHERE method = ? AND key = ?", (method, key))
        return _decode(rows[0]) if rows else None

    def rows(self, status: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM points", ()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status,)
        return [_decode(r) for r in self._query(sql + " ORDER BY method, objective, c0", args)]

    def mark_running(self, points: list[dict[str, Any]]) -> None:
        """Points about to be computed: 'running', one more attempt (finished rows are never touched)."""
        now, worker = time.time(), _worker_id()
        with self._write() as db:
            for p in points:
                db.execute(
                    "INSERT INTO points (method, key, objective, c0, spec, status, attempts, worker, started) "
                    "VALUES (?, ?, ?, ?, ?, 'running', 1, ?, ?) "
                    "ON CONFLICT (method, key) DO UPDATE SET status = 'running', attempts = attempts + 1, "
                    "worker = excluded.worker, started = excluded.started, reason = NULL "
                    "WHERE points.status != 'done'",
                    (p["method"], p["key"], p["objective"], p["c0"], json.dumps(p["spec"]), worker, now))

    def record(self, row: dict[str, Any]) -> None:
        """A computed point: 'done' with its result, or 'failed' with its reason."""
        with self._write() as db:
            db.execute(
                "INSERT INTO points (method, key, objective, c0, spec, status, value, certified, result, reason, "
                "attempts, worker, started, finished, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) "
                "ON CONFLICT (method, key) DO UPDATE SET status = excluded.status, value = excluded.value, "
                "certified = excluded.certified, result = excluded.result, reason = excluded.reason, "
                "worker = excluded.worker, finished = excluded.finished, seconds = excluded.seconds "
                "WHERE points.status != 'done'",
                (row["method"], row["key"], row["objective"], row["c0"], json.dumps(row["spec"]), row["status"],
                 row.get("value"), None if row.get("certified") is None else int(bool(row["certified"])),
                 None if row.get("result") is None else json.dumps(row["result"], default=_jsonable),
                 row.get("reason"), row.get("worker") or _worker_id(), row.get("started"), time.time(),
                 row.get("seconds")))


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["spec"] = json.loads(row["spec"]) if row.get("spec") else None
    row["result"] = json.loads(row["result"]) if row.get("result") else None
    row["certified"] = None if row.get("certified") is None else bool(row["certified"])
    return row


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _jsonable(x):
    """numpy scalars (longdouble too) and arrays in certificates → JSON numbers and lists."""
    if getattr(x, "ndim", 0) > 0:
        return [_jsonable(v) for v in x]
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)
