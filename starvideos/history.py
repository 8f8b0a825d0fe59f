"""Durable history of create attempts and the tasks they produced, on the deployment's database.

A record is written *before* the create request is sent (status ``sending``), then settled: the API's status with
the task id, ``rejected`` with the error, or ``outcome_unknown`` when the request was sent but no answer came.
Every write is its own committed transaction, so a killed process loses nothing it committed. The request is stored
as the JSON body it is (``VideoRequest.from_payload`` reads it back), plus the few columns lists filter on.
"""

from __future__ import annotations

import builtins
import csv
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import sqlalchemy as sa

from . import copies, leases
from .database import Database
from .models import FINISHED, LIVE, TaskStatus, VideoRequest, VideoTask, whole_number
from .redaction import known
from .schema import comments, ratings, task_counts, tasks

if TYPE_CHECKING:
    from .notifications import Outbox

EXPORT_FIELDS = ("id", "task_id", "status", "created_by", "attempted_at", "updated_at", "finished_at", "prompt",
                 "model", "duration", "ratio", "mode", "images", "error", "video_url", "remote_created", "rating",
                 "ratings", "comments", "approvals")
_TIME_FIELDS = ("attempted_at", "updated_at", "finished_at", "remote_created")
_PROVIDER_FIELDS = ("task_id", "error", "video_url")
_EXPORT_BATCH = 2000


def params_hash(request: VideoRequest) -> str:
    """A fingerprint of the request body, to notice the same task being created twice."""
    key = json.dumps(request.to_payload(validate=False), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HistoryRecord:
    """One create attempt and what became of it."""

    id: int
    """Local record id (monotonic: higher is newer)."""
    task_id: str | None
    """The API's task id, once known."""
    status: str
    """A ``TaskStatus`` value, or ``pending``, ``sending``, ``rejected``, ``outcome_unknown`` or ``cancelled``."""
    payload: dict[str, Any] = field(repr=False)
    """The request body as it was (or will be) sent."""
    session_id: str = ""
    """The browser session that made the attempt (for "This session only")."""
    created_by: str | None = None
    """The signed-in email of whoever made it; None without sign-in."""
    attempted_at: float = 0.0
    """When the attempt was recorded, seconds since the epoch."""
    updated_at: float = 0.0
    """When anything about the record last changed."""
    finished_at: float | None = None
    """When the task was first seen completed or failed."""
    error: str | None = None
    """The API's or the client's error text."""
    video_url: str | None = None
    """The provider's link to the finished video (it may expire)."""
    remote_created: int | None = None
    """Creation time the API reported."""
    raw: dict[str, Any] | None = field(default=None, repr=False)
    """The last answer received for this task."""
    lookup_error: str | None = None
    """Plain-language text of the last failed status lookup; None after a success."""
    lookup_failures: int = 0
    """Failed lookups in a row (the back-off grows with them)."""
    next_lookup_at: float | None = None
    """When the background poller looks this task up next."""
    image_keys: list[str | None] = field(default_factory=list)
    """For each image, the storage key of an uploaded picture (None for a typed link): reusing the task signs a
    fresh link instead of reusing one that has expired."""
    parent_id: int | None = None
    """The task this one continues (its last frame is this one's reference)."""
    note_id: int | None = None
    """The review note this take is a retake from ("Retake from here")."""
    preset_id: int | None = None
    """The team preset the form was filled from when this take was made."""

    @property
    def request(self) -> VideoRequest:
        """The request this record was made from."""
        return VideoRequest.from_payload(self.payload)

    @property
    def prompt(self) -> str:
        return str(self.payload.get("prompt", ""))

    @property
    def model(self) -> str:
        return str(self.payload.get("model", ""))

    @property
    def duration(self) -> int:
        value = self.payload.get("duration", 0)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return whole_number(str(value)) or 0  # a stored body is data: never let it crash a page

    @property
    def ratio(self) -> str:
        return str(self.payload.get("ratio", ""))

    @property
    def images(self) -> list[str]:
        return list(self.payload.get("images") or [])

    @property
    def mode(self) -> str:
        return self.request.mode

    @property
    def is_live(self) -> bool:
        """True when the task exists and may still change, so its status is worth looking up."""
        return self.task_id is not None and self.status in LIVE


@dataclass(frozen=True)
class HistoryFilter:
    """Filters for listing, counting and exporting."""

    statuses: Sequence[str] = ()
    modes: Sequence[str] = ()
    text: str = ""
    session_id: str | None = None
    created_by: str | None = None

    def to_params(self) -> dict[str, str]:
        """The filters as query parameters (an export link carries and signs them); ``from_params`` reads them."""
        params = {"status": ",".join(self.statuses), "mode": ",".join(self.modes), "text": self.text,
                  "session": self.session_id or "", "by": self.created_by or ""}
        return {k: v for k, v in params.items() if v}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> HistoryFilter:
        def listed(name: str) -> tuple[str, ...]:
            return tuple(v for v in params.get(name, "").split(",") if v)

        return cls(statuses=listed("status"), modes=listed("mode"), text=params.get("text", ""),
                   session_id=params.get("session") or None, created_by=params.get("by") or None)

    @property
    def only_statuses(self) -> bool:
        """True when nothing but statuses is filtered (the kept counts answer without a scan)."""
        return not (self.modes or self.text.strip() or self.session_id is not None or self.created_by is not None)

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = [tasks.c.deleted_at.is_(None)]
        if self.statuses:
            found.append(tasks.c.status.in_(list(self.statuses)))
        if self.modes:
            found.append(tasks.c.mode.in_(list(self.modes)))
        if self.text.strip():
            needle = "%" + self.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            found.append(sa.or_(tasks.c.prompt.ilike(needle, escape="\\"), tasks.c.task_id.ilike(needle, escape="\\")))
        if self.session_id is not None:
            found.append(tasks.c.session_id == self.session_id)
        if self.created_by is not None:
            found.append(tasks.c.created_by == self.created_by)
        return found


class HistoryStore:
    """The task history. Thread-safe: every call is its own short transaction on the shared engine."""

    def __init__(self, db: Database | str | Path, *, outbox: Outbox | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db if isinstance(db, Database) else Database.for_sqlite(db)
        self.clock = clock
        """Seconds since the epoch: every time this store writes comes from here (tests replace it)."""
        self.outbox = outbox
        """Where a finished task is announced (with ``STARVIDEOS_NOTIFY_URL``), in the transaction that finished it."""
        self.copy_queued: Callable[[], None] = lambda: None
        """Called once a write that queued a video's copy has committed: this process's copier starts it then,
        instead of at its next look (up to five seconds later)."""

    def close(self) -> None:
        self.db.dispose()

    # Writes ---------------------------------------------------------------------------------------------------

    def record_attempt(self, request: VideoRequest, *, session_id: str = "", created_by: str | None = None,
                       status: str = TaskStatus.SENDING, **extra: Any) -> int:
        """Commit an attempt before it is sent (or, with ``status="pending"``, queue it); returns the record id."""
        with self.db.write() as conn:
            return self.add_attempt(conn, request, session_id=session_id, created_by=created_by, status=status,
                                    **extra)

    def add_attempt(self, conn: sa.Connection, request: VideoRequest, *, session_id: str = "",
                    created_by: str | None = None, status: str = TaskStatus.SENDING, **extra: Any) -> int:
        """``record_attempt`` inside the caller's transaction (the queue decides the status in the same one)."""
        values = attempt_values(request, session_id=session_id, created_by=created_by, now=self.clock(),
                                status=status, **extra)
        return int(conn.execute(tasks.insert().values(**values).returning(tasks.c.id)).scalar_one())

    def add_queued(self, conn: sa.Connection, requests: Sequence[VideoRequest], *, batch_id: int,
                   session_id: str = "", created_by: str | None = None) -> None:
        """A batch's items, waiting in the queue, inside the caller's transaction (all of them, or none)."""
        now = self.clock()
        conn.execute(tasks.insert(), [attempt_values(r, session_id=session_id, created_by=created_by, now=now,
                                                     status=TaskStatus.PENDING, batch_id=batch_id) for r in requests])

    def claim_next_send(self, conn: sa.Connection, owner: str, *,
                        lease_seconds: float) -> tuple[int, VideoRequest] | None:
        """Take the next waiting item (single creates first, then the oldest) and make it the attempt record
        (``sending``, leased to ``owner``), inside the caller's transaction; None when nothing waits."""
        now = self.clock()
        single_first = sa.case((tasks.c.batch_id.is_(None), 0), else_=1)
        waiting = [tasks.c.status == TaskStatus.PENDING, tasks.c.deleted_at.is_(None)]
        attempt = {"status": TaskStatus.SENDING, "attempted_at": now, "updated_at": now, "error": None}
        rows = leases.claim(conn, tasks, tasks.c.id, where=waiting, order_by=[single_first, tasks.c.id], limit=1,
                            owner=owner, lease_seconds=lease_seconds, now=now, values=attempt,
                            returning=[tasks.c.id, tasks.c.request])
        if not rows:
            return None
        payload = rows[0].request if isinstance(rows[0].request, dict) else {}
        return int(rows[0].id), VideoRequest.from_payload(payload)

    def back_in_queue(self, conn: sa.Connection, record_id: int, error: str) -> None:
        """A sent item the API refused with "not now" (429): nothing was created, so it waits again."""
        conn.execute(tasks.update().where(tasks.c.id == record_id).values(
            status=TaskStatus.PENDING, lease_owner=None, lease_until=None, updated_at=self.clock(), error=error))

    def cancel_pending(self, conn: sa.Connection, batch_id: int | None = None) -> int:
        """Cancel what waits (of one batch, or all), inside the caller's transaction; returns how many."""
        conditions = [tasks.c.status == TaskStatus.PENDING]
        if batch_id is not None:
            conditions.append(tasks.c.batch_id == batch_id)
        cancelled = conn.execute(tasks.update().where(*conditions).values(
            status=TaskStatus.CANCELLED, updated_at=self.clock(), error="Cancelled before it was sent.")
            .returning(tasks.c.id, tasks.c.batch_id)).all()
        for record_id in {row.batch_id: row.id for row in cancelled if row.batch_id is not None}.values():
            self.settled(conn, record_id, announce=False)  # the batch may have ended with this
        return len(cancelled)

    def mark_created(self, record_id: int, task: VideoTask) -> None:
        """Settle an attempt with the task the API created."""
        now = self.clock()
        with self.db.write() as conn:
            conn.execute(tasks.update().where(tasks.c.id == record_id).values(
                task_id=task.id, status=task.status.value, error=task.error, video_url=task.video_url,
                remote_created=task.created, raw=task.raw or None, updated_at=now, next_lookup_at=None,
                finished_at=now if task.status.is_terminal else None, lease_owner=None, lease_until=None))
            copying = task.status is TaskStatus.COMPLETED and bool(task.video_url)
            if copying:
                self._queue_copy(conn, record_id, task.video_url or "")
            if task.status.is_terminal:
                self.settled(conn, record_id, announce=True)
        if copying:
            self.copy_queued()

    def mark_rejected(self, record_id: int, error: str) -> None:
        """Settle an attempt the API (or the client) refused: no task exists."""
        self._set(record_id, status=TaskStatus.REJECTED, error=error, lease_owner=None, lease_until=None)

    def mark_unknown(self, record_id: int, error: str) -> None:
        """Settle an attempt that was sent without an answer: a task may exist and may be billed."""
        self._set(record_id, status=TaskStatus.OUTCOME_UNKNOWN, error=error, lease_owner=None, lease_until=None)

    def settled(self, conn: sa.Connection, record_id: int, *, announce: bool) -> None:
        """A record reached an end: tell the outbox (a finished task is announced; any batch item may end its
        batch)."""
        if self.outbox is None:
            return
        batch_id = conn.execute(sa.select(tasks.c.batch_id).where(tasks.c.id == record_id)).scalar()
        if announce or batch_id is not None:
            self.outbox.task_settled(conn, record_id, batch_id)

    def attach_task_id(self, record_id: int, task_id: str) -> bool:
        """Give an outcome-unknown record the id the user found, so its status can be looked up. False when another
        record (even a removed one) already holds that id: one task, one record."""
        try:
            self._set(record_id, task_id=task_id.strip(), status=TaskStatus.UNKNOWN.value, error=None,
                      next_lookup_at=None, lookup_failures=0, lookup_error=None)
        except sa.exc.IntegrityError:
            return False
        return True

    def update_task(self, task: VideoTask, *, next_lookup_at: float | None = None) -> bool:
        """Store the latest status of a task (and release its lookup lease); False when no record has that id."""
        now = self.clock()
        terminal = task.status.is_terminal
        with self.db.write() as conn:
            updated = conn.execute(tasks.update().where(tasks.c.task_id == task.id).values(
                status=task.status.value, error=task.error,
                video_url=sa.func.coalesce(task.video_url, tasks.c.video_url), raw=task.raw or None,
                updated_at=now, lookup_failures=0, lookup_error=None, lease_owner=None, lease_until=None,
                next_lookup_at=None if terminal else next_lookup_at,
                finished_at=sa.func.coalesce(tasks.c.finished_at, now) if terminal else None)
                .returning(tasks.c.id, tasks.c.video_url, tasks.c.batch_id)).all()
            copying = [row for row in updated if task.status is TaskStatus.COMPLETED and row.video_url]
            for row in copying:
                self._queue_copy(conn, row.id, row.video_url)
            if terminal and self.outbox is not None:
                for row in updated:
                    self.outbox.task_settled(conn, row.id, row.batch_id)
        if copying:
            self.copy_queued()
        return bool(updated)

    def _queue_copy(self, conn: sa.Connection, record_id: int, video_url: str) -> None:
        copies.queue_copy(self.db, conn, record_id, video_url, now=self.clock())

    def record_lookup_failure(self, task_id: str, error: str, *, next_lookup_at: float) -> None:
        """Keep a failed lookup's reason for the page, back the task off, and release its lease."""
        with self.db.write() as conn:
            conn.execute(tasks.update().where(tasks.c.task_id == task_id).values(
                lookup_error=error, lookup_failures=tasks.c.lookup_failures + 1, next_lookup_at=next_lookup_at,
                lease_owner=None, lease_until=None))

    def delete(self, record_id: int) -> bool:
        """Hide one record from every list (``restore`` brings it back); True when it was shown."""
        with self.db.write() as conn:
            result = conn.execute(tasks.update().where(tasks.c.id == record_id, tasks.c.deleted_at.is_(None))
                                  .values(deleted_at=self.clock()))
            return result.rowcount > 0

    def restore(self, record_id: int) -> bool:
        """Undo ``delete``."""
        with self.db.write() as conn:
            result = conn.execute(tasks.update().where(tasks.c.id == record_id, tasks.c.deleted_at.is_not(None))
                                  .values(deleted_at=None, updated_at=self.clock()))
            return result.rowcount > 0

    def _set(self, record_id: int, **values: Any) -> None:
        with self.db.write() as conn:
            conn.execute(tasks.update().where(tasks.c.id == record_id).values(**values, updated_at=self.clock()))
            if values.get("status") in (TaskStatus.REJECTED, TaskStatus.OUTCOME_UNKNOWN):
                self.settled(conn, record_id, announce=False)

    # Lookup leases: every replica's poller claims due tasks here, so each is looked up once per interval -------

    def claim_lookups(self, owner: str, *, limit: int, lease_seconds: float, task_ids: Sequence[str] | None = None,
                      force: bool = False) -> list[str]:
        """Lease up to ``limit`` unfinished tasks to ``owner``, most overdue first; returns their task ids.

        Without ``force`` only tasks that are due are claimed. A lease that is held and not expired is never
        taken, so two replicas never look the same task up at once; a dead replica's leases lapse by themselves.
        """
        if limit <= 0:
            return []
        now = self.clock()
        conditions: list[sa.ColumnElement[bool]] = [tasks.c.status.in_(LIVE), tasks.c.task_id.is_not(None),
                                                    tasks.c.deleted_at.is_(None)]
        if task_ids is not None:
            conditions.append(tasks.c.task_id.in_(list(dict.fromkeys(task_ids))))
        if not force:
            conditions.append(sa.or_(tasks.c.next_lookup_at.is_(None), tasks.c.next_lookup_at <= now))
        with self.db.write() as conn:
            claimed = leases.claim(conn, tasks, tasks.c.id, where=conditions,
                                   order_by=[sa.func.coalesce(tasks.c.next_lookup_at, 0.0), tasks.c.id], limit=limit,
                                   owner=owner, lease_seconds=lease_seconds, now=now, returning=[tasks.c.task_id])
        return [row.task_id for row in claimed]  # most overdue first, as chosen

    def next_lookup_due(self) -> float | None:
        """When the next unfinished task can be claimed for a lookup: due, and its lease (another replica's lookup)
        over; 0 when one can be now, None when none is unfinished. A read: pollers ask it before writing anything."""
        due = sa.func.coalesce(tasks.c.next_lookup_at, 0.0)
        leased = sa.func.coalesce(tasks.c.lease_until, 0.0)
        value = self.db.scalar(sa.select(sa.func.min(sa.case((leased > due, leased), else_=due))).where(
            tasks.c.status.in_(LIVE), tasks.c.task_id.is_not(None), tasks.c.deleted_at.is_(None)))
        return None if value is None else float(value)

    def release_lookups(self, owner: str, task_ids: Sequence[str]) -> None:
        """Give leases back unused (a lookup that was never started)."""
        if not task_ids:
            return
        with self.db.write() as conn:
            leases.release(conn, tasks, tasks.c.task_id, list(task_ids), owner)

    def settle_stale_sends(self, *, older_than: float) -> int:
        """Attempts left ``sending`` by a process that died mid-request become ``outcome_unknown`` (never re-sent)."""
        now = self.clock()
        with self.db.write() as conn:
            stale = [tasks.c.status == TaskStatus.SENDING, tasks.c.updated_at < now - older_than,
                     leases.free(tasks, now)]
            settled = conn.execute(tasks.update().where(*stale).values(
                status=TaskStatus.OUTCOME_UNKNOWN, updated_at=now,
                error="The app stopped while sending this request: the task may have been created.")
                .returning(tasks.c.id)).scalars().all()
            for record_id in settled:
                self.settled(conn, record_id, announce=False)
            return len(settled)

    # Reads ----------------------------------------------------------------------------------------------------

    def get(self, record_id: int) -> HistoryRecord | None:
        rows = self.db.rows(sa.select(tasks).where(tasks.c.id == record_id, tasks.c.deleted_at.is_(None)))
        return record_from_row(rows[0]._mapping) if rows else None

    def get_by_task_id(self, task_id: str) -> HistoryRecord | None:
        rows = self.db.rows(sa.select(tasks).where(tasks.c.task_id == task_id, tasks.c.deleted_at.is_(None)))
        return record_from_row(rows[0]._mapping) if rows else None

    def get_many(self, record_ids: Sequence[int]) -> dict[int, HistoryRecord]:
        if not record_ids:
            return {}
        rows = self.db.rows(sa.select(tasks).where(tasks.c.id.in_(list(record_ids)), tasks.c.deleted_at.is_(None)))
        return {row.id: record_from_row(row._mapping) for row in rows}

    def children(self, record_id: int) -> list[HistoryRecord]:
        """Tasks that continue this one (made from its last frame), oldest first."""
        rows = self.db.rows(sa.select(tasks).where(tasks.c.parent_id == record_id, tasks.c.deleted_at.is_(None))
                            .order_by(tasks.c.id))
        return [record_from_row(row._mapping) for row in rows]

    def list(self, filters: HistoryFilter | None = None, *, limit: int = 20,
             before_id: int | None = None) -> list[HistoryRecord]:
        """Newest first. Keyset pagination: pass the last id of a page as ``before_id`` for the next one."""
        conditions = (filters or HistoryFilter()).clauses()
        if before_id is not None:
            conditions.append(tasks.c.id < before_id)
        rows = self.db.rows(sa.select(tasks).where(*conditions).order_by(tasks.c.id.desc()).limit(limit))
        return [record_from_row(row._mapping) for row in rows]

    def finished_since(self, since: float, *, session_id: str | None = None, created_by: str | None = None,
                       limit: int = 5) -> builtins.list[HistoryRecord]:  # the method list shadows the type
        """Tasks of one person (signed in) or one browser session that finished after ``since``, oldest first."""
        if created_by is None and session_id is None:
            return []
        who = tasks.c.created_by == created_by if created_by is not None else tasks.c.session_id == session_id
        rows = self.db.rows(sa.select(tasks).where(who, tasks.c.finished_at > since, tasks.c.deleted_at.is_(None),
                                                   tasks.c.status.in_(FINISHED))
                            .order_by(tasks.c.finished_at).limit(limit))
        return [record_from_row(row._mapping) for row in rows]

    def count(self, filters: HistoryFilter | None = None) -> int:
        """How many records match. Unfiltered or by status only, from the trigger-kept counts (no scan)."""
        filters = filters or HistoryFilter()
        if filters.only_statuses:
            query = sa.select(sa.func.coalesce(sa.func.sum(task_counts.c.n), 0))
            if filters.statuses:
                query = query.where(task_counts.c.status.in_(list(filters.statuses)))
            return int(self.db.scalar(query))
        return int(self.db.scalar(sa.select(sa.func.count()).select_from(tasks).where(*filters.clauses())))

    def counts_by_status(self) -> dict[str, int]:
        return {row.status: int(row.n) for row in self.db.rows(sa.select(task_counts)) if row.n}

    def live(self, *, limit: int = 100) -> builtins.list[HistoryRecord]:
        """Tasks that exist and may still change, most overdue for a lookup first."""
        rows = self.db.rows(sa.select(tasks).where(
            tasks.c.status.in_(LIVE), tasks.c.task_id.is_not(None), tasks.c.deleted_at.is_(None))
            .order_by(sa.func.coalesce(tasks.c.next_lookup_at, 0.0), tasks.c.id).limit(limit))
        return [record_from_row(row._mapping) for row in rows]

    def recent_duplicate(self, request: VideoRequest, *, within_seconds: float = 600.0) -> HistoryRecord | None:
        """The newest attempt with the same body in the last ``within_seconds`` that was not rejected."""
        rows = self.db.rows(sa.select(tasks).where(
            tasks.c.params_hash == params_hash(request), tasks.c.attempted_at >= self.clock() - within_seconds,
            tasks.c.status.not_in([TaskStatus.REJECTED, TaskStatus.CANCELLED]), tasks.c.deleted_at.is_(None))
            .order_by(tasks.c.id.desc()).limit(1))
        return record_from_row(rows[0]._mapping) if rows else None

    # Exports: streamed from the database in batches, one format at a time, never held whole --------------------

    def export_rows(self, filters: HistoryFilter | None = None) -> Iterator[dict[str, Any]]:
        """Every matching record as a plain dict, newest first, without internals (raw answers, sessions, leases).

        What the provider wrote (task id, error, video URL) is redacted of every registered secret in every form:
        the client cleans answers before storing them, and this also cleans rows stored before it did.
        """
        from .review import approval_lines  # review builds on showcase, which builds on this module

        redactor = known()
        conditions = (filters or HistoryFilter()).clauses()
        derived = ("model", "images", "rating", "ratings", "comments", "approvals")
        columns = [tasks.c[name] for name in EXPORT_FIELDS if name not in derived] + [tasks.c.request]
        before: int | None = None
        while True:
            page = list(conditions) + ([tasks.c.id < before] if before is not None else [])
            rows = self.db.rows(sa.select(*columns).where(*page).order_by(tasks.c.id.desc()).limit(_EXPORT_BATCH))
            stars, notes = self._feedback([row.id for row in rows])
            states = approval_lines(self.db, [row.id for row in rows])
            for row in rows:
                data = dict(row._mapping)
                payload = _json_value(data.pop("request")) or {}
                data["model"] = payload.get("model")
                data["images"] = list(payload.get("images") or [])
                data["rating"], data["ratings"] = stars.get(row.id, (None, 0))
                data["comments"] = notes.get(row.id, [])
                data["approvals"] = states.get(row.id, [])
                for name in _TIME_FIELDS:
                    data[name] = _iso(data[name])
                for name in _PROVIDER_FIELDS:
                    data[name] = redactor.value(data[name])
                yield {name: data[name] for name in EXPORT_FIELDS}
            if len(rows) < _EXPORT_BATCH:
                return
            before = rows[-1].id

    def _feedback(self, record_ids: Sequence[int]) -> tuple[dict[int, tuple[float, int]],
                                                           dict[int, builtins.list[str]]]:
        """Average stars and comments ("author: text") for a batch of takes, for exports."""
        if not record_ids:
            return {}, {}
        stars = {row[0]: (round(float(row[1]), 2), int(row[2])) for row in self.db.rows(
            sa.select(ratings.c.record_id, sa.func.avg(ratings.c.stars), sa.func.count())
            .where(ratings.c.record_id.in_(record_ids)).group_by(ratings.c.record_id))}
        notes: dict[int, list[str]] = {}
        for row in self.db.rows(sa.select(comments.c.record_id, comments.c.author, comments.c.body)
                                .where(comments.c.record_id.in_(record_ids)).order_by(comments.c.id)):
            notes.setdefault(row.record_id, []).append(f"{row.author}: {row.body}")
        return stars, notes

    def write_csv(self, out: TextIO, filters: HistoryFilter | None = None) -> int:
        """Write CSV to ``out``; returns the number of rows. Every field is quoted, and no part of a cell can run as a
        spreadsheet formula, however the spreadsheet splits the line (see ``spreadsheet_safe``)."""
        writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        count = 0
        for row in self.export_rows(filters):
            row["images"] = " ".join(row["images"])
            row["comments"] = " | ".join(row["comments"])
            row["approvals"] = " | ".join(row["approvals"])
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
            count += 1
        return count

    def write_json(self, out: TextIO, filters: HistoryFilter | None = None) -> int:
        """Write a JSON array to ``out``, one record at a time; returns the number of rows."""
        out.write("[")
        count = 0
        for row in self.export_rows(filters):
            out.write(",\n  " if count else "\n  ")
            out.write(json.dumps(row, ensure_ascii=False))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count


def attempt_values(request: VideoRequest, *, session_id: str, created_by: str | None, now: float, status: str,
                   **extra: Any) -> dict[str, Any]:
    """The row of one attempt: the body as sent, plus the columns lists filter on."""
    payload = request.to_payload(validate=False)
    return {"status": status, "request": payload, "params_hash": params_hash(request), "prompt": payload["prompt"],
            "mode": request.mode, "ratio": str(request.ratio), "duration": _int(request.duration),
            "session_id": session_id, "created_by": created_by, "attempted_at": now, "updated_at": now,
            "enqueued_at": now if status == TaskStatus.PENDING else None, "lookup_failures": 0, **extra}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):  # a time no calendar holds (stored before answers were checked)
        return None


# Where a spreadsheet may start a new cell: the list separator of either locale (",", ";"), a tab (LibreOffice's
# import offers it, Excel's paste uses it) and a line break; then any spaces or quotes it may strip.
_FORMULA_START = re.compile(r"(^|[,;\t\r\n])([\s\"]*)(?=[=+\-@])")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` with a ``'`` before every ``= + - @`` that could begin a cell (OWASP's CSV injection rule).

    Quoting every field is not enough: a spreadsheet whose list separator is ``;`` opens a comma-separated file by
    splitting on ``;``, quotes or not, so ``great take;=cmd|' /C calc'!A0`` would give a cell starting with ``=``.
    Every place a ``,``, ``;``, tab or line break split could start a cell is guarded, not only the first.
    """
    if not isinstance(value, str):
        return value
    return _FORMULA_START.sub(r"\1\2'", value)


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def record_from_row(row: Mapping[Any, Any]) -> HistoryRecord:
    return HistoryRecord(
        id=row["id"], task_id=row["task_id"], status=row["status"], payload=_json_value(row["request"]) or {},
        session_id=row["session_id"] or "", created_by=row["created_by"], attempted_at=row["attempted_at"],
        updated_at=row["updated_at"], finished_at=row["finished_at"], error=row["error"],
        video_url=row["video_url"], remote_created=row["remote_created"], raw=_json_value(row["raw"]),
        lookup_error=row["lookup_error"], lookup_failures=row["lookup_failures"] or 0,
        next_lookup_at=row["next_lookup_at"], image_keys=list(_json_value(row["image_keys"]) or []),
        parent_id=row["parent_id"], note_id=row.get("note_id"), preset_id=row.get("preset_id"))
