"""Durable history of create attempts and the tasks they produced (SQLite, standard library only).

A record is written *before* the create request is sent (status ``sending``), then settled: ``created`` with the
task id and the API's status, ``rejected`` with the error, or ``outcome_unknown`` when the request was sent but no
answer came. Every write is its own committed transaction with ``synchronous=FULL``, so a killed process loses
nothing it committed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .models import TaskStatus, VideoRequest, VideoTask

SENDING = "sending"
REJECTED = "rejected"
OUTCOME_UNKNOWN = "outcome_unknown"
LOCAL_STATES = (SENDING, REJECTED, OUTCOME_UNKNOWN)
ALL_STATES = (*LOCAL_STATES, *(s.value for s in TaskStatus))
# Tasks the API may still move forward; everything else is never looked up again.
LIVE_STATES = (TaskStatus.QUEUED.value, TaskStatus.PROCESSING.value, TaskStatus.UNKNOWN.value)

# Each migration is a list of statements (triggers hold ";" inside them), applied in one transaction.
_MIGRATIONS: list[list[str]] = [
    [  # v1: the tasks table and the indexes behind filters and keyset pages
        """CREATE TABLE tasks (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            task_id       TEXT UNIQUE,
            status        TEXT NOT NULL,
            session_id    TEXT NOT NULL DEFAULT '',
            attempted_at  REAL NOT NULL,
            updated_at    REAL NOT NULL,
            prompt        TEXT NOT NULL,
            model         TEXT NOT NULL,
            duration      INTEGER NOT NULL,
            ratio         TEXT NOT NULL,
            images        TEXT NOT NULL DEFAULT '[]',
            mode          TEXT NOT NULL,
            params_hash   TEXT NOT NULL,
            error         TEXT,
            video_url     TEXT,
            remote_created INTEGER,
            raw           TEXT
        )""",
        "CREATE INDEX tasks_status ON tasks(status, id)",
        "CREATE INDEX tasks_mode ON tasks(mode, id)",
        "CREATE INDEX tasks_session ON tasks(session_id, id)",
        "CREATE INDEX tasks_params ON tasks(params_hash, attempted_at)",
    ],
    [  # v2: counts per status kept by triggers, so History's total is one small read, not a scan (B2)
        "CREATE TABLE task_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
        "INSERT INTO task_counts (status, n) SELECT status, COUNT(*) FROM tasks GROUP BY status",
        """CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO task_counts (status, n) VALUES (NEW.status, 1)
                ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END""",
        """CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
            UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
        END""",
        """CREATE TRIGGER task_counts_update AFTER UPDATE OF status ON tasks WHEN OLD.status != NEW.status BEGIN
            UPDATE task_counts SET n = n - 1 WHERE status = OLD.status;
            INSERT INTO task_counts (status, n) VALUES (NEW.status, 1)
                ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END""",
    ],
]
_COLUMNS = ("id", "task_id", "status", "session_id", "attempted_at", "updated_at", "prompt", "model", "duration",
            "ratio", "images", "mode", "params_hash", "error", "video_url", "remote_created", "raw")


@dataclass(frozen=True)
class HistoryRecord:
    """One create attempt and what became of it."""

    id: int
    """Local record id (monotonic: higher is newer)."""
    task_id: str | None
    """The API's task id, once known."""
    status: str
    """A ``TaskStatus`` value, or ``sending``, ``rejected`` or ``outcome_unknown``."""
    session_id: str
    """The browser session that made the attempt."""
    attempted_at: float
    """When the attempt was recorded (before sending), seconds since the epoch."""
    updated_at: float
    """When anything about the record last changed."""
    prompt: str
    model: str
    duration: int
    ratio: str
    images: list[str]
    mode: str
    params_hash: str
    error: str | None
    """The API's or the client's error text."""
    video_url: str | None
    remote_created: int | None
    raw: dict[str, Any] | None = field(repr=False)
    """The last answer received for this task."""

    @property
    def is_live(self) -> bool:
        """True when the task exists and may still change, so its status is worth looking up."""
        return self.task_id is not None and self.status in LIVE_STATES

    def request(self) -> VideoRequest:
        """The request this record was made from."""
        return VideoRequest(self.prompt, self.model, self.duration, self.ratio, tuple(self.images))


@dataclass(frozen=True)
class HistoryFilter:
    """SQL-side filters for listing, counting and exporting."""

    statuses: Sequence[str] = ()
    modes: Sequence[str] = ()
    text: str = ""
    session_id: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if self.statuses:
            clauses.append(f"status IN ({','.join('?' * len(self.statuses))})")
            args += list(self.statuses)
        if self.modes:
            clauses.append(f"mode IN ({','.join('?' * len(self.modes))})")
            args += list(self.modes)
        if self.text.strip():
            needle = "%" + self.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(prompt LIKE ? ESCAPE '\\' OR task_id LIKE ? ESCAPE '\\')")
            args += [needle, needle]
        if self.session_id is not None:
            clauses.append("session_id = ?")
            args.append(self.session_id)
        return (" AND ".join(clauses) or "1"), args


def params_hash(request: VideoRequest) -> str:
    """A fingerprint of the parameters, to notice the same task being created twice."""
    key = json.dumps([request.prompt.strip(), request.model, request.duration, request.ratio,
                      list(request.images)], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class HistoryStore:
    """The task history. Thread-safe: one connection guarded by a lock, shared by every session."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._write() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for number, statements in enumerate(_MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on busy_timeout instead of
        # failing half-way with "database is locked".
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # Writes ---------------------------------------------------------------------------------------------------

    def record_attempt(self, request: VideoRequest, *, session_id: str = "") -> int:
        """Commit an attempt before it is sent; returns the record id."""
        now = time.time()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO tasks (status, session_id, attempted_at, updated_at, prompt, model, duration, ratio,"
                " images, mode, params_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (SENDING, session_id, now, now, request.prompt.strip(), request.model, request.duration,
                 request.ratio, json.dumps(list(request.images)), request.mode, params_hash(request)))
            return int(cursor.lastrowid or 0)

    def mark_created(self, record_id: int, task: VideoTask) -> None:
        """Settle an attempt with the task the API created."""
        with self._write() as conn:
            conn.execute(
                "UPDATE tasks SET task_id=?, status=?, error=?, video_url=?, remote_created=?, raw=?, updated_at=?"
                " WHERE id=?",
                (task.id, task.status.value, task.error, task.video_url, task.created, _json(task.raw),
                 time.time(), record_id))

    def mark_rejected(self, record_id: int, error: str) -> None:
        """Settle an attempt the API (or the client) refused: no task exists."""
        self._set(record_id, status=REJECTED, error=error)

    def mark_unknown(self, record_id: int, error: str) -> None:
        """Settle an attempt that was sent without an answer: a task may exist and may be billed."""
        self._set(record_id, status=OUTCOME_UNKNOWN, error=error)

    def attach_task_id(self, record_id: int, task_id: str) -> None:
        """Give an outcome-unknown record the id the user found, so its status can be looked up."""
        with self._write() as conn:
            conn.execute("UPDATE tasks SET task_id=?, status=?, error=NULL, updated_at=? WHERE id=?",
                         (task_id.strip(), TaskStatus.UNKNOWN.value, time.time(), record_id))

    def update_task(self, task: VideoTask) -> bool:
        """Store the latest status of a task; False when no record has that task id."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE tasks SET status=?, error=?, video_url=COALESCE(?, video_url), raw=?, updated_at=?"
                " WHERE task_id=?",
                (task.status.value, task.error, task.video_url, _json(task.raw), time.time(), task.id))
            return cursor.rowcount > 0

    def delete(self, record_id: int) -> bool:
        """Remove one record; True when it existed."""
        with self._write() as conn:
            return conn.execute("DELETE FROM tasks WHERE id=?", (record_id,)).rowcount > 0

    def _set(self, record_id: int, **values: Any) -> None:
        columns = ", ".join(f"{name}=?" for name in values)
        with self._write() as conn:
            conn.execute(f"UPDATE tasks SET {columns}, updated_at=? WHERE id=?",  # noqa: S608 - names are ours
                         (*values.values(), time.time(), record_id))

    # Reads ----------------------------------------------------------------------------------------------------

    def get(self, record_id: int) -> HistoryRecord | None:
        rows = self._read("SELECT * FROM tasks WHERE id=?", (record_id,))
        return _record(rows[0]) if rows else None

    def get_by_task_id(self, task_id: str) -> HistoryRecord | None:
        rows = self._read("SELECT * FROM tasks WHERE task_id=?", (task_id,))
        return _record(rows[0]) if rows else None

    def list(self, filters: HistoryFilter | None = None, *, limit: int = 20,
             before_id: int | None = None) -> list[HistoryRecord]:
        """Newest first. Keyset pagination: pass the last id of a page as ``before_id`` for the next one."""
        where, args = (filters or HistoryFilter()).where()
        if before_id is not None:
            where += " AND id < ?"
            args.append(before_id)
        rows = self._read(f"SELECT * FROM tasks WHERE {where} ORDER BY id DESC LIMIT ?",  # noqa: S608
                          (*args, limit))
        return [_record(row) for row in rows]

    def count(self, filters: HistoryFilter | None = None) -> int:
        """How many records match. Unfiltered or by status only, from the trigger-kept counts (no scan)."""
        filters = filters or HistoryFilter()
        if not (filters.modes or filters.text.strip() or filters.session_id is not None):
            marks = ",".join("?" * len(filters.statuses))
            where = f"WHERE status IN ({marks})" if filters.statuses else ""
            rows = self._read(f"SELECT COALESCE(SUM(n), 0) FROM task_counts {where}",  # noqa: S608 - marks only
                              tuple(filters.statuses))
            return int(rows[0][0])
        where, args = filters.where()
        return int(self._read(f"SELECT COUNT(*) FROM tasks WHERE {where}", args)[0][0])  # noqa: S608

    def live(self, *, limit: int = 100) -> list[HistoryRecord]:
        """Tasks that exist and may still change, newest first: the ones worth a status lookup."""
        marks = ",".join("?" * len(LIVE_STATES))
        rows = self._read(f"SELECT * FROM tasks WHERE status IN ({marks}) AND task_id IS NOT NULL"  # noqa: S608
                          " ORDER BY id DESC LIMIT ?", (*LIVE_STATES, limit))
        return [_record(row) for row in rows]

    def recent_duplicate(self, request: VideoRequest, *, within_seconds: float = 600.0) -> HistoryRecord | None:
        """The newest attempt with the same parameters in the last ``within_seconds`` that was not rejected."""
        rows = self._read(
            "SELECT * FROM tasks WHERE params_hash=? AND attempted_at>=? AND status != ? ORDER BY id DESC LIMIT 1",
            (params_hash(request), time.time() - within_seconds, REJECTED))
        return _record(rows[0]) if rows else None

    def export_rows(self, filters: HistoryFilter | None = None) -> list[dict[str, Any]]:
        """Every matching record as a plain dict (newest first), without the raw answers."""
        where, args = (filters or HistoryFilter()).where()
        rows = self._read(f"SELECT * FROM tasks WHERE {where} ORDER BY id DESC", args)  # noqa: S608
        out = []
        for row in rows:
            item = asdict(_record(row))
            item.pop("raw")
            item.pop("params_hash")
            out.append(item)
        return out

    def export_json(self, filters: HistoryFilter | None = None) -> str:
        return json.dumps(self.export_rows(filters), ensure_ascii=False, indent=2)

    def export_csv(self, filters: HistoryFilter | None = None) -> str:
        rows = self.export_rows(filters)
        buffer = io.StringIO()
        fields = [c for c in _COLUMNS if c not in ("raw", "params_hash")]
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            row["images"] = " ".join(row["images"])
            # A cell starting with = + - @ would run as a formula in a spreadsheet.
            writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        return buffer.getvalue()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _record(row: sqlite3.Row) -> HistoryRecord:
    data = dict(row)
    data["images"] = json.loads(data["images"] or "[]")
    data["raw"] = json.loads(data["raw"]) if data["raw"] else None
    return HistoryRecord(**data)
