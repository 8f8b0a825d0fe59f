"""Notifications to a Slack-compatible webhook on loopback: one message per finished task and one per ended batch,
retries with back-off, once across replicas, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from starvideos import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.notifications import FAILED, MAX_ATTEMPTS, PENDING, SENT, Notifier, Outbox
from starvideos.schema import batches
from tests.conftest import run_in_threads
from tests.hosts import WebhookReceiver, webhook_receiver

PUBLIC = "https://studio.example.com"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(database: Database, clock: Clock) -> Outbox:
    return Outbox(database, clock=clock)


@pytest.fixture
def history(database: Database, outbox: Outbox) -> HistoryStore:
    return HistoryStore(database, outbox=outbox)


def finish(history: HistoryStore, prompt: str, status: TaskStatus = TaskStatus.COMPLETED, *,
           batch_id: int | None = None, created_by: str | None = "ana@example.com", error: str | None = None) -> int:
    record_id = history.record_attempt(VideoRequest(prompt, duration=6, ratio="9:16"), created_by=created_by,
                                       batch_id=batch_id)
    task_id = f"video_{record_id}"
    history.mark_created(record_id, VideoTask(task_id, TaskStatus.QUEUED))
    video = "https://cdn.example.com/v.mp4" if status is TaskStatus.COMPLETED else None
    history.update_task(VideoTask(task_id, status, error=error, video_url=video))
    return record_id


def notifier(outbox: Outbox, hook: WebhookReceiver) -> Notifier:
    return Notifier(outbox, hook.url, public_url=PUBLIC, clock=outbox._clock)


def test_a_finished_task_is_announced_once_with_its_words(history: HistoryStore, outbox: Outbox,
                                                          hook: WebhookReceiver) -> None:
    """Test the message for a completed and a failed task: status, prompt, who, settings, a link on
    STARVIDEOS_PUBLIC_URL; a person's text cannot become a link or a mention."""
    done = finish(history, "A fox <!channel> & <https://evil.example|click>")
    failed = finish(history, "A storm", TaskStatus.FAILED, error="content policy")
    history.update_task(VideoTask(f"video_{done}", TaskStatus.COMPLETED))  # seen again: still one message
    sender = notifier(outbox, hook)
    sender.tick()
    assert [b["text"] for b in hook.bodies] == [
        ":white_check_mark: Completed: “A fox &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;” · by "
        f"ana@example.com · 6 s · 9:16\n<{PUBLIC}/history?task=video_{done}|Open in StarVideos Studio>",
        f":x: Failed: “A storm” · by ana@example.com · 6 s · 9:16\ncontent policy\n"
        f"<{PUBLIC}/history?task=video_{failed}|Open in StarVideos Studio>"]
    assert {r["state"] for r in outbox.rows()} == {SENT}
    sender.tick()
    assert len(hook.bodies) == 2


def test_a_batch_is_announced_once_when_its_last_item_settles(history: HistoryStore, outbox: Outbox,
                                                              database: Database, hook: WebhookReceiver) -> None:
    """Test that a batch of four (two completed, one failed, one rejected by the API) gets one message, after its
    last item, with the counts and the seconds of video, and none for its items."""
    with database.write() as conn:
        batch_id = conn.execute(batches.insert().values(name="Spring campaign.csv", source="csv", total=4,
                                                        created_by="ana@example.com", created_at=1.0)
                                .returning(batches.c.id)).scalar_one()
    sender = notifier(outbox, hook)
    finish(history, "one", batch_id=batch_id)
    finish(history, "two", batch_id=batch_id)
    waiting = history.record_attempt(VideoRequest("three"), batch_id=batch_id)
    finish(history, "four", TaskStatus.FAILED, batch_id=batch_id)
    sender.tick()
    assert hook.bodies == []  # "three" has not settled
    history.mark_rejected(waiting, "HTTP 400: prompt too long")
    sender.tick()
    assert [b["text"] for b in hook.bodies] == [
        ":package: Batch “Spring campaign.csv” ended: 2 completed, 1 failed, 1 rejected · 18 s of video · by "
        f"ana@example.com\n<{PUBLIC}/batch|Open the queue>"]


def test_failures_are_retried_with_back_off_and_retry_after(history: HistoryStore, outbox: Outbox, clock: Clock,
                                                            hook: WebhookReceiver) -> None:
    """Test that a 500 is retried after 15 s, a 429's Retry-After (120 s) beats the 30 s back-off, a 503 after
    60 s, and that the message goes out once the webhook answers 200, with each try counted."""
    finish(history, "retry me")
    hook.answers = [(500, None), (429, "120"), (503, None)]
    sender = notifier(outbox, hook)
    start = clock.now
    sender.tick()
    [row] = outbox.rows()
    assert (row["state"], row["attempts"], row["due_at"] - start) == (PENDING, 1, 15.0)
    assert row["error"] == "the webhook answered HTTP 500"
    sender.tick()
    assert len(hook.bodies) == 1  # not due yet: nothing posted
    clock.now = start + 15
    sender.tick()
    [row] = outbox.rows()
    assert (row["attempts"], row["due_at"] - clock.now) == (2, 120.0)  # Retry-After beats the 30 s back-off
    clock.now += 120
    sender.tick()
    [row] = outbox.rows()
    assert (row["attempts"], row["due_at"] - clock.now) == (3, 60.0)
    clock.now += 60
    sender.tick()
    [row] = outbox.rows()
    assert (row["state"], row["attempts"], row["error"]) == (SENT, 4, None)
    assert len(hook.bodies) == 4 and len({b["text"] for b in hook.bodies}) == 1


def test_a_refusing_webhook_is_given_up_and_a_dead_one_after_max_attempts(history: HistoryStore, outbox: Outbox,
                                                                          clock: Clock, hook: WebhookReceiver) -> None:
    """Test that a 404 (the webhook was deleted) is failed at once, and a webhook that is always down is given up
    after MAX_ATTEMPTS tries."""
    finish(history, "to a deleted webhook")
    hook.answers = [(404, None)]
    sender = notifier(outbox, hook)
    sender.tick()
    [row] = outbox.rows()
    assert (row["state"], row["error"]) == (FAILED, "the webhook answered HTTP 404")
    finish(history, "to a dead webhook")
    hook.answers = [(502, None)] * MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        sender.tick()
        clock.now += 3600
    assert outbox.rows()[1]["state"] == FAILED and outbox.rows()[1]["attempts"] == MAX_ATTEMPTS


def test_two_replicas_send_each_message_once(database: Database, history: HistoryStore, hook: WebhookReceiver) -> None:
    """Test that two notifiers (two replicas) ticking at once on one database post each of 20 messages once."""
    for n in range(20):
        finish(history, f"take {n}")
    replicas = [Notifier(Outbox(database, clock=history.outbox._clock), hook.url, public_url=PUBLIC,
                         clock=history.outbox._clock) for _ in range(2)]
    errors = run_in_threads(lambda n: replicas[n].tick(), 2)
    assert errors == []
    for replica in replicas:
        replica.tick()
    texts = [b["text"] for b in hook.bodies]
    assert len(texts) == 20 and len(set(texts)) == 20


def test_no_outbox_no_messages(database: Database) -> None:
    """Test that without STARVIDEOS_NOTIFY_URL (no outbox) finishing a task writes no message at all."""
    plain = HistoryStore(database)
    finish(plain, "quiet")
    assert database.scalar(sa.text("SELECT count(*) FROM notifications")) == 0


def test_a_batch_ended_by_cancelling_what_waits_is_announced_once(history: HistoryStore, outbox: Outbox,
                                                                  database: Database, hook: WebhookReceiver,
                                                                  client: StarVideosClient) -> None:
    """Test that a batch whose waiting items are cancelled (Cancel pending) is announced once, with the counts."""
    from starvideos.queue import CreateQueue

    with database.write() as conn:
        batch_id = conn.execute(batches.insert().values(name="Half a batch", source="csv", total=3,
                                                        created_at=1.0).returning(batches.c.id)).scalar_one()
    finish(history, "the one that went out", batch_id=batch_id, created_by=None)
    for prompt in ("waiting one", "waiting two"):
        history.record_attempt(VideoRequest(prompt), status="pending", batch_id=batch_id)
    assert CreateQueue(database, history, client).cancel_pending(batch_id) == 2
    notifier(outbox, hook).tick()
    assert [b["text"] for b in hook.bodies] == [
        ":package: Batch “Half a batch” ended: 1 completed, 2 cancelled · 6 s of video\n"
        f"<{PUBLIC}/batch|Open the queue>"]
