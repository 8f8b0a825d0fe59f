"""Live status for every unfinished task, in the background, for as long as the app runs.

Each process runs one ``StatusPoller``. Its loop claims due tasks through the database (a lease that expires, so a
killed replica's tasks are picked up by another), most overdue first, within the deployment's lookup budget
(``STARVIDEOS_MAX_LOOKUPS_PER_MINUTE``, a bucket shared in the database), and looks them up in parallel. Pages only
read what it found; "Refresh now" asks for an immediate lookup through ``refresh``. However many replicas and
sessions there are, each unfinished task is looked up once per interval for the whole deployment.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from .client import StarVideosClient
from .errors import APIStatusError, DatabaseError, RateLimitError, StarVideosError
from .history import HistoryStore
from .limits import RateLimiter
from .models import VideoTask
from .workers import Heartbeats, Job, Worker

log = logging.getLogger(__name__)


class StatusPoller(Job):
    """Looks up due tasks in parallel and stores what it learns. Thread-safe; one per process.

    Lookups are I/O-bound waits, so the pool is sized for a page of unfinished tasks at once (B3: 25 lookups in one
    round trip, not four); each task still backs off on its own when the API pushes back.
    """

    def __init__(self, client: StarVideosClient, store: HistoryStore, *, interval: float = 3.0,
                 max_backoff: float = 60.0, workers: int = 32, budget: RateLimiter | None = None,
                 lease_seconds: float | None = None, owner: str | None = None,
                 heartbeats: Heartbeats | None = None, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.store = store
        self.interval = interval
        self.max_backoff = max_backoff
        self.budget = budget
        self.owner = owner or f"poller-{uuid.uuid4().hex[:12]}"
        timeout = client.timeout if isinstance(client.timeout, tuple) else (client.timeout, client.timeout)
        self.lease_seconds = lease_seconds or sum(timeout) + 10
        self._workers = workers
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status-lookup")
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self.worker = Worker("status_poller", self._tick, heartbeats=heartbeats, owner=self.owner, clock=clock,
                             max_pause=1.0)
        self.lookups = 0
        """Lookups the provider answered (with a status or an error), counted once answered: one cut short by
        shutdown never reached it (for tests and benchmarks)."""

    # Background loop ------------------------------------------------------------------------------------------

    def _tick(self) -> float:
        """Claim and start what is due; returns how long to sleep."""
        with self._lock:
            free = self._workers - len(self._in_flight)
        if free <= 0:
            return 0.1
        # A read first: an idle deployment (nothing unfinished, or nothing due yet) writes nothing, where taking
        # tokens and claiming would be three write transactions (and fsyncs) a second per replica.
        waiting = self._until_due()
        if waiting > 0:
            return waiting
        granted = free
        grant_wait = 0.0
        if self.budget is not None:
            grant = self.budget.take(free)
            granted, grant_wait = grant.granted, grant.wait
            if granted == 0:
                return min(max(grant_wait, 0.05), 5.0)
        claimed = self.store.claim_lookups(self.owner, limit=granted, lease_seconds=self.lease_seconds)
        if self.budget is not None and len(claimed) < granted:
            self.budget.give_back(granted - len(claimed))
        self._start(claimed)
        if claimed and len(claimed) == granted:
            return min(grant_wait, 0.05) if self.budget is not None else 0.05
        return max(0.02, self._until_due())

    def _until_due(self) -> float:
        """Seconds until the next task can be claimed (0 when one can now), at most 1 s. Sleeping exactly that long
        (a wake-up comes sooner when a task is created here) looks each task up on time: once per interval, not once
        per interval plus however long this loop happened to nap."""
        due = self.store.next_lookup_due()
        if due is None:
            return 1.0
        return min(1.0, max(0.0, due - self._clock()))

    def close(self) -> None:
        self.worker.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # Foreground: "Refresh now", and tests -------------------------------------------------------------------

    def refresh(self, task_ids: Iterable[str], *, force: bool = False, timeout: float | None = None) -> int:
        """Look up the given tasks that are due (all of them with ``force``) now; returns how many were looked up.

        A task another replica (or this one) is already looking up is skipped; forced lookups are counted in the
        budget but never refused.
        """
        wanted = list(dict.fromkeys(task_ids))
        if not wanted:
            return 0
        claimed = self.store.claim_lookups(self.owner, limit=len(wanted), lease_seconds=self.lease_seconds,
                                           task_ids=wanted, force=force)
        if self.budget is not None and claimed:
            self.budget.take(len(claimed), force=True)
        futures = self._start(claimed)
        wait(futures, timeout=timeout)
        return len(claimed)

    def _start(self, task_ids: list[str]) -> list[Future[VideoTask | None]]:
        with self._lock:
            fresh = [t for t in task_ids if t not in self._in_flight]
            self._in_flight.update(fresh)
        stale = [t for t in task_ids if t not in fresh]
        if stale:
            self.store.release_lookups(self.owner, stale)
        return [self._pool.submit(self._lookup, task_id) for task_id in fresh]

    def _answered(self) -> None:
        with self._lock:  # pool threads answer at once
            self.lookups += 1

    def _lookup(self, task_id: str) -> VideoTask | None:
        # Retries are this poller's job (the back-off below), not the client's: nothing here may block for long.
        try:
            started = self._clock()
            try:
                task = self.client.get_video(task_id, retries=0)
            except APIStatusError as exc:
                self._answered()
                self._failed(task_id, exc)
                return None
            except StarVideosError as exc:
                self._failed(task_id, exc)
                return None
            except Exception as exc:  # a bug must not kill the pool thread silently
                log.exception("status lookup of %s failed unexpectedly", task_id)
                self._failed(task_id, StarVideosError(f"Unexpected error ({type(exc).__name__}); see the server "
                                                      "log."))
                return None
            self._answered()
            self.store.update_task(task, next_lookup_at=started + self.interval)
            if task.status.is_terminal:
                log.info("task %s is %s", task_id, task.status.value)
            return task
        except DatabaseError as exc:
            # The answer could not be stored; the lease lapses on its own and the task is looked up again.
            log.warning("could not store the status of %s: %s", task_id, exc.message)
            return None
        except Exception:
            log.exception("storing the status of %s failed", task_id)
            return None
        finally:
            with self._lock:
                self._in_flight.discard(task_id)

    def _failed(self, task_id: str, exc: StarVideosError) -> None:
        record = self.store.get_by_task_id(task_id)
        failures = (record.lookup_failures if record else 0) + 1
        delay = min(self.interval * 2 ** failures, self.max_backoff)
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            delay = min(max(delay, exc.retry_after), self.max_backoff)
        log.info("status lookup of %s failed (%s); next try in %.1f s", task_id, exc.message, delay)
        self.store.record_lookup_failure(task_id, f"{exc.message} {exc.hint}", next_lookup_at=self._clock() + delay)
