"""The ``task_media`` table: the app's copy of each finished video, what is waiting to be copied, and who is copying
it. The only module that writes it (the history queues a copy through ``queue_copy``, in the transaction that
completed the task; the copier claims and finishes copies here)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from . import leases, media
from .database import Database
from .schema import task_media

PENDING, SAVING, SAVED, FAILED = "pending", "saving", "saved", "failed"


@dataclass(frozen=True)
class MediaRecord:
    """The app's copy of one finished video."""

    record_id: int
    state: str
    """``pending`` (waiting), ``saving`` (a replica is copying it), ``saved`` or ``failed``."""
    source_url: str
    """The provider's link it is copied from."""
    video_key: str | None = None
    poster_key: str | None = None
    preview_key: str | None = None
    last_frame_key: str | None = None
    size: int | None = None
    info: dict[str, Any] | None = None
    """Duration, size, codec, container and whether browsers play it (``media.VideoInfo``)."""
    error: str | None = None
    """Why the last copy failed, in plain words."""
    attempts: int = 0
    due_at: float = 0.0

    @property
    def saved(self) -> bool:
        return self.state == SAVED and self.video_key is not None

    @property
    def video_info(self) -> media.VideoInfo | None:
        return media.VideoInfo(**self.info) if self.info else None


class MediaStore:
    """The ``task_media`` table: what is copied, what is waiting, who is copying."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, record_id: int) -> MediaRecord | None:
        rows = self.db.rows(sa.select(task_media).where(task_media.c.record_id == record_id))
        return media_record(rows[0]._mapping) if rows else None

    def get_many(self, record_ids: list[int]) -> dict[int, MediaRecord]:
        if not record_ids:
            return {}
        rows = self.db.rows(sa.select(task_media).where(task_media.c.record_id.in_(record_ids)))
        return {row.record_id: media_record(row._mapping) for row in rows}

    def queue(self, record_id: int, source_url: str) -> None:
        """Ask for a copy (nothing happens if one is already asked for or made)."""
        with self.db.write() as conn:
            queue_copy(self.db, conn, record_id, source_url, now=time.time())

    def retry(self, record_id: int) -> None:
        """"Retry saving": due now, attempts counted afresh."""
        with self.db.write() as conn:
            conn.execute(task_media.update().where(task_media.c.record_id == record_id, task_media.c.state != SAVED)
                         .values(state=PENDING, due_at=0.0, attempts=0, error=None, updated_at=time.time()))

    def claim(self, owner: str, *, limit: int, lease_seconds: float) -> list[MediaRecord]:
        """Lease due copies (and copies a dead replica was making) to ``owner``, earliest due first."""
        now = time.time()
        m = task_media
        due = sa.or_(sa.and_(m.c.state.in_([PENDING, FAILED]), m.c.due_at <= now), m.c.state == SAVING)
        with self.db.write() as conn:
            rows = leases.claim(conn, m, m.c.record_id, where=[due], order_by=[m.c.due_at], limit=limit, owner=owner,
                                lease_seconds=lease_seconds, now=now, values={"state": SAVING, "updated_at": now},
                                returning=list(m.c))
        return [media_record(row._mapping) for row in rows]

    def extend(self, record_id: int, owner: str, lease_seconds: float) -> None:
        with self.db.write() as conn:
            conn.execute(task_media.update().where(leases.owned(task_media, task_media.c.record_id, record_id, owner))
                         .values(lease_until=time.time() + lease_seconds))

    def finish(self, record_id: int, owner: str, **values: Any) -> None:
        with self.db.write() as conn:
            leases.release(conn, task_media, task_media.c.record_id, [record_id], owner, **values,
                           updated_at=time.time())

    def next_due(self) -> float | None:
        due: float | None = self.db.scalar(sa.select(sa.func.min(task_media.c.due_at)).where(
            task_media.c.state.in_([PENDING, FAILED])))
        return due


def queue_copy(db: Database, conn: sa.Connection, record_id: int, source_url: str, *, now: float) -> None:
    """Ask for a copy inside the caller's transaction (the history's, as the task completes): a finished video is
    always queued for the app's copy, once."""
    conn.execute(db.insert_ignore(task_media, {"record_id": record_id, "state": PENDING, "source_url": source_url,
                                               "attempts": 0, "due_at": now, "updated_at": now}, keys=["record_id"]))


def media_record(row: Any) -> MediaRecord:
    """A ``task_media`` row as a ``MediaRecord``."""
    fields = {k: row[k] for k in ("record_id", "state", "source_url", "video_key", "poster_key", "preview_key",
                                  "last_frame_key", "size", "info", "error", "attempts", "due_at")}
    return MediaRecord(**fields)
