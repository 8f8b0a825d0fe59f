"""Telling the team's chat when work is done: one message when a task finishes (completed or failed), one when a
batch ends (never one per batch item), one when a cut is ready (or could not be made) and one when a take is
approved, sent back for changes or rejected on a board, posted to ``STARVIDEOS_NOTIFY_URL``, a Slack-compatible
incoming webhook (Slack; Mattermost; Discord's ``/slack`` endpoint; Teams workflows take the same JSON).

The ``notifications`` table is an outbox: a row is written in the transaction that settled its subject (so nothing is
announced that did not happen, and nothing that happened is forgotten), unique per subject (so it is announced once
however many replicas saw it). A ``Notifier`` worker claims due rows with a lease and posts them, with retries and
back-off (``Retry-After`` honoured), off every path that looks tasks up or creates them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import sqlalchemy as sa

from . import copies, leases
from .database import Database
from .models import FINISHED, SETTLED, UNSETTLED, TaskStatus
from .schema import approval_events, batches, boards, cuts, notifications, task_media, tasks
from .workers import Heartbeats, Job, Worker

log = logging.getLogger(__name__)

TASK, BATCH, CUT, APPROVAL = "task", "batch", "cut", "approval"
PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ATTEMPTS = 8
MAX_DELAY = 3600.0
POSTER_WAIT = 60.0  # how long a completed task's message waits for its poster (the copy is made after completion)


class Outbox:
    """The ``notifications`` table. Its rows are added in other modules' transactions (``task_settled``)."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    def task_settled(self, conn: sa.Connection, record_id: int, batch_id: int | None) -> None:
        """A task reached an end (completed, failed, rejected, cancelled, or outcome unknown): announce it, or, for
        a batch item, the batch once its last item has settled."""
        if batch_id is None:
            self._add(conn, TASK, record_id)
            return
        total = conn.execute(sa.select(batches.c.total).where(batches.c.id == batch_id)).scalar()
        settled = conn.execute(sa.select(sa.func.count()).where(tasks.c.batch_id == batch_id,
                                                                tasks.c.status.not_in(UNSETTLED))).scalar()
        if total is not None and settled >= total:
            self._add(conn, BATCH, batch_id)

    def cut_settled(self, conn: sa.Connection, cut_id: int) -> None:
        """A cut was made (or failed): announce it once."""
        self._add(conn, CUT, cut_id)
    def approval_changed(self, conn: sa.Connection, event_id: int) -> None:
        """A take's state on a board was set (``approval_events`` row): announce who set what."""
        self._add(conn, APPROVAL, event_id)

    def _add(self, conn: sa.Connection, kind: str, subject_id: int) -> None:
        now = self._clock()
        conn.execute(self.db.insert_ignore(notifications, {
            "kind": kind, "subject_id": subject_id, "state": PENDING, "attempts": 0, "due_at": now,
            "created_at": now}, keys=["kind", "subject_id"]))

    def claim(self, owner: str, *, limit: int, lease_seconds: float,
              now: float | None = None) -> list[tuple[int, str, int, int]]:
        """Lease due messages: ``(id, kind, subject_id, attempts)``, oldest first."""
        now = self._clock() if now is None else now
        n = notifications
        with self.db.write() as conn:
            rows = leases.claim(conn, n, n.c.id, where=[n.c.state == PENDING, n.c.due_at <= now],
                                order_by=[n.c.due_at, n.c.id], limit=limit, owner=owner, lease_seconds=lease_seconds,
                                now=now, returning=[n.c.id, n.c.kind, n.c.subject_id, n.c.attempts])
        return [(r.id, r.kind, r.subject_id, r.attempts) for r in rows]

    def finish(self, notification_id: int, owner: str, **values: Any) -> None:
        n = notifications
        with self.db.write() as conn:
            leases.release(conn, n, n.c.id, [notification_id], owner, **values)

    def next_due(self) -> float | None:
        value = self.db.scalar(sa.select(sa.func.min(notifications.c.due_at)).where(notifications.c.state == PENDING))
        return None if value is None else float(value)

    def rows(self) -> list[dict[str, Any]]:
        """Every message and its state (for tests and the operator)."""
        return [dict(r._mapping) for r in self.db.rows(sa.select(notifications).order_by(notifications.c.id))]


@dataclass(frozen=True)
class Message:
    """What is posted: Slack's ``text`` (with ``<link|label>`` links), and a picture where the service shows one."""

    text: str
    image_url: str | None = None

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.image_url:
            body["attachments"] = [{"fallback": "Poster", "image_url": self.image_url}]
        return body


class Notifier(Job):
    """Sends what the outbox holds. One per process; claims through the database, so replicas send each once."""

    def __init__(self, outbox: Outbox, url: str, *, public_url: str | None = None,
                 poster_link: Callable[[str], str | None] = lambda _key: None, heartbeats: Heartbeats | None = None,
                 timeout: tuple[float, float] = (5.0, 10.0), session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self.url = url
        self.public_url = public_url.rstrip("/") if public_url else None
        self.poster_link = poster_link
        self.timeout = timeout
        self.lease_seconds = sum(timeout) + 30
        self._session = session or requests.Session()
        self._session.trust_env = False  # the webhook is reached directly, never through an environment proxy
        self._clock = clock
        self.worker = Worker("notifier", self.tick, heartbeats=heartbeats, clock=clock)

    def close(self) -> None:
        self.worker.stop()
        self._session.close()

    def tick(self) -> float:
        claimed = self.outbox.claim(self.worker.owner, limit=10, lease_seconds=self.lease_seconds, now=self._clock())
        for notification_id, kind, subject_id, attempts in claimed:
            if self.worker.stopping:
                self.outbox.finish(notification_id, self.worker.owner)  # back to waiting, for another replica
                continue
            self._send(notification_id, kind, subject_id, attempts)
        due = self.outbox.next_due()
        return 5.0 if due is None else max(0.05, due - self._clock())

    def _send(self, notification_id: int, kind: str, subject_id: int, attempts: int) -> None:
        owner = self.worker.owner
        message = self.message(kind, subject_id)
        if message is None:  # its subject is gone (removed from history): nothing to say
            self.outbox.finish(notification_id, owner, state=SENT, sent_at=self._clock(), error="nothing to send")
            return
        if isinstance(message, float):  # waiting a little for the poster
            self.outbox.finish(notification_id, owner, due_at=message)
            return
        try:
            answer = self._session.post(self.url, json=message.payload(), timeout=self.timeout)
        except requests.RequestException as exc:
            self._retry(notification_id, attempts, f"could not reach the webhook ({type(exc).__name__})", None)
            return
        if answer.status_code < 300:
            self.outbox.finish(notification_id, owner, state=SENT, sent_at=self._clock(), attempts=attempts + 1,
                               error=None)
            log.info("notified the team of %s %d", kind, subject_id)
        elif answer.status_code == 429 or answer.status_code >= 500:
            self._retry(notification_id, attempts, f"the webhook answered HTTP {answer.status_code}",
                        _retry_after(answer))
        else:  # the webhook refuses this message for good (gone, or malformed): retrying would not help
            self.outbox.finish(notification_id, owner, state=FAILED, attempts=attempts + 1,
                               error=f"the webhook answered HTTP {answer.status_code}")
            log.warning("the webhook refused the message about %s %d: HTTP %d", kind, subject_id, answer.status_code)

    def _retry(self, notification_id: int, attempts: int, reason: str, retry_after: float | None) -> None:
        tried = attempts + 1
        if tried >= MAX_ATTEMPTS:
            self.outbox.finish(notification_id, self.worker.owner, state=FAILED, attempts=tried, error=reason)
            log.warning("gave up notifying after %d attempts: %s", tried, reason)
            return
        delay = min(MAX_DELAY, 15.0 * 2 ** attempts)
        if retry_after is not None:
            delay = min(MAX_DELAY, max(delay, retry_after))
        self.outbox.finish(notification_id, self.worker.owner, attempts=tried, error=reason,
                           due_at=self._clock() + delay)
        log.info("notification %d not sent (%s); next try in %.0f s", notification_id, reason, delay)

    # Messages ----------------------------------------------------------------------------------------------------

    def message(self, kind: str, subject_id: int) -> Message | float | None:
        """The message for a subject; a time to try again when it should wait for its poster; None when gone."""
        if kind == CUT:
            return self._cut_message(subject_id)
        if kind == APPROVAL:
            return self._approval_message(subject_id)
        return self._task_message(subject_id) if kind == TASK else self._batch_message(subject_id)

    def _task_message(self, record_id: int) -> Message | float | None:
        rows = self.outbox.db.rows(sa.select(tasks.c.task_id, tasks.c.status, tasks.c.prompt, tasks.c.created_by,
                                             tasks.c.duration, tasks.c.ratio, tasks.c.error, tasks.c.finished_at,
                                             task_media.c.state.label("copy_state"), task_media.c.poster_key)
                                   .select_from(tasks.outerjoin(task_media, task_media.c.record_id == tasks.c.id))
                                   .where(tasks.c.id == record_id, tasks.c.deleted_at.is_(None)))
        if not rows:
            return None
        row = rows[0]
        poster = self.poster_link(row.poster_key) if row.poster_key and self.public_url else None
        waiting = (row.status == TaskStatus.COMPLETED and row.copy_state in (copies.PENDING, copies.SAVING)
                   and self.public_url)
        if waiting and self._clock() - float(row.finished_at or 0) < POSTER_WAIT:
            return self._clock() + 5.0
        who = f" · by {_plain(row.created_by)}" if row.created_by else ""
        done = {TaskStatus.COMPLETED: ":white_check_mark: Completed", TaskStatus.FAILED: ":x: Failed"}.get(
            row.status, f"Ended ({row.status.replace('_', ' ')})")
        text = f"{done}: “{_plain(_short(row.prompt))}”{who} · {row.duration} s · {row.ratio}"
        if row.status == TaskStatus.FAILED and row.error:
            text += f"\n{_plain(_short(row.error, 200))}"
        link = self._link(f"/history?task={row.task_id}") if row.task_id else None
        if link:
            text += f"\n<{link}|Open in StarVideos Studio>"
        return Message(text, poster)

    def _batch_message(self, batch_id: int) -> Message | None:
        rows = self.outbox.db.rows(sa.select(batches.c.name, batches.c.created_by).where(batches.c.id == batch_id))
        if not rows:
            return None
        counts = dict(self.outbox.db.rows(sa.select(tasks.c.status, sa.func.count()).where(
            tasks.c.batch_id == batch_id, tasks.c.deleted_at.is_(None)).group_by(tasks.c.status)))
        seconds = int(self.outbox.db.scalar(sa.select(sa.func.coalesce(sa.func.sum(tasks.c.duration), 0)).where(
            tasks.c.batch_id == batch_id, tasks.c.deleted_at.is_(None),
            tasks.c.status.in_((*FINISHED, TaskStatus.OUTCOME_UNKNOWN)))) or 0)
        parts = [f"{counts[s]} {s.replace('_', ' ')}" for s in SETTLED if counts.get(s)]
        who = f" · by {_plain(rows[0].created_by)}" if rows[0].created_by else ""
        text = (f":package: Batch “{_plain(_short(rows[0].name))}” ended: {', '.join(parts) or 'nothing sent'}"
                f" · {seconds} s of video{who}")
        link = self._link("/batch")
        if link:
            text += f"\n<{link}|Open the queue>"
        return Message(text)

    def _cut_message(self, cut_id: int) -> Message | None:
        rows = self.outbox.db.rows(sa.select(cuts).where(cuts.c.id == cut_id))
        if not rows or rows[0].state not in ("done", "failed"):
            return None
        row = rows[0]
        who = f" · by {_plain(row.created_by)}" if row.created_by else ""
        what = f"Cut v{row.version} of “{_plain(_short(row.title))}”"
        if row.state == "failed":
            return Message(f":x: {what} could not be made{who}\n{_plain(_short(row.error or '', 200))}")
        info = row.info if isinstance(row.info, dict) else {}
        size = f" · {info['width']}×{info['height']}" if info.get("width") else ""
        text = f":clapper: {what} is ready · {float(info.get('duration') or row.seconds):.0f} s{size}{who}"
        link = self._link(f"/present?cut={row.id}")
        if link:
            text += f"\n<{link}|Watch it in StarVideos Studio>"
        poster = self.poster_link(row.poster_key) if row.poster_key and self.public_url else None
        return Message(text, poster)

    def _approval_message(self, event_id: int) -> Message | None:
        e = approval_events
        rows = self.outbox.db.rows(sa.select(e.c.state, e.c.set_by, e.c.share_link_id, e.c.board_id,
                                             boards.c.name.label("board"), tasks.c.prompt, task_media.c.poster_key)
                                   .join(boards, boards.c.id == e.c.board_id).join(tasks, tasks.c.id == e.c.record_id)
                                   .outerjoin(task_media, task_media.c.record_id == e.c.record_id)
                                   .where(e.c.id == event_id, tasks.c.deleted_at.is_(None)))
        if not rows or rows[0].state not in _DECISIONS:
            return None
        row = rows[0]
        who = _plain(row.set_by) + (" (via share link)" if row.share_link_id is not None else "")
        text = (f"{_DECISIONS[row.state]}: “{_plain(_short(row.prompt))}” on “{_plain(_short(row.board, 80))}” · "
                f"by {who}")
        link = self._link(f"/boards?board={row.board_id}")
        if link:
            text += f"\n<{link}|Open the board>"
        poster = self.poster_link(row.poster_key) if row.poster_key and self.public_url else None
        return Message(text, poster)

    def _link(self, path: str) -> str | None:
        return f"{self.public_url}{path}" if self.public_url else None


_DECISIONS = {"approved": ":white_check_mark: Approved", "changes": ":pencil2: Needs changes",
              "rejected": ":no_entry_sign: Rejected"}


def _retry_after(answer: requests.Response) -> float | None:
    raw = answer.headers.get("Retry-After", "")
    return float(raw) if raw.isascii() and raw.isdecimal() else None


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> str:
    """Slack's escaping: a person's words never become a link, a mention or markup."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
