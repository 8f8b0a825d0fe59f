"""Live status for unfinished tasks: parallel lookups, a back-off per task, results written to the history.

One ``StatusPoller`` serves every browser session of a process, so ten people watching History cause one lookup
per task per interval, not ten.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from .client import StarVideosClient
from .errors import RateLimitError, StarVideosError
from .history import HistoryStore
from .models import VideoTask


@dataclass
class PollState:
    """What the poller knows about one task between lookups."""

    next_due: float = 0.0
    failures: int = 0
    error: str | None = None
    """Plain-language text of the last failed lookup (message and next step), None after a success."""
    in_flight: bool = False


class StatusPoller:
    """Looks up due tasks in parallel and stores what it learns.

    Lookups are I/O-bound waits, so the pool is sized for a page of unfinished tasks at once (B3: 25 lookups in
    one round trip, not four); each task still backs off on its own when the API pushes back.
    """

    def __init__(self, client: StarVideosClient, store: HistoryStore, *, interval: float = 3.0,
                 max_backoff: float = 60.0, workers: int = 32, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.store = store
        self.interval = interval
        self.max_backoff = max_backoff
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status-lookup")
        self._lock = threading.Lock()
        self._states: dict[str, PollState] = {}

    def state(self, task_id: str) -> PollState:
        with self._lock:
            return self._states.setdefault(task_id, PollState())

    def refresh(self, task_ids: Iterable[str], *, force: bool = False, timeout: float | None = None) -> int:
        """Look up every due task (all of them with ``force``) at once; returns how many were looked up."""
        now = self._clock()
        chosen: list[str] = []
        with self._lock:
            for task_id in dict.fromkeys(task_ids):
                state = self._states.setdefault(task_id, PollState())
                if not state.in_flight and (force or state.next_due <= now):
                    state.in_flight = True
                    chosen.append(task_id)
        futures = [self._pool.submit(self._lookup, task_id) for task_id in chosen]
        wait(futures, timeout=timeout)
        return len(chosen)

    def _lookup(self, task_id: str) -> VideoTask | None:
        # Retries are this poller's job (the back-off below), not the client's: a fragment must not block.
        try:
            task = self.client.get_video(task_id, retries=0)
        except StarVideosError as exc:
            self._failed(task_id, exc)
            return None
        except Exception as exc:  # a bug must not kill the pool thread silently
            self._failed(task_id, StarVideosError(f"Unexpected error: {type(exc).__name__}"))
            return None
        self.store.update_task(task)
        with self._lock:
            state = self._states[task_id]
            state.failures, state.error, state.in_flight = 0, None, False
            state.next_due = self._clock() + self.interval
        return task

    def _failed(self, task_id: str, exc: StarVideosError) -> None:
        with self._lock:
            state = self._states[task_id]
            state.failures += 1
            state.error = f"{exc.message} {exc.hint}"
            delay = min(self.interval * 2 ** state.failures, self.max_backoff)
            if isinstance(exc, RateLimitError) and exc.retry_after is not None:
                delay = min(max(delay, exc.retry_after), self.max_backoff)
            state.next_due = self._clock() + delay
            state.in_flight = False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
