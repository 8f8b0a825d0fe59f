"""Keep every finished video: copy it from the provider's (expiring) link into storage, in the background.

When a task completes, the history queues its video here. Each process runs one ``MediaCopier``; it claims due
copies through the database (a lease, extended while a long copy runs, so several replicas never copy the same video
at once), streams the video into storage under the fetch rules (SSRF checks, timeouts, a size cap, "is it really a
video?"), then makes a poster, the last frame and an animated preview with PyAV. A failed copy is retried with
back-off, separately from generation: it never creates the task again. The task view plays the stored copy.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import IO, Any

from . import media
from .copies import FAILED, PENDING, SAVED, MediaRecord, MediaStore
from .errors import DatabaseError, FetchError, StarVideosError
from .safe_http import Allow, SafeResponse, open_url
from .storage import Storage
from .telemetry import TELEMETRY
from .workers import Heartbeats, Job, Worker

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
_CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}


class _VideoStream:
    """Reads the download for the storage upload: checks that it is a video, enforces the size cap, keeps the lease
    alive, and (for a bucket) keeps a local copy to make the poster from."""

    def __init__(self, response: SafeResponse, head: bytes, max_bytes: int, tee: IO[bytes] | None,
                 heartbeat: Callable[[], None], stopping: Callable[[], bool] = lambda: False) -> None:
        self._response = response
        self._stopping = stopping
        self._head = head
        self._max = max_bytes
        self._tee = tee
        self._heartbeat = heartbeat
        self._last_beat = time.monotonic()
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        want = self._max + 1 if size is None or size < 0 else size  # "everything": still cut off at the cap
        chunks, got = [], 0
        while got < want:  # storage libraries expect full reads until the end
            if self._stopping():  # the server is shutting down: storage drops what it has, nothing half-written
                raise CopyAbandoned
            if self._head:
                chunk, self._head = self._head[:want - got], self._head[want - got:]
            else:
                chunk = self._response.read(want - got)
            if not chunk:
                break
            self.count += len(chunk)
            if self.count > self._max:
                raise FetchError(f"The video is larger than {self._max // 2**20} MB, the limit "
                                 "(STARVIDEOS_MAX_VIDEO_MB).")
            if self._tee is not None:
                self._tee.write(chunk)
            chunks.append(chunk)
            got += len(chunk)
        if time.monotonic() - self._last_beat > 30:
            self._heartbeat()
            self._last_beat = time.monotonic()
        return b"".join(chunks)


class CopyAbandoned(Exception):
    """The copy stopped part-way because the process is shutting down (not a failure: it is tried again)."""


def _read_head(response: SafeResponse, size: int = 64) -> bytes:
    head = b""
    while len(head) < size:
        chunk = response.read(size - len(head))
        if not chunk:
            break
        head += chunk
    return head


class MediaCopier(Job):
    """The background worker. One per process; ``copy_now`` does one copy in the caller's thread (tests, benches)."""

    def __init__(self, store: MediaStore, storage: Storage, *, allow: Allow = (), max_video_mb: float = 500.0,
                 connect_timeout: float = 5.0, read_timeout: float = 30.0, total_timeout: float = 900.0,
                 workers: int = 2, lease_seconds: float = 120.0, owner: str | None = None,
                 heartbeats: Heartbeats | None = None) -> None:
        self.store = store
        self.storage = storage
        self.allow = frozenset(allow)
        self.max_bytes = int(max_video_mb * 2**20)
        self.connect_timeout, self.read_timeout, self.total_timeout = connect_timeout, read_timeout, total_timeout
        self.lease_seconds = lease_seconds
        self.owner = owner or f"copier-{uuid.uuid4().hex[:12]}"
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="video-copy")
        self._busy = 0
        self._lock = threading.Lock()
        self._copies: set[Future[None]] = set()
        self.worker = Worker("media_copier", self._tick, heartbeats=heartbeats, owner=self.owner)

    def close(self, timeout: float = 8.0) -> None:
        """Stop claiming, abandon copies in flight (no partial file; their leases are released for the next
        replica or start), waiting at most ``timeout`` for them."""
        self.worker.stop()
        with self._lock:
            running = list(self._copies)
        wait(running, timeout=timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _tick(self) -> float:
        with self._lock:
            free = self._workers - self._busy
        if free > 0:
            for record in self.store.claim(self.owner, limit=free, lease_seconds=self.lease_seconds):
                with self._lock:
                    self._busy += 1
                    future = self._pool.submit(self._copy_and_release, record)
                    self._copies.add(future)
                future.add_done_callback(self._copies.discard)
        due = self.store.next_due()
        return 5.0 if due is None else min(5.0, max(0.05, due - time.time()))

    def _copy_and_release(self, record: MediaRecord) -> None:
        try:
            self.copy_now(record)
        finally:
            with self._lock:
                self._busy -= 1
            self.worker.wake()

    def copy_now(self, record: MediaRecord) -> MediaRecord | None:
        """Copy one claimed video and record the outcome; never raises for a fetch, storage or database fault."""
        try:
            values = self._copy(record)
        except CopyAbandoned:
            log.info("copy of record %d abandoned for shutdown; it is tried again later", record.record_id)
            self._finish(record, state=PENDING, due_at=time.time())
            return None
        except StarVideosError as exc:
            attempts = record.attempts + 1
            delay = min(3600.0, 30.0 * 2 ** (attempts - 1))
            due = time.time() + delay if attempts < MAX_ATTEMPTS else float("inf")
            log.info("copy of record %d failed (%s); attempt %d", record.record_id, exc.message, attempts)
            TELEMETRY.count("copy_failures")
            self._finish(record, state=FAILED, error=exc.message, attempts=attempts,
                         due_at=due if due != float("inf") else 9e18)
            return None
        except Exception:
            log.exception("copy of record %d failed unexpectedly", record.record_id)
            TELEMETRY.count("copy_failures")
            self._finish(record, state=FAILED, error="An unexpected error; see the server log.",
                         attempts=record.attempts + 1, due_at=time.time() + 300)
            return None
        self._finish(record, state=SAVED, error=None, **values)
        TELEMETRY.count("copies_saved")
        log.info("saved the video of record %d (%s bytes)", record.record_id, values.get("size"))
        return self.store.get(record.record_id)

    def _finish(self, record: MediaRecord, **values: Any) -> None:
        try:
            self.store.finish(record.record_id, self.owner, **values)
        except DatabaseError as exc:  # the lease lapses and the copy is tried again
            log.warning("could not record the copy of record %d: %s", record.record_id, exc.message)

    def _copy(self, record: MediaRecord) -> dict[str, Any]:
        with tempfile.NamedTemporaryFile(prefix="starvideos-copy-", suffix=".video") as tee:
            base = f"videos/{record.record_id}"
            heartbeat = lambda: self.store.extend(record.record_id, self.owner, self.lease_seconds)  # noqa: E731
            video_key, size = self.store_video(record.source_url, base, tee, heartbeat, lambda: self.worker.stopping)
            tee.flush()
            local = self.storage.local_path(video_key) or Path(tee.name)
            return self._derivatives(base, video_key, size, local)

    def store_video(self, url: str, base: str, tee: IO[bytes] | None = None,
                    heartbeat: Callable[[], None] = lambda: None,
                    stopping: Callable[[], bool] = lambda: False) -> tuple[str, int]:
        """Stream a video from ``url`` into storage under ``base``; returns its key and size. For a bucket, ``tee``
        receives a local copy (the pictures are made from it). All or nothing."""
        response = open_url(url, allow=self.allow, connect_timeout=self.connect_timeout,
                            read_timeout=self.read_timeout, total_timeout=self.total_timeout, accept="video/*")
        with response:
            if response.status != 200:
                hint = " (the provider's link may have expired)" if response.status in (401, 403, 404, 410) else ""
                raise FetchError(f"The video link answered HTTP {response.status}{hint}.")
            declared = response.content_length
            if declared is not None and declared > self.max_bytes:
                raise FetchError(f"The video is {declared / 2**20:.0f} MB; the limit is {self.max_bytes // 2**20} MB "
                                 "(STARVIDEOS_MAX_VIDEO_MB).")
            head = _read_head(response)
            container = media.sniff_container(head)
            if container is None:  # nothing is written for a web page, an error text or anything else
                raise FetchError(f"The link answered with {response.content_type or 'something else'}, not a video.")
            stream = _VideoStream(response, head, self.max_bytes, tee if self.storage.kind != "local" else None,
                                  heartbeat, stopping)
            video_key = f"{base}/video.{container}"
            return video_key, self.storage.put_stream(video_key, stream, _CONTENT_TYPES[container])

    def _derivatives(self, base: str, video_key: str, size: int, local: Path) -> dict[str, Any]:
        info = media.inspect_video(local)
        keys: dict[str, Any] = {"video_key": video_key, "size": size, "info": info.as_dict()}
        for name, make, kind, field in (("poster.jpg", media.poster_jpeg, "image/jpeg", "poster_key"),
                                        ("last-frame.png", media.last_frame_png, "image/png", "last_frame_key"),
                                        ("preview.webp", media.animated_preview, "image/webp", "preview_key")):
            try:
                data = make(local)
            except Exception as exc:  # a picture we cannot make does not undo the saved video
                log.warning("could not make %s for %s: %s", name, base, exc)
                continue
            if data:
                self.storage.put_bytes(f"{base}/{name}", data, kind)
                keys[field] = f"{base}/{name}"
        return keys
