"""Keeping every finished video: the background copy into a real folder or moto's S3 server, the pictures made from
it with PyAV, and every hostile or broken source cut off with its reason and nothing half-written left behind."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from starvideos.copier import MediaCopier
from starvideos.copies import FAILED, SAVED, MediaStore
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.sandbox import SandboxServer
from starvideos.storage import LocalStorage, open_storage
from tests.hosts import Host, misbehaving_host
from tests.test_storage import leftovers


@pytest.fixture
def host() -> Iterator[Host]:
    with misbehaving_host() as h:
        yield h


def finished(store: HistoryStore, video_url: str, prompt: str = "a take") -> int:
    """A task that completed with ``video_url``: the history queues its copy."""
    rid = store.record_attempt(VideoRequest(prompt))
    task_id = f"video_{rid}_{time.monotonic_ns()}"
    store.mark_created(rid, VideoTask(task_id, TaskStatus.QUEUED))
    store.update_task(VideoTask(task_id, TaskStatus.COMPLETED, video_url=video_url))
    return rid


def copy_one(copier: MediaCopier, record_id: int):
    [claimed] = copier.store.claim(copier.owner, limit=1, lease_seconds=60)
    assert claimed.record_id == record_id
    copier.copy_now(claimed)
    return copier.store.get(record_id)


def test_a_finished_video_is_copied_with_its_pictures(database: Database, storage_url: str,
                                                      sandbox: SandboxServer) -> None:
    """Test that completing a task queues its copy, and the copy stores the video, a poster, the last frame and an
    animated preview, with its duration, size and codec (on both databases and both storages)."""
    store = HistoryStore(database)
    rid = finished(store, f"{sandbox.base_url}/assets/sample.mp4")
    media = MediaStore(database)
    assert media.get(rid).state == "pending"
    storage = open_storage(storage_url)
    copier = MediaCopier(media, storage, allow={("127.0.0.1", sandbox.port)})
    copy = copy_one(copier, rid)
    assert copy.state == SAVED and copy.error is None and copy.size == 56853
    assert copy.video_key == f"videos/{rid}/video.mp4"
    assert storage.read_bytes(copy.video_key)[4:8] == b"ftyp"
    assert copy.info == {"duration": 3.0, "width": 320, "height": 180, "codec": "h264", "container": "mp4",
                         "playable": True}
    poster = Image.open(io.BytesIO(storage.read_bytes(copy.poster_key)))
    last = Image.open(io.BytesIO(storage.read_bytes(copy.last_frame_key)))
    preview = Image.open(io.BytesIO(storage.read_bytes(copy.preview_key)))
    assert (poster.format, poster.size, last.format, last.size) == ("JPEG", (320, 180), "PNG", (320, 180))
    assert preview.format == "WEBP" and getattr(preview, "n_frames", 1) > 10
    assert copier.store.claim(copier.owner, limit=5, lease_seconds=60) == []  # saved: never copied again
    copier.close()


def test_background_copier_and_one_copy_at_a_time(database: Database, tmp_path: Path,
                                                  sandbox: SandboxServer) -> None:
    """Test that the background copier saves what completes without anyone asking, and that two copiers (two
    replicas) never both claim the same video."""
    store, media = HistoryStore(database), MediaStore(database)
    ids = [finished(store, f"{sandbox.base_url}/assets/sample.mp4", f"take {n}") for n in range(4)]
    first = media.claim("replica-a", limit=2, lease_seconds=60)
    second = media.claim("replica-b", limit=10, lease_seconds=60)
    assert len(first) == 2 and len(second) == 2 and not {m.record_id for m in first} & {m.record_id for m in second}
    for owner, claims in (("replica-a", first), ("replica-b", second)):
        for claimed in claims:  # both "crash" before copying: give the work back
            media.finish(claimed.record_id, owner, state="pending", due_at=0.0)
    copier = MediaCopier(media, LocalStorage(tmp_path / "media"), allow={("127.0.0.1", sandbox.port)}).start()
    try:
        deadline = time.monotonic() + 30
        while not all(media.get(i).state == SAVED for i in ids):
            assert time.monotonic() < deadline, [media.get(i) for i in ids]
            time.sleep(0.05)
    finally:
        copier.close()


def test_a_content_length_of_superscript_two_is_an_unknown_length(sqlite_db: Database, tmp_path: Path,
                                                                   host: Host, sandbox: SandboxServer) -> None:
    """Test that a video answered with ``Content-Length: ²`` (a digit to isdigit(), not to int()) is copied as one
    of unknown length instead of crashing the copy."""
    import requests

    host.add("video", requests.get(f"{sandbox.base_url}/assets/sample.mp4", timeout=10).content, "video/mp4")
    store, media = HistoryStore(sqlite_db), MediaStore(sqlite_db)
    rid = finished(store, f"{host.base}/odd-length")
    copier = MediaCopier(media, LocalStorage(tmp_path / "media"), allow=host.allow)
    copy = copy_one(copier, rid)
    assert copy.state == SAVED and copy.size == 56853
    copier.close()


def test_shutdown_abandons_a_copy_in_flight_without_a_partial_file(database: Database, tmp_path: Path,
                                                                   host: Host) -> None:
    """Test that stopping the copier mid-download returns within seconds, leaves no file (not even a .part), and
    gives the copy back untouched (waiting, unleased, no attempt counted) for the next start or replica."""
    store, media = HistoryStore(database), MediaStore(database)
    rid = finished(store, f"{host.base}/slow-video?every=0.05")
    root = tmp_path / "media"
    copier = MediaCopier(media, LocalStorage(root), allow=host.allow).start()
    deadline = time.monotonic() + 20
    while not list(root.rglob(".part-*")):  # the download has started writing
        assert time.monotonic() < deadline, "the copy never started"
        time.sleep(0.02)
    started = time.monotonic()
    copier.close()
    assert time.monotonic() - started < 5
    assert [p for p in root.rglob("*") if p.is_file()] == []
    copy = media.get(rid)
    assert (copy.state, copy.attempts, copy.error) == ("pending", 0, None)
    with database.read() as conn:
        lease = conn.execute(sa.text("SELECT lease_owner, lease_until FROM task_media WHERE record_id = :r"),
                             {"r": rid}).one()
    assert tuple(lease) == (None, None)
    assert not copier.alive


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    yield db
    db.dispose()


def hevc_clip() -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx265", rate=8)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        stream.options = {"x265-params": "log-level=none"}
        for n in range(8):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 36), (n * 30, 20, 90)))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return out.getvalue()


def test_a_video_browsers_cannot_play_is_flagged(sqlite_db: Database, tmp_path: Path, host: Host) -> None:
    """Test that an H.265 video is kept but flagged: browsers play H.264, VP9 or AV1 in MP4 or WebM."""
    store = HistoryStore(sqlite_db)
    rid = finished(store, host.add("hevc", hevc_clip(), "video/mp4"))
    copy = copy_one(MediaCopier(MediaStore(sqlite_db), LocalStorage(tmp_path / "media"), allow=host.allow), rid)
    assert copy.state == SAVED and copy.info["codec"] == "hevc" and copy.info["playable"] is False
    assert copy.video_info.warning == ("This video is HEVC in MP4; browsers may not play it (they play H.264, VP9 or "
                                       "AV1 in MP4 or WebM). Download it to watch it.")


HOSTILE = [
    ("/endless", "The video is larger than 1 MB, the limit (STARVIDEOS_MAX_VIDEO_MB)."),
    ("/huge", "The video is 10240 MB; the limit is 1 MB (STARVIDEOS_MAX_VIDEO_MB)."),
    ("/drip?every=0.05", "The host did not finish within 1 seconds."),
    ("/silent", "The host did not answer within 1 seconds."),
    ("/html", "The link answered with text/html, not a video."),
    ("/expired", "The video link answered HTTP 403 (the provider's link may have expired)."),
    ("/to?u=http://169.254.169.254/latest/meta-data/",
     "Not fetched: 169.254.169.254 is a link-local address (cloud metadata lives there)."),
    ("/to?u=http://127.0.0.1:1/video.mp4", "Not fetched: 127.0.0.1 is a loopback address."),
]


@pytest.mark.parametrize(("path", "reason"), HOSTILE, ids=[p.split("?")[0] for p, _ in HOSTILE])
def test_hostile_and_broken_sources_are_cut_off(sqlite_db: Database, storage_url: str, host: Host, path: str,
                                                reason: str) -> None:
    """Test that a huge, endless, dripping, silent, redirected-to-private, expired or not-a-video source is cut off
    with its reason, leaves nothing half-written, keeps the task, and is tried again later."""
    store = HistoryStore(sqlite_db)
    rid = finished(store, host.base + path)
    storage = open_storage(storage_url)
    # One second for the hosts that are cut off by time; the others get time enough that only their own fault (the
    # size, the type, the address) can stop them, however busy the machine.
    total_timeout = 1 if "within 1 seconds" in reason else 60
    copier = MediaCopier(MediaStore(sqlite_db), storage, allow=host.allow, max_video_mb=1, total_timeout=total_timeout)
    started = time.time()
    copy = copy_one(copier, rid)
    assert (copy.state, copy.error, copy.attempts) == (FAILED, reason, 1)
    assert copy.due_at >= started + 30  # retried later, with back-off
    assert leftovers(storage, f"videos/{rid}") == []
    if isinstance(storage, LocalStorage) and storage.root.exists():
        assert not [p for p in storage.root.rglob("*") if p.is_file()]  # not even a temporary file
    assert store.get(rid).status == "completed" and store.get(rid).task_id  # the task itself is untouched


def test_unreachable_bucket_fails_the_copy_and_retry_saving_works(sqlite_db: Database, sandbox: SandboxServer,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  s3_bucket: str) -> None:
    """Test that a bucket down during a copy fails it plainly (the task untouched, a retry planned), and "Retry
    saving" makes it due at once and succeeds when the bucket is back."""
    store, media = HistoryStore(sqlite_db), MediaStore(sqlite_db)
    rid = finished(store, f"{sandbox.base_url}/assets/sample.mp4")
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nobody listens there
    down = open_storage(s3_bucket)
    down.client.meta.config.retries = {"max_attempts": 1}
    copy = copy_one(MediaCopier(media, down, allow={("127.0.0.1", sandbox.port)}), rid)
    assert copy.state == FAILED and "the bucket could not be reached" in copy.error
    assert copy.due_at > time.time() + 20
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # the bucket is back
    media.retry(rid)
    assert media.get(rid).due_at == 0.0
    copy = copy_one(MediaCopier(media, open_storage(s3_bucket), allow={("127.0.0.1", sandbox.port)}), rid)
    assert copy.state == SAVED


def test_a_queued_copy_wakes_the_copier_after_its_write_commits(database: Database) -> None:
    """Test that the history calls ``copy_queued`` once per write that queued a copy (a task completed by a lookup,
    or already completed when created), after the write committed: another connection already sees the pending
    copy. A status that queues no copy calls nothing."""
    store = HistoryStore(database)
    elsewhere = MediaStore(Database(database.url.render_as_string(hide_password=False)))
    ids: list[int] = []
    seen: list[list[int]] = []
    store.copy_queued = lambda: seen.append([i for i in ids if (m := elsewhere.get(i)) and m.state == "pending"])
    looked_up = store.record_attempt(VideoRequest("completed by a lookup"))
    ids.append(looked_up)
    store.mark_created(looked_up, VideoTask("video_a", TaskStatus.QUEUED))
    store.update_task(VideoTask("video_a", TaskStatus.PROCESSING))
    assert seen == []
    store.update_task(VideoTask("video_a", TaskStatus.COMPLETED, video_url="http://127.0.0.1:9/a.mp4"))
    assert seen == [[looked_up]]
    at_once = store.record_attempt(VideoRequest("completed when created"))
    ids.append(at_once)
    store.mark_created(at_once, VideoTask("video_b", TaskStatus.COMPLETED, video_url="http://127.0.0.1:9/b.mp4"))
    assert seen == [[looked_up], [looked_up, at_once]]
    store.update_task(VideoTask("video_b", TaskStatus.FAILED, error="no"))
    assert len(seen) == 2
    elsewhere.db.dispose()
