"""The background worker that makes cuts: it claims a queued cut through the database (a lease, kept alive while it
works, so two replicas never build the same cut), brings its takes' stored copies to local files, draws the cut
with PyAV (``cut_render``), stores it like any finished video (with a poster and an animated preview) and records
it, announcing it in the same transaction.

Nothing half-made is ever kept: the video is drawn into a temporary folder that is removed whatever happens, and is
stored (all or nothing) only once complete. A cancel or a lost lease is noticed at the next progress write (about a
second); a shutdown at the next few frames, and the cut then waits for the next start or another replica.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import media
from .copier import POSTER, PREVIEW, store_pictures
from .cut_render import Clip, Layout, Probe, most_common, probe, render
from .cuts import DONE, FAILED, MAX_ATTEMPTS, Cut, CutStore
from .errors import DatabaseError, StarVideosError, StorageError, UnreadableTakeError
from .storage import Storage
from .telemetry import TELEMETRY
from .workers import Heartbeats, Job, Worker

log = logging.getLogger(__name__)

RENDER_SHARE = 0.95
"""Of the progress bar, what drawing takes (storing and the pictures take the rest)."""


class CutStopped(Exception):
    """The cut stopped part-way: cancelled, its lease lost (``shutdown`` False), or the server is stopping."""

    def __init__(self, *, shutdown: bool) -> None:
        super().__init__("shutdown" if shutdown else "cancelled")
        self.shutdown = shutdown


class CutBuilder(Job):
    """One per process, one cut at a time (drawing a cut keeps a core busy). ``build`` makes one claimed cut in
    the caller's thread (tests, benches)."""

    def __init__(self, store: CutStore, storage: Storage, *, lease_seconds: float = 60.0,
                 progress_seconds: float = 1.0, heartbeats: Heartbeats | None = None, owner: str | None = None,
                 workdir: Path | None = None) -> None:
        self.store = store
        self.storage = storage
        self.lease_seconds = lease_seconds
        self.progress_seconds = progress_seconds
        self.workdir = workdir
        self.worker = Worker("cut_builder", self.tick, heartbeats=heartbeats,
                             owner=owner or f"cuts-{uuid.uuid4().hex[:12]}")
        self.owner = self.worker.owner
        self.built: list[int] = []
        """Cuts this builder made (tests, the operator)."""
        self.on_progress: Callable[[int, float], None] = lambda _cut_id, _share: None
        """Called after each progress write (a test's hook to act mid-way)."""
        self._written_at = 0.0

    def close(self, timeout: float = 8.0) -> None:
        """Stop: a cut in progress gives up within a few frames, keeps nothing and waits for the next start."""
        self.worker.stop(timeout)

    def tick(self) -> float:
        cut = self.store.claim(self.owner, lease_seconds=self.lease_seconds)
        if cut is None:
            return 5.0
        self.build(cut)
        return 0.0

    def build(self, cut: Cut) -> Cut | None:
        """Make one claimed cut and record how it ended; never raises for a take, storage or database fault."""
        if cut.attempts > MAX_ATTEMPTS:
            self._finish(cut, FAILED, error=f"The cut was started {MAX_ATTEMPTS} times and never finished (the "
                                            "server stopped while making it). Try again, or make a shorter cut.")
            return None
        stored: list[str] = []
        try:
            values = self._make(cut, stored)
        except CutStopped as stop:
            self._forget(stored)
            if stop.shutdown:
                self._give_back(cut)
            log.info("cut %d %s part-way; nothing was kept", cut.id, "stopped for shutdown" if stop.shutdown
                     else "was cancelled")
            return None
        except UnreadableTakeError as exc:
            self._forget(stored)
            self._finish(cut, FAILED, error=exc.message, unreadable=sorted({*cut.unreadable, exc.record_id}))
            return None
        except StarVideosError as exc:
            self._forget(stored)
            log.info("cut %d failed: %s", cut.id, exc.message)
            self._finish(cut, FAILED, error=f"{exc.message} {exc.hint}".strip())
            return None
        except Exception:
            self._forget(stored)
            log.exception("cut %d failed unexpectedly", cut.id)
            self._finish(cut, FAILED, error="An unexpected error; see the server log.")
            return None
        if not self._finish(cut, DONE, **values):  # cancelled at the last moment: keep nothing
            self._forget(stored)
            return None
        self.built.append(cut.id)
        TELEMETRY.count("cuts_made")
        log.info("made cut %d (v%d, %s bytes)", cut.id, cut.version, values.get("size"))
        return self.store.get(cut.id)

    def _make(self, cut: Cut, stored: list[str]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="starvideos-cut-", dir=self.workdir) as folder:
            tmp = Path(folder)
            self._written_at = 0.0
            self._check(cut, 0.0, force=True)
            clips = [self._local(cut, n, tmp) for n in range(len(cut.plan.takes))]
            layout = self._layout(cut, [probe(clip) for clip in clips])
            out = tmp / "cut.mp4"
            render(clips, layout, out, lambda share: self._check(cut, share * RENDER_SHARE))
            self._check(cut, RENDER_SHARE, force=True)
            base = f"cuts/{cut.id}/{uuid.uuid4().hex[:12]}"  # per attempt: a late loser never touches the winner
            stored.append(f"{base}/video.mp4")
            self.storage.put_file(f"{base}/video.mp4", out, "video/mp4")
            pictures = store_pictures(self.storage, base, out, (POSTER, PREVIEW))
            stored.extend(pictures.values())
            return {"video_key": f"{base}/video.mp4", "size": out.stat().st_size, "progress": 1.0, "error": None,
                    "info": media.inspect_video(out).as_dict(), **pictures}

    def _local(self, cut: Cut, index: int, tmp: Path) -> Clip:
        """A take's stored copy as a local file: the file itself in a folder, a download from a bucket."""
        self._check(cut, 0.0)
        take = cut.plan.takes[index]
        path = self.storage.local_path(take.video_key)
        if path is None:
            path = tmp / f"take-{index}.video"
            try:
                self.storage.download(take.video_key, path)
            except StorageError:
                if not self.storage.exists(take.video_key):
                    raise UnreadableTakeError(take.record_id, take.name,
                                              "its stored copy is missing from storage") from None
                raise
        return Clip(take.record_id, take.name, path, take.start, take.end)

    def _layout(self, cut: Cut, probes: list[Probe]) -> Layout:
        options = cut.plan.options
        width, height, fps = most_common(probes)
        if options.dimensions is not None:
            width, height = options.dimensions
        return Layout(width, height, fps, crossfade=options.crossfade,
                      title=cut.plan.title if options.title_card else None, end=options.end_card)

    def _check(self, cut: Cut, share: float, *, force: bool = False) -> None:
        """Between steps: stop for a shutdown; about once a second, record progress (which keeps the lease) and stop
        when the cut was cancelled or taken over."""
        if self.worker.stopping:
            raise CutStopped(shutdown=True)
        now = time.monotonic()
        if not force and now - self._written_at < self.progress_seconds:
            return
        self._written_at = now
        if not self.store.progress(cut.id, self.owner, share, lease_seconds=self.lease_seconds):
            raise CutStopped(shutdown=False)
        self.on_progress(cut.id, share)

    def _finish(self, cut: Cut, state: str, **values: Any) -> bool:
        try:
            return self.store.finish(cut.id, self.owner, state, **values)
        except DatabaseError as exc:  # the lease lapses and the cut is made again
            log.warning("could not record cut %d: %s", cut.id, exc.message)
            return False

    def _give_back(self, cut: Cut) -> None:
        try:
            self.store.give_back(cut.id, self.owner)
        except DatabaseError as exc:  # its lease lapses instead
            log.warning("could not give cut %d back: %s", cut.id, exc.message)

    def _forget(self, keys: list[str]) -> None:
        """Remove what was stored for a cut that is not recorded (all or nothing, across its files)."""
        for key in keys:
            try:
                self.storage.delete(key)
            except StorageError as exc:
                log.warning("could not remove %s: %s", key, exc.message)

