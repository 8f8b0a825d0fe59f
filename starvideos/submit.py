"""Create a task without ever losing it: record the attempt, send once, record the outcome.

This module makes no UI calls on purpose. In Streamlit, a rerun can interrupt a script at any ``st.*`` call; here
the attempt is committed before the request and the id is committed the moment the answer is parsed, with
nothing in between that could be interrupted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .client import StarVideosClient
from .errors import InvalidResponseError, OutcomeUnknownError, ServerError, StarVideosError
from .history import HistoryStore
from .models import VideoRequest, VideoTask

# A gateway error to a POST can come after the origin accepted it: the task may exist.
_GATEWAY_STATUSES = (502, 504)


@dataclass(frozen=True)
class Submission:
    """The outcome of one create attempt, already recorded in the history."""

    record_id: int
    task: VideoTask | None = None
    error: StarVideosError | None = None

    @property
    def outcome_unknown(self) -> bool:
        return isinstance(self.error, OutcomeUnknownError)


def submit_video(client: StarVideosClient, store: HistoryStore, request: VideoRequest, *,
                 session_id: str = "") -> Submission:
    """Record, send and settle one create call. Never raises a ``StarVideosError``; never re-sends."""
    record_id = store.record_attempt(request, session_id=session_id)
    try:
        task = client.create_video(request)
    except (OutcomeUnknownError, InvalidResponseError) as exc:
        return _unknown(store, record_id, exc)
    except ServerError as exc:
        if exc.status_code in _GATEWAY_STATUSES:
            return _unknown(store, record_id, exc)
        store.mark_rejected(record_id, f"{exc.message} {exc.hint}")
        return Submission(record_id, error=exc)
    except StarVideosError as exc:
        store.mark_rejected(record_id, f"{exc.message} {exc.hint}")
        return Submission(record_id, error=exc)
    except BaseException:
        # Interrupted mid-request (rerun, shutdown): the POST may have been sent.
        store.mark_unknown(record_id, "Interrupted while sending: the task may have been created.")
        raise
    store.mark_created(record_id, task)
    return Submission(record_id, task=task)


def _unknown(store: HistoryStore, record_id: int, exc: StarVideosError) -> Submission:
    store.mark_unknown(record_id, exc.message)
    unknown = exc if isinstance(exc, OutcomeUnknownError) else OutcomeUnknownError(
        f"{exc.message} The task may have been created anyway.")
    return Submission(record_id, error=unknown)
