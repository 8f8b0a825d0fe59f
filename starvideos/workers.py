"""The one way background work runs: a ``Worker`` is a thread that calls its job's ``tick`` until stopped.

``tick`` does one round of work and returns how long to sleep before the next (``wake`` cuts a sleep short, for work
that just arrived). A round that fails backs off instead of spinning: a database that is down is a warning, anything
else is logged with its traceback; neither kills the thread. Each worker beats in the database's
``worker_heartbeats`` table (at most every ``BEAT_SECONDS``) so ``/readyz`` and ``/metrics`` see every replica's
workers, and removes its row when it stops. The clock is a parameter, so pacing and back-off are tested without
waiting.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Self

from .errors import DatabaseError

if TYPE_CHECKING:
    from .database import Database

log = logging.getLogger(__name__)
BEAT_SECONDS = 15.0
Clock = Callable[[], float]


class Heartbeats:
    """Rows in ``worker_heartbeats``: one per running worker of every replica."""

    def __init__(self, db: Database, *, clock: Clock = time.time) -> None:
        self.db = db
        self._clock = clock
        self.host = socket.gethostname()[:200]

    def beat(self, owner: str, kind: str, started_at: float) -> None:
        from .schema import worker_heartbeats

        now = self._clock()
        with self.db.write() as conn:
            conn.execute(self.db.upsert(worker_heartbeats, {"owner": owner, "kind": kind, "host": self.host,
                                                            "beat_at": now, "started_at": started_at},
                                        keys=["owner"], update={"beat_at": now}))

    def forget(self, owner: str) -> None:
        from .schema import worker_heartbeats

        with self.db.write() as conn:
            conn.execute(worker_heartbeats.delete().where(worker_heartbeats.c.owner == owner))

    def latest(self) -> list[tuple[str, str, str, float]]:
        """``(kind, owner, host, beat_at)`` of every worker that has beaten, oldest beat first."""
        import sqlalchemy as sa

        from .schema import worker_heartbeats as t

        return [(r.kind, r.owner, r.host, float(r.beat_at)) for r in self.db.rows(
            sa.select(t.c.kind, t.c.owner, t.c.host, t.c.beat_at).order_by(t.c.beat_at))]


class Worker:
    """One background thread running ``tick`` until ``stop``. Thread-safe; start and stop are idempotent."""

    def __init__(self, kind: str, tick: Callable[[], float], *, heartbeats: Heartbeats | None = None,
                 max_pause: float = 5.0, error_pause: float = 5.0, owner: str | None = None,
                 clock: Clock = time.time) -> None:
        self.kind = kind
        self.owner = owner or f"{kind}-{uuid.uuid4().hex[:12]}"
        self._tick = tick
        self._heartbeats = heartbeats
        self._max_pause = max_pause
        self._error_pause = error_pause
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._started_at = 0.0
        self._beat_at: float | None = None
        self.rounds = 0
        """Rounds run (for tests and metrics)."""

    @property
    def alive(self) -> bool:
        """True while the loop runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was asked for: long work checks it between steps and gives up cleanly."""
        return self._stopping.is_set()

    def start(self) -> Worker:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._started_at = self._clock()
                self._thread = threading.Thread(target=self._run, name=self.kind.replace("_", "-"), daemon=True)
                self._thread.start()
        return self

    def wake(self) -> None:
        """Run the next round now (work just arrived)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end, wait up to ``timeout`` for the round in progress, and remove the heartbeat."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                pause = self._round()
                self._wake.wait(max(0.0, min(pause, self._max_pause)))
                self._wake.clear()
        finally:
            self._forget()

    def _round(self) -> float:
        try:
            pause = self._tick()
            self.rounds += 1
        except DatabaseError as exc:
            log.warning("%s paused: %s", self.kind, exc.message)
            return self._error_pause
        except Exception:
            log.exception("%s round failed", self.kind)
            return self._error_pause
        self._beat()
        return pause

    def _beat(self) -> None:
        now = self._clock()
        if self._heartbeats is None or (self._beat_at is not None and now - self._beat_at < BEAT_SECONDS):
            return
        try:
            self._heartbeats.beat(self.owner, self.kind, self._started_at)
            self._beat_at = now
        except DatabaseError as exc:
            log.debug("%s could not beat: %s", self.kind, exc.message)

    def _forget(self) -> None:
        if self._heartbeats is not None and self._beat_at is not None:
            with contextlib.suppress(DatabaseError):  # else the row ages out: beats are judged by their age
                self._heartbeats.forget(self.owner)


class Job:
    """A background job that runs on a ``Worker`` (``self.worker``): starting, waking and asking after it are the
    worker's, said once here for every job."""

    worker: Worker

    def start(self) -> Self:
        self.worker.start()
        return self

    @property
    def alive(self) -> bool:
        """True while the background loop runs."""
        return self.worker.alive

    def wake(self) -> None:
        """Run the next round now (work just arrived)."""
        self.worker.wake()
