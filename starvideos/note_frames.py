"""The pictures of review notes: for each note, the frame at its moment, made with PyAV from the app's stored copy
of the take (a small thumbnail for the notes list, and the full frame a retake can start from).

A ``NoteFrames`` worker per process claims due notes through the database (a lease, so replicas never make the same
picture twice), reads each stored video once for all of its notes, and records the pictures only while it still
holds the note. A picture that cannot be made is tried ``FRAME_ATTEMPTS`` times, then the note stays without one.
Pinning a note wakes the worker and waits for it a moment (``picture``, at most ``PIN_WAIT_SECONDS``): the
decoding stays on the worker's thread, and the page that pinned the note draws it with its picture in the same run.
When a picture takes longer, the note's cell picks it up later on its own.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import media
from .errors import StarVideosError
from .review import FRAME_PENDING, Note, Review
from .storage import Storage
from .workers import Heartbeats, Job, Worker

log = logging.getLogger(__name__)
BATCH = 8
LEASE_SECONDS = 120.0
IDLE_SECONDS = 5.0
PIN_WAIT_SECONDS = 1.0
"""How long pinning waits for the picture: about what the note's cell would wait before asking again."""
RECHECK_SECONDS = 0.05
"""While waiting, how often the database is read (another replica's worker may make the picture)."""


def thumb_key(note_id: int) -> str:
    return f"notes/{note_id}/thumb.jpg"


def frame_key(note_id: int) -> str:
    return f"notes/{note_id}/frame.jpg"


class NoteFrames(Job):
    """Makes notes' pictures in the background. One per process; start and close are idempotent."""

    def __init__(self, review: Review, storage: Storage, *, heartbeats: Heartbeats | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.review = review
        self.storage = storage
        self._clock = clock
        self.worker = Worker("note_frames", self.tick, heartbeats=heartbeats, max_pause=IDLE_SECONDS, clock=clock)
        self._made = threading.Condition()
        self._pictures = 0
        """Rounds of pictures this worker has finished (for ``picture``'s waiting)."""

    def close(self) -> None:
        self.worker.stop()

    def picture(self, note_id: int, within: float = PIN_WAIT_SECONDS) -> Note | None:
        """Wake the worker for a note just pinned and wait up to ``within`` seconds for its picture (told at once
        when this process's worker finishes a picture). Returns the note as it is then: with its picture, given up,
        or still pending."""
        self.wake()
        deadline = time.monotonic() + within
        while True:
            with self._made:
                seen = self._pictures  # counted before reading: a picture made during the read is not missed
            note = self.review.note(note_id)
            left = deadline - time.monotonic()
            if note is None or note.frame_state != FRAME_PENDING or left <= 0 or not self.alive:
                return note
            with self._made:
                if self._pictures == seen:
                    self._made.wait(min(left, RECHECK_SECONDS))

    def tick(self) -> float:
        owner = self.worker.owner
        claimed = self.review.claim_frames(owner, limit=BATCH, lease_seconds=LEASE_SECONDS, now=self._clock())
        by_video: dict[str, list[tuple[int, float]]] = {}
        for note_id, at, video_key in claimed:
            by_video.setdefault(video_key, []).append((note_id, at))
        for video_key, wanted in by_video.items():
            if self.worker.stopping:
                return 0.0  # the leases lapse; another replica (or the next start) makes them
            self._make(video_key, wanted)
        return 0.0 if len(claimed) == BATCH else IDLE_SECONDS

    def _make(self, video_key: str, wanted: list[tuple[int, float]]) -> None:
        owner = self.worker.owner
        try:
            with _local_video(self.storage, video_key) as path:
                for note_id, at in wanted:
                    try:
                        thumb, full = media.frame_at(path, at)
                        self.storage.put_bytes(frame_key(note_id), full, "image/jpeg")
                        self.storage.put_bytes(thumb_key(note_id), thumb, "image/jpeg")
                    except StarVideosError as exc:
                        log.warning("could not make the picture of note %d: %s", note_id, exc.message)
                        self.review.frame_failed(note_id, owner, exc.message)
                        continue
                    self.review.frame_made(note_id, owner, thumb_key=thumb_key(note_id), frame_key=frame_key(note_id))
                    self._told()
        except StarVideosError as exc:  # the stored video could not be read: each note counts an attempt
            log.warning("could not read %s for notes' pictures: %s", video_key, exc.message)
            for note_id, _at in wanted:
                self.review.frame_failed(note_id, owner, exc.message)
        self._told()

    def _told(self) -> None:
        """Tell whoever waits in ``picture`` to look again."""
        with self._made:
            self._pictures += 1
            self._made.notify_all()


@contextlib.contextmanager
def _local_video(storage: Storage, key: str) -> Iterator[Path]:
    """A file PyAV can seek in: the stored file itself when storage is a folder, else a temporary copy."""
    local = storage.local_path(key)
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="starvideos-frames-") as folder:
        path = Path(folder) / "video"
        path.write_bytes(storage.read_bytes(key))
        yield path
