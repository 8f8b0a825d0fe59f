"""Create a task without ever losing it: send an attempt already recorded, once, and record the outcome.

The create queue (``queue.py``) is the one create path: it records the attempt (``sending`` when the pace allows
it now, else ``pending``) and sends it through here. This module makes no UI calls on purpose. In Streamlit, a
rerun can interrupt a script at any ``st.*`` call; here the attempt is committed before the request and the id is
committed the moment the answer is parsed, with nothing in between that could be interrupted. If the attempt cannot
be recorded, nothing is sent."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .client import StarVideosClient
from .errors import (
    DatabaseError,
    InvalidResponseError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    StarVideosError,
)
from .models import VideoRequest, VideoTask

if TYPE_CHECKING:
    from .history import HistoryStore

log = logging.getLogger(__name__)

# A gateway error to a POST can come after the origin accepted it: the task may exist.
_GATEWAY_STATUSES = (502, 504)


@dataclass(frozen=True)
class Submission:
    """The outcome of one create attempt, already recorded in the history (unless ``record_id`` is None: then
    the attempt could not be recorded, or was refused before it was, and nothing was sent)."""

    record_id: int | None
    task: VideoTask | None = None
    error: StarVideosError | None = None
    queued: bool = False
    """True when the create waits in the queue (the pace or the in-flight limit said not yet)."""
    wait: float = 0.0
    """For a queued create: about how many seconds until it goes out."""

    @property
    def outcome_unknown(self) -> bool:
        return isinstance(self.error, OutcomeUnknownError)


def send_recorded(client: StarVideosClient, store: HistoryStore, record_id: int, request: VideoRequest, *,
                  requeue: Callable[[int, RateLimitError], None] | None = None) -> Submission:
    """Send an attempt that is already recorded as ``sending``, and settle it. With ``requeue`` (the queue's), a
    429 (a definite "not now", nothing created) puts the item back; without it, the attempt is rejected."""
    try:
        task = client.create_video(request)
    except RateLimitError as exc:
        if requeue is None:
            return _rejected(store, record_id, exc)
        log.info("create rate-limited (record %d): back in the queue for %s s", record_id, exc.retry_after)
        _settle(requeue, record_id, exc)
        return Submission(record_id, error=exc, queued=True, wait=exc.retry_after or 60.0)
    except (OutcomeUnknownError, InvalidResponseError) as exc:
        return _unknown(store, record_id, exc)
    except ServerError as exc:
        if exc.status_code in _GATEWAY_STATUSES:
            return _unknown(store, record_id, exc)
        return _rejected(store, record_id, exc)
    except StarVideosError as exc:
        return _rejected(store, record_id, exc)
    except BaseException:
        # Interrupted mid-request (rerun, shutdown): the POST may have been sent.
        _settle(store.mark_unknown, record_id, "Interrupted while sending: the task may have been created.")
        raise
    _settle(store.mark_created, record_id, task)
    log.info("created task %s (record %d)", task.id, record_id)
    return Submission(record_id, task=task)


def _rejected(store: HistoryStore, record_id: int, exc: StarVideosError) -> Submission:
    log.info("create rejected (record %d): %s", record_id, exc.message)
    _settle(store.mark_rejected, record_id, f"{exc.message} {exc.hint}")
    return Submission(record_id, error=exc)


def _unknown(store: HistoryStore, record_id: int, exc: StarVideosError) -> Submission:
    log.warning("create outcome unknown (record %d): %s", record_id, exc.message)
    _settle(store.mark_unknown, record_id, exc.message)
    if isinstance(exc, OutcomeUnknownError):
        return Submission(record_id, error=exc)
    if isinstance(exc, ServerError):
        title = "The gateway answered with an error: the task may exist."
    else:
        title = "The answer could not be read: the task may exist."
    return Submission(record_id, error=OutcomeUnknownError(exc.message, title=title))


def _settle(write: Any, record_id: int, value: Any, *, attempts: int = 3) -> None:
    # The request is out: its outcome (above all a task id, which is paid work) is worth a few tries to store. If
    # it still cannot be stored the record stays "sending", which the poller later turns into "outcome unknown"
    # (never re-sent), and the id is written to the server log so it can be attached by hand.
    for attempt in range(attempts):
        try:
            write(record_id, value)
            return
        except DatabaseError as exc:
            if attempt + 1 == attempts:
                shown = f"task id {value.id}" if isinstance(value, VideoTask) else "outcome"
                log.error("sent the create request of record %d but could not store its %s: %s", record_id, shown,
                          exc.message)
                return
            time.sleep(0.5)
