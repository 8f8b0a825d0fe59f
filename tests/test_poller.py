"""Live status in the background: every unfinished task followed, most overdue first, within the deployment's
lookup budget, each looked up once per interval however many replicas run; a failed store write never wedges a
task. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from starvideos import StarVideosClient
from starvideos.database import Database
from starvideos.errors import DatabaseError
from starvideos.history import HistoryStore
from starvideos.limits import RateLimiter
from starvideos.models import TaskStatus, VideoRequest
from starvideos.poller import StatusPoller
from starvideos.sandbox import Fault, SandboxServer
from starvideos.schema import tasks
from tests.conftest import DUMMY_KEY


def make(client: StarVideosClient, store: HistoryStore, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rid = store.record_attempt(VideoRequest(f"task {i}"))
        task = client.create_video(VideoRequest(f"task {i}"))
        store.mark_created(rid, task)
        ids.append(task.id)
    return ids


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def lookups_per_task(sandbox: SandboxServer) -> Counter[str]:
    return Counter(r.path.rsplit("/", 1)[-1] for r in sandbox.received("GET"))


def test_lookups_run_in_parallel(sandbox: SandboxServer, client: StarVideosClient, store: HistoryStore) -> None:
    """Test that 8 due lookups are all in flight at the same moment, not one after another."""
    ids = make(client, store, 8)
    sandbox.lookup_delay = 0.3
    poller = StatusPoller(client, store, workers=8)
    assert poller.refresh(ids) == 8
    assert len(sandbox.received("GET")) == 8 and sandbox.peak_lookups == 8
    poller.close()


def test_back_off_per_task_and_done_tasks_stop(sandbox: SandboxServer, client: StarVideosClient,
                                               store: HistoryStore) -> None:
    """Test that a failing task backs off alone with its error stored for the page, and a completed task is
    never looked up again."""
    ok_id, bad_id = make(client, store, 2)
    poller = StatusPoller(client, store, interval=3)
    sandbox.inject(Fault(404, method="GET", path_contains=bad_id, times=10))
    before = time.time()
    assert poller.refresh([ok_id, bad_id]) == 2
    ok, bad = store.get_by_task_id(ok_id), store.get_by_task_id(bad_id)
    assert ok.lookup_error is None and before + 3 <= ok.next_lookup_at <= time.time() + 3
    assert bad.lookup_failures == 1 and before + 6 <= bad.next_lookup_at <= time.time() + 6
    assert bad.lookup_error.startswith("HTTP 404 Not Found: Sandbox fault: HTTP 404 The status lookup path may not")
    assert "STARVIDEOS_STATUS_PATH" in bad.lookup_error
    assert poller.refresh([ok_id, bad_id]) == 0  # neither is due yet
    assert poller.refresh([bad_id], force=True) == 1
    bad = store.get_by_task_id(bad_id)
    assert bad.lookup_failures == 2 and bad.next_lookup_at >= time.time() + 11  # 3 × 2²
    sandbox.queued_seconds = sandbox.processing_seconds = 0
    poller.refresh([ok_id], force=True)
    assert store.get_by_task_id(ok_id).status == TaskStatus.COMPLETED.value
    assert [r.task_id for r in store.live()] == [bad_id]
    assert poller.refresh([ok_id], force=True) == 0  # finished: never looked up again
    poller.close()


def test_rate_limit_waits_at_least_retry_after(sandbox: SandboxServer, client: StarVideosClient,
                                               store: HistoryStore) -> None:
    """Test that a 429 with Retry-After pushes that task's next lookup at least that far, unretried."""
    [task_id] = make(client, store, 1)
    poller = StatusPoller(client, store, interval=1)
    sandbox.inject(Fault(429, method="GET", headers={"Retry-After": "30"}))
    before = time.time()
    poller.refresh([task_id])
    assert store.get_by_task_id(task_id).next_lookup_at >= before + 30
    assert len(sandbox.received("GET")) == 1  # the poller's lookups are not retried by the client
    poller.close()


def test_background_follows_every_task_without_a_page(sandbox: SandboxServer, client: StarVideosClient,
                                                      store: HistoryStore) -> None:
    """Test that 200 unfinished tasks all reach their end (none starves, the oldest included) with no page open
    and nobody calling refresh."""
    ids = make(client, store, 200)
    poller = StatusPoller(client, store, interval=0.2).start()
    try:
        wait_for(lambda: store.count() == 200 and not store.live(limit=1), timeout=60)
    finally:
        poller.close()
    assert {store.get_by_task_id(i).status for i in ids} == {"completed"}


def test_budget_holds_and_the_most_overdue_go_first(sandbox: SandboxServer, client: StarVideosClient,
                                                    store: HistoryStore) -> None:
    """Test that with 40 tasks due and a budget of 10 saved-up lookups at 60 a minute, the first lookups are the 10
    oldest and about one more a second follows, not 40 at once."""
    ids = make(client, store, 40)
    # The most overdue as the database orders them (when each was created is this machine's business, not the test's).
    overdue = [row.task_id for row in store.db.rows(
        sa.select(tasks.c.task_id).order_by(sa.func.coalesce(tasks.c.next_lookup_at, 0.0), tasks.c.id))]
    assert sorted(overdue) == sorted(ids)
    budget = RateLimiter(store.db, "lookups", per_minute=60, burst=10)
    poller = StatusPoller(client, store, interval=60, budget=budget)
    sandbox.clear()
    poller.start()
    try:
        wait_for(lambda: len(sandbox.received("GET")) >= 10)
        first = [r.path.rsplit("/", 1)[-1] for r in sandbox.received("GET")[:10]]
        assert sorted(first) == sorted(overdue[:10])
        time.sleep(2.0)  # a window in which the budget allows about two more
        assert 10 <= len(sandbox.received("GET")) <= 13
    finally:
        poller.close()


def test_a_failed_store_write_never_wedges_a_task(sandbox: SandboxServer, client: StarVideosClient,
                                                  store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that when storing a lookup's answer fails (database locked, disk full), the task is not left "in
    flight": a forced refresh looks it up again at once."""
    [task_id] = make(client, store, 1)
    poller = StatusPoller(client, store, lease_seconds=0.1)
    original = store.update_task
    calls: list[str] = []

    def failing(task: object, **kwargs: object) -> bool:
        calls.append("fail")
        raise DatabaseError("The history file is locked.")

    monkeypatch.setattr(store, "update_task", failing)
    assert poller.refresh([task_id], force=True) == 1
    monkeypatch.setattr(store, "update_task", original)
    time.sleep(0.15)  # the unsettled lease lapses on its own
    assert poller.refresh([task_id], force=True) == 1  # looked up again (force): 1
    assert calls == ["fail"] and store.get_by_task_id(task_id).lookup_error is None
    poller.close()


def test_three_replicas_look_each_task_up_once_per_interval(sandbox: SandboxServer, db_url: str) -> None:
    """Test that three pollers (three replicas) on one database look each task up about once per interval between
    them, as one replica alone would, not three times as often."""
    stores = [HistoryStore(Database(db_url)) for _ in range(3)]
    clients = [StarVideosClient(sandbox.base_url, DUMMY_KEY) for _ in range(3)]
    sandbox.queued_seconds = 3600  # stay unfinished for the whole test
    ids = make(clients[0], stores[0], 6)
    sandbox.clear()
    pollers = [StatusPoller(c, s, interval=0.5).start() for c, s in zip(clients, stores, strict=True)]
    started = time.monotonic()
    time.sleep(3.0)
    for poller in pollers:
        poller.close()
    elapsed = time.monotonic() - started
    counts = lookups_per_task(sandbox)
    assert set(counts) == set(ids)
    most = elapsed / 0.5 + 1
    assert all(n <= most for n in counts.values()), (counts, most)
    assert sum(p.lookups for p in pollers) == sum(counts.values())
    assert sum(1 for p in pollers if p.lookups) >= 2  # the work really was shared
    for store in stores:
        store.close()


def test_a_killed_replicas_leases_lapse(sandbox: SandboxServer, client: StarVideosClient,
                                        store: HistoryStore) -> None:
    """Test that tasks leased by a replica that died mid-lookup are picked up by another once the lease lapses."""
    ids = make(client, store, 3)
    assert len(store.claim_lookups("dead-replica", limit=3, lease_seconds=0.5)) == 3
    sandbox.queued_seconds = sandbox.processing_seconds = 0
    poller = StatusPoller(client, store, interval=0.2).start()
    try:
        wait_for(lambda: all(store.get_by_task_id(i).status == "completed" for i in ids))
    finally:
        poller.close()
