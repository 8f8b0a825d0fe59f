"""Making tasks in tests the way Create makes them: through the create queue, recorded before they are sent."""

from __future__ import annotations

from typing import Any

from starvideos import StarVideosClient, VideoRequest
from starvideos.history import HistoryStore
from starvideos.queue import CreateQueue
from starvideos.submit import Submission


def unpaced_queue(client: StarVideosClient, store: HistoryStore) -> CreateQueue:
    """A create queue whose pace and in-flight limit never hold a test's creates back: each one goes out at once."""
    return CreateQueue(store.db, store, client, per_minute=600_000, burst=10_000, max_in_flight=100_000)


def create_now(client: StarVideosClient, store: HistoryStore, request: VideoRequest, *, session_id: str = "",
               created_by: str | None = None, **extra: Any) -> Submission:
    """Create one task through the queue, sent now (never left waiting): what Create does for a person."""
    queue = unpaced_queue(client, store)
    try:
        submission = queue.submit(request, session_id=session_id, created_by=created_by, **extra)
    finally:
        queue.close()
    assert not submission.queued, "the unpaced queue held a create back"
    return submission
