"""Reference pictures uploaded from teammates' laptops: checked, stripped of metadata, stored once per content hash,
and remembered for "Recent uploads"."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from .database import Database
from .images import CleanImage, clean_upload
from .schema import uploads
from .storage import Storage


@dataclass(frozen=True)
class Upload:
    """One stored reference picture."""

    id: int
    sha256: str
    storage_key: str
    """Where it is in storage; a task keeps this, so reusing the task signs a fresh link instead of a dead one."""
    content_type: str
    width: int
    height: int
    size: int
    name: str
    """The file name it was uploaded with (shown only)."""
    created_by: str | None
    created_at: float
    last_used_at: float


class UploadStore:
    """Uploads on the shared database and storage. Thread-safe."""

    def __init__(self, db: Database, storage: Storage) -> None:
        self.db = db
        self.storage = storage

    def add(self, data: bytes, *, name: str = "", created_by: str | None = None) -> Upload:
        """Check, strip and store a picture (once per content); ``UploadRejectedError`` or ``StorageError`` say
        why not. The row is written only after the file is stored, so a row always has its file."""
        clean: CleanImage = clean_upload(data)
        key = f"uploads/{clean.sha256}.{clean.extension}"
        # A row is written only once its file is stored, so a known hash means the file is there: no round trip
        # to the bucket to ask.
        if not self.db.rows(sa.select(uploads.c.id).where(uploads.c.sha256 == clean.sha256)):
            self.storage.put_bytes(key, clean.data, clean.content_type)
        now = time.time()
        values = {"sha256": clean.sha256, "storage_key": key, "content_type": clean.content_type,
                  "width": clean.width, "height": clean.height, "size": len(clean.data), "name": name[:255],
                  "created_by": created_by, "created_at": now, "last_used_at": now}
        with self.db.write() as conn:
            conn.execute(self.db.upsert(uploads, values, keys=["sha256"], update={"last_used_at": now}))
            row = conn.execute(sa.select(uploads).where(uploads.c.sha256 == clean.sha256)).one()
        return Upload(**row._mapping)

    def get_by_key(self, key: str) -> Upload | None:
        rows = self.db.rows(sa.select(uploads).where(uploads.c.storage_key == key))
        return Upload(**rows[0]._mapping) if rows else None

    def touch(self, upload_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(uploads.update().where(uploads.c.id == upload_id).values(last_used_at=time.time()))

    def recent(self, limit: int = 12) -> list[Upload]:
        rows = self.db.rows(sa.select(uploads).order_by(uploads.c.last_used_at.desc()).limit(limit))
        return [Upload(**row._mapping) for row in rows]
