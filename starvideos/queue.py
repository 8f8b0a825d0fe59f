"""The durable, paced queue of create requests: batches from a spreadsheet, variants, and any create that the pace
says must wait.

Each item is a task record: ``pending`` (waiting) → ``sending`` → created / ``outcome_unknown`` / ``rejected``. The
move to ``sending`` is the attempt record, committed before the POST exactly as for a single create; an item whose
outcome is unknown is never sent again on its own. Every process runs one worker; items are claimed through the
database (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), and the pace
(``STARVIDEOS_MAX_CREATES_PER_MINUTE``, a bucket in the database) and the in-flight limit (``STARVIDEOS_MAX_IN_FLIGHT``)
hold for the whole deployment. A 429 puts the item back and pauses the queue for its ``Retry-After``. After a crash,
waiting items go out on their own; one that was being sent is settled as outcome unknown, never sent twice.
Single creates go ahead of batch items, so a person at the Create page does not wait behind a spreadsheet.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .client import StarVideosClient
from .database import Database
from .errors import BudgetExceededError, DatabaseError, RateLimitError, StarVideosError
from .estimates import Estimates
from .history import HistoryStore, params_hash
from .limits import RateLimiter
from .models import IN_FLIGHT, UNSETTLED, TaskStatus, VideoRequest
from .schema import batches, queue_state, task_counts, tasks
from .submit import Submission, send_recorded
from .workers import Heartbeats, Job, Worker

log = logging.getLogger(__name__)

NAME = "creates"
SWEEP_SECONDS = 60.0
# A batch is finished when none of its items waits, is being sent, or may still change at the provider.


@dataclass(frozen=True)
class QueueState:
    """The switch every replica reads: paused by a person, or waiting out a 429."""

    paused: bool = False
    paused_until: float | None = None
    reason: str | None = None

    def holding(self, now: float | None = None) -> bool:
        return self.paused or (self.paused_until is not None and self.paused_until > (now or time.time()))


@dataclass(frozen=True)
class Batch:
    id: int
    name: str
    source: str
    """``csv`` or ``variants``."""
    total: int
    created_by: str | None
    created_at: float
    fingerprint: str | None = None
    """What was queued (``batch_fingerprint``); None for batches queued before batches had one."""
    copy: int = 0
    """0 for the first time these requests were queued, n for the n-th "Queue again"."""


class AlreadyQueuedError(StarVideosError):
    """These very requests were queued before (by anyone, on any replica): nothing was queued again. ``batch`` is
    the newest batch that holds them; queueing them once more needs ``enqueue(..., again=batch)``."""

    title = "Already queued."
    hint = "Follow it in the queue, or choose “Queue again” to queue (and pay for) the same tasks once more."

    def __init__(self, batch: Batch) -> None:
        super().__init__(f"These {batch.total:,} task{'s' if batch.total != 1 else ''} were already queued as "
                         f"“{batch.name}”. Nothing was queued again.")
        self.batch = batch


def batch_fingerprint(requests: Sequence[VideoRequest]) -> str:
    """What a batch asks for, whatever the order of its rows or of a grid's choices: the same spreadsheet (saved
    again, with or without a byte-order mark, comma or semicolon) or the same variants grid gives the same value,
    and one row or take more or less gives another."""
    digest = hashlib.sha256(b"starvideos-batch-v1")
    for item in sorted(params_hash(r) for r in requests):
        digest.update(item.encode("ascii"))
    return digest.hexdigest()


def settled(counts: dict[str, int]) -> bool:
    """True when a batch's items (``CreateQueue.progress``) are all finished: none waits, is being sent, or runs."""
    return not any(counts.get(state, 0) for state in UNSETTLED)


class CreateQueue(Job):
    """Admits creates at the deployment's pace and sends what waits. Thread-safe; one per process."""

    def __init__(self, db: Database, store: HistoryStore, client: StarVideosClient, *, per_minute: float = 10.0,
                 max_in_flight: int = 20, estimates: Estimates | None = None, workers: int = 4,
                 owner: str | None = None, burst: float | None = None, heartbeats: Heartbeats | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.store = store
        self.client = client
        self.max_in_flight = max_in_flight
        self.estimates = estimates
        # A person's two or three quick clicks go straight out; a spreadsheet is paced from the start.
        burst = burst if burst is not None else max(1.0, min(5.0, per_minute / 4))
        self.pacer = RateLimiter(db, NAME, per_minute=per_minute, burst=burst, clock=clock)
        timeout = client.timeout if isinstance(client.timeout, tuple) else (client.timeout, client.timeout)
        self.lease_seconds = sum(timeout) + 30
        self.owner = owner or f"queue-{uuid.uuid4().hex[:12]}"
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="create-send")
        self._workers = workers
        self._busy = 0
        self._lock = threading.Lock()
        self._clock = clock
        self._last_sweep = float("-inf")
        self.worker = Worker("create_queue", self._round, heartbeats=heartbeats, owner=self.owner, clock=clock,
                             max_pause=2.0)

    # Admitting creates -----------------------------------------------------------------------------------------

    def submit(self, request: VideoRequest, *, session_id: str = "", created_by: str | None = None,
               **extra: Any) -> Submission:
        """A create from a person: sent now when the pace and the in-flight limit allow (and nothing of theirs
        waits ahead), else queued (``Submission.queued``). Never raises a ``StarVideosError``; never re-sends."""
        try:
            if self.estimates is not None:
                self.estimates.check_budget([request])
            record_id, now_ok, wait = self._admit(request, session_id, created_by, extra)
        except (BudgetExceededError, DatabaseError) as exc:
            log.info("create refused before anything was recorded: %s", exc.message)
            return Submission(None, error=exc)
        if self.estimates is not None:
            self.estimates.forget_standing()
        if not now_ok:
            self.wake()
            return Submission(record_id, queued=True, wait=wait)
        return send_recorded(self.client, self.store, record_id, request, requeue=self._requeue)

    def _admit(self, request: VideoRequest, session_id: str, created_by: str | None,
               extra: dict[str, Any]) -> tuple[int, bool, float]:
        now = self._clock()
        with self.db.write() as conn:
            state = _state(conn, self.db)
            ahead = conn.execute(sa.select(tasks.c.id).where(
                tasks.c.status == TaskStatus.PENDING, tasks.c.batch_id.is_(None), tasks.c.deleted_at.is_(None))
                .limit(1)).first()
            grant = None
            if not state.holding(now) and ahead is None and _in_flight(conn) < self.max_in_flight:
                grant = self.pacer.take_in(conn, 1)
            send_now = grant is not None and grant.granted == 1
            lease = {"lease_owner": self.owner, "lease_until": now + self.lease_seconds} if send_now else {}
            status = TaskStatus.SENDING if send_now else TaskStatus.PENDING
            record_id = self.store.add_attempt(conn, request, session_id=session_id, created_by=created_by,
                                               status=status, **lease, **extra)
        wait = 0.0 if send_now else self._wait_estimate(state, grant.wait if grant else None)
        return record_id, send_now, wait

    def _wait_estimate(self, state: QueueState, pace_wait: float | None) -> float:
        if state.paused_until is not None:
            return max(0.0, state.paused_until - self._clock())
        return pace_wait if pace_wait is not None else 60.0 / max(self.pacer.rate * 60, 0.1)

    def enqueue(self, requests: Sequence[VideoRequest], *, name: str, source: str, session_id: str = "",
                created_by: str | None = None, again: Batch | None = None) -> Batch:
        """Queue many creates as one batch (one transaction: all are queued, or none); the budget is checked for
        the whole batch first.

        Idempotent: the same requests queued before raise ``AlreadyQueuedError`` with that batch, whoever queued
        them and on whichever replica (a unique index on the batch's fingerprint and copy decides a race). To queue
        them once more, pass the newest batch the person was shown as ``again``; a second such call (a double
        click on "Queue again") finds the copy the first one made."""
        fingerprint = batch_fingerprint(requests)
        copy = again.copy + 1 if again is not None else 0
        newest = self.find_batch(fingerprint)
        if newest is not None and newest.copy >= copy:
            raise AlreadyQueuedError(newest)
        if self.estimates is not None:
            self.estimates.check_budget(list(requests))
        now = self._clock()
        values = {"name": name[:200], "source": source, "total": len(requests), "created_by": created_by,
                  "created_at": now, "fingerprint": fingerprint, "copy": copy}
        with self.db.write() as conn:
            row = conn.execute(self.db.insert_ignore(batches, values, keys=["fingerprint", "copy"])
                               .returning(*batches.c)).first()
            if row is not None and requests:
                self.store.add_queued(conn, requests, batch_id=row.id, session_id=session_id, created_by=created_by)
        if row is None:  # another session or replica queued the same a moment ago
            raise AlreadyQueuedError(self.find_batch(fingerprint) or Batch(0, name, source, len(requests),
                                                                           created_by, now, fingerprint, copy))
        if self.estimates is not None:
            self.estimates.forget_standing()
        self.wake()
        log.info("queued batch %d (%s, %d items, copy %d)", row.id, source, len(requests), copy)
        return Batch(**row._mapping)

    def find_batch(self, fingerprint: str) -> Batch | None:
        """The newest batch (highest copy) that queued these requests, if any."""
        rows = self.db.rows(sa.select(batches).where(batches.c.fingerprint == fingerprint)
                            .order_by(batches.c.copy.desc()).limit(1))
        return Batch(**rows[0]._mapping) if rows else None

    # The switch ------------------------------------------------------------------------------------------------

    def state(self) -> QueueState:
        with self.db.read() as conn:
            return _state(conn)

    def pause(self) -> None:
        self._set_state(paused=True, reason="Paused by a person.")

    def resume(self) -> None:
        self._set_state(paused=False, paused_until=None, reason=None)
        self.wake()

    def hold(self, seconds: float, reason: str) -> None:
        """Wait ``seconds`` before sending anything more (the API asked for it with a 429)."""
        with self.db.write() as conn:
            self._hold_in(conn, seconds, reason)

    def _hold_in(self, conn: sa.Connection, seconds: float, reason: str) -> None:
        self._set_state_in(conn, paused_until=self._clock() + max(1.0, seconds), reason=reason)

    def _requeue(self, record_id: int, exc: RateLimitError) -> None:
        # The hold and the item's return are one transaction: no worker can claim the item in between.
        with self.db.write() as conn:
            self._hold_in(conn, exc.retry_after or 60.0, exc.message)
            wait = exc.retry_after or 60.0
            self.store.back_in_queue(conn, record_id, f"The API asked to slow down ({exc.message}); nothing was "
                                                      f"created. It waits in the queue and goes out on its own in "
                                                      f"about {wait:g} seconds.")

    def _set_state(self, **values: Any) -> None:
        with self.db.write() as conn:
            self._set_state_in(conn, **values)

    def _set_state_in(self, conn: sa.Connection, **values: Any) -> None:
        now = self._clock()
        base = {"name": NAME, "paused": False, "paused_until": None, "reason": None, "updated_at": now}
        conn.execute(self.db.upsert(queue_state, {**base, **values}, keys=["name"],
                                    update={**values, "updated_at": now}))

    def cancel_pending(self, batch_id: int | None = None) -> int:
        """Cancel what has not been sent yet (of one batch, or all); returns how many."""
        with self.db.write() as conn:
            return self.store.cancel_pending(conn, batch_id)

    # Progress --------------------------------------------------------------------------------------------------

    def batches(self, limit: int = 10) -> list[Batch]:
        rows = self.db.rows(sa.select(batches).order_by(batches.c.id.desc()).limit(limit))
        return [Batch(**row._mapping) for row in rows]

    def progress(self, batch_id: int) -> dict[str, int]:
        rows = self.db.rows(sa.select(tasks.c.status, sa.func.count()).where(tasks.c.batch_id == batch_id)
                            .group_by(tasks.c.status))
        return {status: int(n) for status, n in rows}

    def waiting(self) -> int:
        return int(self.db.scalar(sa.select(sa.func.coalesce(sa.func.sum(task_counts.c.n), 0))
                                  .where(task_counts.c.status == TaskStatus.PENDING)))

    # The worker ------------------------------------------------------------------------------------------------

    def close(self) -> None:
        self.worker.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _round(self) -> float:
        if self._clock() - self._last_sweep > SWEEP_SECONDS:
            settled = self.store.settle_stale_sends(older_than=max(600.0, self.lease_seconds * 4))
            if settled:
                log.warning("%d attempt(s) were left sending by a stopped process: now outcome unknown", settled)
            self._last_sweep = self._clock()
        return self._tick()

    def _tick(self) -> float:
        with self._lock:
            if self._busy >= self._workers:
                return 0.05
        claimed, wait = self.claim()
        if claimed is None:
            return min(max(wait, 0.01), 2.0)
        with self._lock:
            self._busy += 1
        self._pool.submit(self._send, *claimed)
        return 0.0

    def claim(self) -> tuple[tuple[int, VideoRequest] | None, float]:
        """Take the next item (single creates first, then the oldest), if the switch, the in-flight limit and the
        pace allow; returns it with the record already ``sending`` (the attempt record), or None and how long to
        wait."""
        if not self.waiting():  # a read: an idle queue writes nothing
            return None, 2.0
        now = self._clock()
        with self.db.write() as conn:
            state = _state(conn, self.db)
            if state.holding(now):
                until = None if state.paused else state.paused_until
                return None, max(0.05, until - now) if until is not None else 2.0
            if _in_flight(conn) >= self.max_in_flight:
                return None, 1.0
            grant = self.pacer.take_in(conn, 1)
            if not grant.granted:
                return None, grant.wait
            claimed = self.store.claim_next_send(conn, self.owner, lease_seconds=self.lease_seconds)
            if claimed is None:  # another replica took the last one: the token goes back
                self.pacer.give_back_in(conn, 1)
                return None, 2.0
        return claimed, 0.0

    def _send(self, record_id: int, request: VideoRequest) -> None:
        try:
            send_recorded(self.client, self.store, record_id, request, requeue=self._requeue)
        except Exception:
            log.exception("sending queued record %d failed", record_id)
        finally:
            with self._lock:
                self._busy -= 1
            self.worker.wake()


def _state(conn: sa.Connection, db: Database | None = None) -> QueueState:
    """The switch; with ``db``, locked for the rest of the transaction, so that claims (on every replica) and a
    429's hold are serialised: no claim can read the switch as open and then take an item being held."""
    if db is not None:
        conn.execute(db.insert_ignore(queue_state, {"name": NAME, "paused": False, "updated_at": time.time()},
                                      keys=["name"]))
    query = sa.select(queue_state).where(queue_state.c.name == NAME)
    row = conn.execute(query.with_for_update() if db is not None else query).first()
    if row is None:
        return QueueState()
    return QueueState(bool(row.paused), row.paused_until, row.reason)


def _in_flight(conn: sa.Connection) -> int:
    """Tasks being sent or still running at the provider, from the kept counts (no scan)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(task_counts.c.n), 0))
                            .where(task_counts.c.status.in_(list(IN_FLIGHT)))).scalar_one())
