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


class Clock:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def rounds_past(pollers: list[StatusPoller]) -> None:
    """Wait until each poller's loop has begun and finished a round since now (each round decides afresh what to
    look up)."""
    targets = [p.worker.rounds + 2 for p in pollers]
    wait_for(lambda: all(p.worker.rounds >= t for p, t in zip(pollers, targets, strict=True)))


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
    """Test that with 40 tasks due and a budget of 10 saved-up lookups at 600 a minute, the first lookups are the 10
    oldest, none follows while no time passes, and two more follow a fifth of a second later, not 40 at once."""
    clock = Clock()
    store.clock = clock
    ids = make(client, store, 40)
    # The most overdue as the database orders them (when each was created is this machine's business, not the test's).
    overdue = [row.task_id for row in store.db.rows(
        sa.select(tasks.c.task_id).order_by(sa.func.coalesce(tasks.c.next_lookup_at, 0.0), tasks.c.id))]
    assert sorted(overdue) == sorted(ids)
    budget = RateLimiter(store.db, "lookups", per_minute=600, burst=10, clock=clock)
    poller = StatusPoller(client, store, interval=60, budget=budget, clock=clock)
    sandbox.clear()
    poller.start()
    try:
        wait_for(lambda: len(sandbox.received("GET")) >= 10)
        first = [r.path.rsplit("/", 1)[-1] for r in sandbox.received("GET")[:10]]
        assert sorted(first) == sorted(overdue[:10])
        rounds_past([poller])  # the loop asked the budget again, with no time gone by
        assert len(sandbox.received("GET")) == 10
        clock.now += 0.2  # two lookups' worth of budget
        poller.wake()
        wait_for(lambda: len(sandbox.received("GET")) >= 12)
        rounds_past([poller])
        assert len(sandbox.received("GET")) == 12
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
    """Test that three pollers (three replicas) on one database look each task up exactly once per interval between
    them, as one replica alone would, not three times as often."""
    clock = Clock()
    stores = [HistoryStore(Database(db_url), clock=clock) for _ in range(3)]
    clients = [StarVideosClient(sandbox.base_url, DUMMY_KEY) for _ in range(3)]
    sandbox.queued_seconds = 3600  # stay unfinished for the whole test
    ids = make(clients[0], stores[0], 6)
    sandbox.clear()
    sandbox.lookup_delay = 0.2  # a lookup takes a while, so one replica's two lookup threads cannot take them all
    pollers = [StatusPoller(c, s, interval=0.2, workers=2, clock=clock).start()
               for c, s in zip(clients, stores, strict=True)]
    try:
        for interval in range(1, 4):
            if interval > 1:
                clock.now += 0.2
                for poller in pollers:
                    poller.wake()
            wait_for(lambda n=interval: all(lookups_per_task(sandbox)[i] >= n for i in ids)  # type: ignore[misc]
                     and sum(p.lookups for p in pollers) >= len(sandbox.received("GET")))  # answered, not in flight
            rounds_past(pollers)  # each replica looked again, with no time gone by
            assert lookups_per_task(sandbox) == dict.fromkeys(ids, interval)
    finally:
        for poller in pollers:
            poller.close()
    assert sum(p.lookups for p in pollers) == sum(lookups_per_task(sandbox).values())
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
