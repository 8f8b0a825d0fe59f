"""The durable, paced create queue: the deployment's pace and in-flight limit, single creates ahead of batches, a 429
that holds the queue, a crash that never sends anything twice, and the monthly budget checked before anything is
recorded. Every test runs on SQLite and on PostgreSQL, against the sandbox over loopback."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from starvideos import StarVideosClient
from starvideos.database import Database
from starvideos.errors import BudgetExceededError
from starvideos.estimates import Estimates
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from starvideos.queue import AlreadyQueuedError, CreateQueue, batch_fingerprint, settled
from starvideos.sandbox import Fault, SandboxServer
from starvideos.schema import tasks
from starvideos.submit import send_recorded
from tests.conftest import DUMMY_KEY, run_in_threads


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def statuses(database: Database) -> dict[str, str]:
    """Each record's prompt → status."""
    rows = database.rows(sa.select(tasks.c.prompt, tasks.c.status))
    return {prompt: status for prompt, status in rows}


def posted_prompts(sandbox: SandboxServer) -> Counter[str]:
    return Counter(r.body["prompt"] for r in sandbox.received("POST") if isinstance(r.body, dict))


@pytest.fixture
def make_queue(sandbox: SandboxServer, database: Database, store: HistoryStore) -> Iterator[Callable[..., CreateQueue]]:
    made: list[CreateQueue] = []

    def make(**options: object) -> CreateQueue:
        client = StarVideosClient(sandbox.base_url, DUMMY_KEY, timeout=(2.0, 2.0))
        queue = CreateQueue(database, store, client, **options)  # type: ignore[arg-type]
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.close()


def requests_named(prefix: str, n: int) -> list[VideoRequest]:
    return [VideoRequest(f"{prefix} {i}") for i in range(n)]


def test_batch_goes_out_at_the_pace_each_item_once(make_queue: Callable[..., CreateQueue], database: Database,
                                                  store: HistoryStore, sandbox: SandboxServer) -> None:
    """Test that a batch is claimed at the set pace after a small burst, on the queue's clock (a fake one: 13 items
    at 10 a second after a burst of 3 span exactly one second), and that every item is sent exactly once."""
    clock = [1_000.0]
    queue = make_queue(per_minute=600, max_in_flight=100, burst=3, clock=lambda: clock[0])
    batch = queue.enqueue(requests_named("paced", 13), name="paced", source="csv")
    assert batch.total == 13 and set(statuses(database).values()) == {"pending"}
    claimed: list[tuple[float, int, VideoRequest]] = []
    while len(claimed) < 13:
        item, wait = queue.claim()
        if item is None:
            assert 0 < wait <= 0.1 + 1e-9, wait  # asks to be woken when the next token is due, not later
            clock[0] += wait
        else:
            claimed.append((clock[0], *item))
    times = [when - claimed[0][0] for when, _, _ in claimed]
    assert times[:3] == [0.0, 0.0, 0.0] and times[3:] == pytest.approx([0.1 * n for n in range(1, 11)])
    for _, record_id, request in claimed:
        send_recorded(queue.client, store, record_id, request)  # what the queue's senders do with a claim
    assert posted_prompts(sandbox) == Counter({f"paced {i}": 1 for i in range(13)})
    assert queue.progress(batch.id) == {"queued": 13} and queue.waiting() == 0


def test_in_flight_limit_and_single_creates_first(make_queue: Callable[..., CreateQueue], database: Database) -> None:
    """Test that nothing is claimed while the in-flight limit is reached, and a waiting single create is claimed
    before older batch items."""
    queue = make_queue(per_minute=6000, max_in_flight=2)
    queue.enqueue(requests_named("batch", 3), name="b", source="csv")
    first, _ = queue.claim()
    assert first is not None and first[1].prompt == "batch 0"
    queue.pause()  # so that the next single create has to wait in the queue
    single = queue.submit(VideoRequest("single"))
    assert single.queued and statuses(database)["single"] == "pending"
    queue.resume()
    second, _ = queue.claim()
    assert second is not None and second[1].prompt == "single"
    third, wait = queue.claim()
    assert third is None and wait == 1.0  # two are sending: the limit holds
    assert statuses(database) == {"batch 0": "sending", "single": "sending", "batch 1": "pending",
                                  "batch 2": "pending"}


def test_a_burst_of_clicks_queues_instead_of_failing(make_queue: Callable[..., CreateQueue], database: Database,
                                                     sandbox: SandboxServer) -> None:
    """Test that single creates past the pace are queued (with a wait estimate), then sent once each with no click."""
    queue = make_queue(per_minute=60, max_in_flight=100, burst=2)  # a burst of 2, then one a second
    results = [queue.submit(VideoRequest(f"click {i}"), session_id="s1") for i in range(4)]
    assert [r.queued for r in results] == [False, False, True, True]
    assert all(r.task is not None for r in results[:2]) and all(r.error is None for r in results)
    assert 0 < results[2].wait <= 1.5 and statuses(database)["click 3"] == "pending"
    queue.start()
    wait_for(lambda: set(statuses(database).values()) == {"queued"})
    assert posted_prompts(sandbox) == Counter({f"click {i}": 1 for i in range(4)})


def test_429_puts_the_item_back_and_holds_the_queue(make_queue: Callable[..., CreateQueue], database: Database,
                                                    sandbox: SandboxServer) -> None:
    """Test that a 429 to a queued create puts it back as pending, holds every sender for Retry-After, and the item
    then goes out once."""
    queue = make_queue(per_minute=6000, max_in_flight=100)
    sandbox.inject(Fault(status=429, method="POST", headers={"Retry-After": "1"}))
    queue.enqueue([VideoRequest("limited")], name="b", source="csv")
    queue.start()
    wait_for(lambda: queue.state().paused_until is not None)
    held_until = queue.state().paused_until
    assert held_until is not None and queue.state().reason
    wait_for(lambda: statuses(database)["limited"] == "queued")
    attempted = database.scalar(sa.select(tasks.c.attempted_at).where(tasks.c.prompt == "limited"))
    assert attempted >= held_until - 0.05
    assert len(sandbox.received("POST")) == 2  # the refused one and the one that went through
    assert posted_prompts(sandbox) == Counter({"limited": 2})


def test_after_a_crash_nothing_is_sent_twice(make_queue: Callable[..., CreateQueue], database: Database,
                                             store: HistoryStore, sandbox: SandboxServer) -> None:
    """Test that an item a dead process was sending is never re-sent (it becomes outcome unknown once its lease has
    lapsed), while the items still waiting go out with no click, each once."""
    dead = make_queue(per_minute=6000, max_in_flight=100, owner="dead-process")
    dead.enqueue(requests_named("item", 4), name="b", source="csv")
    claimed, _ = dead.claim()  # the process died right after its attempt record, maybe mid-POST
    assert claimed is not None and claimed[1].prompt == "item 0"
    with database.write() as conn:
        conn.execute(tasks.update().where(tasks.c.prompt == "item 0").values(lease_until=time.time() - 1))
    alive = make_queue(per_minute=6000, max_in_flight=100).start()
    wait_for(lambda: [statuses(database)[f"item {i}"] for i in (1, 2, 3)] == ["queued"] * 3)
    assert statuses(database)["item 0"] == "sending"
    assert store.settle_stale_sends(older_than=0) == 1
    assert statuses(database)["item 0"] == "outcome_unknown"
    assert posted_prompts(sandbox) == Counter({"item 1": 1, "item 2": 1, "item 3": 1})
    alive.wake()
    time.sleep(0.3)  # a window in which a wrong worker would re-send it
    assert "item 0" not in posted_prompts(sandbox)


def test_two_processes_share_one_pace(make_queue: Callable[..., CreateQueue], database: Database,
                                      sandbox: SandboxServer) -> None:
    """Test that two workers (two replicas) on one database hold the pace together and send each item once."""
    first = make_queue(per_minute=600, max_in_flight=100, burst=3)
    second = make_queue(per_minute=600, max_in_flight=100, burst=3)
    first.enqueue(requests_named("shared", 16), name="b", source="csv")
    first.start()
    second.start()
    wait_for(lambda: set(statuses(database).values()) == {"queued"})
    owners = {r[0] for r in database.rows(sa.select(tasks.c.lease_owner))}
    sent = sorted(r[0] for r in database.rows(sa.select(tasks.c.attempted_at)))
    assert sent[-1] - sent[0] >= 1.2, "16 items at 10/s (a burst of 3) between two workers"
    assert posted_prompts(sandbox) == Counter({f"shared {i}": 1 for i in range(16)})
    assert owners == {None}  # every claim was settled


def test_pause_resume_and_cancel_pending(make_queue: Callable[..., CreateQueue], database: Database) -> None:
    """Test that Pause stops claims for every worker, Resume restarts them, and Cancel pending cancels only what
    waits."""
    queue = make_queue(per_minute=6000, max_in_flight=100)
    batch = queue.enqueue(requests_named("p", 3), name="b", source="csv")
    queue.pause()
    assert queue.state().paused and queue.claim() == (None, 2.0)
    queue.resume()
    claimed, _ = queue.claim()
    assert claimed is not None and not queue.state().holding()
    assert queue.cancel_pending(batch.id) == 2 and queue.waiting() == 0
    assert queue.progress(batch.id) == {"sending": 1, "cancelled": 2}
    assert queue.claim()[0] is None


def test_budget_refuses_before_anything_is_recorded(make_queue: Callable[..., CreateQueue], database: Database,
                                                    sandbox: SandboxServer) -> None:
    """Test that a create or a batch past the monthly budget is refused with a clear message, nothing recorded and
    nothing sent; what fits goes ahead."""
    estimates = Estimates(database, price_per_second=0.05, currency="USD", monthly_budget=1.0)
    queue = make_queue(per_minute=6000, max_in_flight=100, estimates=estimates)
    assert queue.submit(VideoRequest("fits", duration=10)).task is not None  # $0.50
    refused = queue.submit(VideoRequest("too much", duration=15))  # would be $1.25
    assert isinstance(refused.error, BudgetExceededError) and refused.record_id is None
    assert (refused.error.title, refused.error.message) == ("Over the monthly budget.", (
        "This task would cost 0.75 USD, but only 0.50 USD is left of this month's 1.00 USD budget "
        "(STARVIDEOS_MONTHLY_BUDGET): 0.50 USD is already spent or queued."))
    with pytest.raises(BudgetExceededError) as refused_batch:
        queue.enqueue(requests_named("batch", 3), name="b", source="csv")  # 3 × 5 s = $0.75 more
    assert refused_batch.value.message == (
        "These 3 tasks would cost 0.75 USD, but only 0.50 USD is left of this month's 1.00 USD budget "
        "(STARVIDEOS_MONTHLY_BUDGET): 0.50 USD is already spent or queued.")
    assert statuses(database) == {"fits": "queued"}
    assert posted_prompts(sandbox) == Counter({"fits": 1})


def test_queue_all_twice_queues_once(make_queue: Callable[..., CreateQueue], database: Database,
                                     sandbox: SandboxServer) -> None:
    """Test that the same requests queued a second time (a second press, a reload and press, another person) raise
    AlreadyQueuedError naming the first batch, queue and send nothing more; "Queue again" with the batch shown makes
    one more copy, and a double click on it still makes only one."""
    queue = make_queue(per_minute=6000, max_in_flight=100)
    rows = [VideoRequest("fox", duration=5), VideoRequest("heron", duration=8, ratio="9:16")]
    first = queue.enqueue(rows, name="launch · 14:02", source="csv")
    assert (first.copy, first.fingerprint) == (0, batch_fingerprint(rows))
    with pytest.raises(AlreadyQueuedError) as again:
        queue.enqueue(list(reversed(rows)), name="launch · 14:03", source="csv", session_id="another tab")
    assert again.value.batch == first
    assert again.value.message == "These 2 tasks were already queued as “launch · 14:02”. Nothing was queued again."
    assert database.scalar(sa.select(sa.func.count()).select_from(tasks)) == 2
    second = queue.enqueue(rows, name="launch · 14:05", source="csv", again=first)
    assert second.copy == 1 and second.id != first.id
    with pytest.raises(AlreadyQueuedError) as double:  # the confirmation clicked twice
        queue.enqueue(rows, name="launch · 14:05", source="csv", again=first)
    assert double.value.batch == second
    queue.start()
    wait_for(lambda: queue.waiting() == 0 and len(sandbox.received("POST")) == 4)
    assert posted_prompts(sandbox) == Counter({"fox": 2, "heron": 2})
    assert [b.name for b in queue.batches()] == ["launch · 14:05", "launch · 14:02"]


def test_fingerprint_is_what_is_asked_for(make_queue: Callable[..., CreateQueue]) -> None:
    """Test that a batch's identity is its requests, whatever their order: one more take, another duration or
    another prompt is a different batch."""
    grid = [VideoRequest("kite", duration=d, ratio=r) for r in ("16:9", "9:16") for d in (5, 10)]
    assert batch_fingerprint(grid) == batch_fingerprint(grid[::-1])
    assert batch_fingerprint(grid) != batch_fingerprint(grid + grid[:1])
    assert batch_fingerprint(grid) != batch_fingerprint([*grid[:3], VideoRequest("kite", duration=6, ratio="9:16")])
    assert batch_fingerprint(grid) != batch_fingerprint([VideoRequest("kites", duration=5), *grid[1:]])
    queue = make_queue()
    queue.enqueue(grid, name="grid", source="variants")
    queue.enqueue(grid + grid, name="grid, two takes", source="variants")  # not the same: queued
    assert [b.total for b in queue.batches()] == [8, 4]


@pytest.mark.serial
def test_a_race_between_replicas_queues_once(make_queue: Callable[..., CreateQueue], database: Database) -> None:
    """Test that eight presses at the same moment on four replicas (one database) queue the batch once: the
    database decides, and every other press gets the batch that won."""
    queues = [make_queue() for _ in range(4)]
    rows = requests_named("race", 5)
    won: list[int] = []
    found: list[int] = []

    def press(n: int) -> None:
        try:
            won.append(queues[n % 4].enqueue(rows, name=f"race {n}", source="csv").id)
        except AlreadyQueuedError as exc:
            found.append(exc.batch.id)

    assert run_in_threads(press, 8) == []
    assert len(won) == 1 and found == [won[0]] * 7
    assert database.scalar(sa.select(sa.func.count()).select_from(tasks)) == 5
    # The narrowest window: a replica that looked before the other one committed still queues nothing.
    late = queues[0]
    real_find, looks = late.find_batch, []

    def find_after_the_other_committed(fingerprint: str) -> object:
        looks.append(fingerprint)
        return None if len(looks) == 1 else real_find(fingerprint)

    late.find_batch = find_after_the_other_committed  # type: ignore[method-assign]
    with pytest.raises(AlreadyQueuedError) as lost:
        late.enqueue(rows, name="late", source="csv")
    assert lost.value.batch.id == won[0] and len(looks) == 2
    assert database.scalar(sa.select(sa.func.count()).select_from(tasks)) == 5


def test_a_batch_is_settled_when_nothing_waits_or_runs(make_queue: Callable[..., CreateQueue],
                                                      database: Database) -> None:
    """Test that a batch counts as finished only when none of its items waits, is being sent or still runs."""
    assert settled({"completed": 3, "failed": 1, "rejected": 1, "cancelled": 2, "outcome_unknown": 1})
    for state in ("pending", "sending", "queued", "processing", "unknown"):
        assert not settled({"completed": 3, state: 1})
