"""Live status: parallel lookups, per-task back-off, finished tasks never looked up again."""

from __future__ import annotations

import time

from starvideos import HistoryStore, StarVideosClient, TaskStatus, VideoRequest
from starvideos.poller import StatusPoller
from starvideos.sandbox import Fault, SandboxServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(client: StarVideosClient, store: HistoryStore, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rid = store.record_attempt(VideoRequest(f"task {i}"))
        task = client.create_video(VideoRequest(f"task {i}"))
        store.mark_created(rid, task)
        ids.append(task.id)
    return ids


def test_lookups_run_in_parallel(sandbox: SandboxServer, client: StarVideosClient, store: HistoryStore) -> None:
    """Test that 8 lookups taking 0.3 s each finish in well under 8 × 0.3 s."""
    ids = make(client, store, 8)
    sandbox.lookup_delay = 0.3
    poller = StatusPoller(client, store, workers=8)
    started = time.monotonic()
    assert poller.refresh(ids) == 8
    assert time.monotonic() - started < 1.2
    assert len(sandbox.received("GET")) == 8


def test_back_off_per_task_and_done_tasks_stop(sandbox: SandboxServer, client: StarVideosClient,
                                               store: HistoryStore) -> None:
    """Test that a failing task backs off alone, with its error, and a completed task leaves the live list."""
    ok_id, bad_id = make(client, store, 2)
    clock = Clock()
    poller = StatusPoller(client, store, interval=3, clock=clock)
    sandbox.inject(Fault(404, method="GET", path_contains=bad_id, times=10))
    assert poller.refresh([ok_id, bad_id]) == 2
    assert poller.state(ok_id).error is None and poller.state(ok_id).next_due == 1003
    bad = poller.state(bad_id)
    assert bad.failures == 1 and bad.next_due == 1006
    assert bad.error.startswith("HTTP 404 Not Found: Sandbox fault: HTTP 404 The status lookup path may not exist")
    assert "STARVIDEOS_STATUS_PATH" in bad.error
    clock.now = 1003.5  # ok is due, bad is still backing off
    assert poller.refresh([ok_id, bad_id]) == 1
    clock.now = 1006.5
    assert poller.refresh([bad_id]) == 1 and poller.state(bad_id).next_due == 1006.5 + 12
    sandbox.queued_seconds = sandbox.processing_seconds = 0
    clock.now = 1100
    poller.refresh([ok_id], force=True)
    assert store.get_by_task_id(ok_id).status == TaskStatus.COMPLETED.value
    assert [r.task_id for r in store.live()] == [bad_id]


def test_rate_limit_waits_at_least_retry_after(sandbox: SandboxServer, client: StarVideosClient,
                                               store: HistoryStore) -> None:
    """Test that a 429 with Retry-After pushes that task's next lookup at least that far."""
    [task_id] = make(client, store, 1)
    clock = Clock()
    poller = StatusPoller(client, store, interval=1, clock=clock)
    sandbox.inject(Fault(429, method="GET", headers={"Retry-After": "30"}))
    poller.refresh([task_id])
    assert poller.state(task_id).next_due == 1030
    assert len(sandbox.received("GET")) == 1  # the poller's lookups are not retried by the client
