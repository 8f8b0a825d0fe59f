"""Cuts: a board or a chain of takes made into one video by the background builder, checked by decoding what it made
(PyAV), on SQLite and PostgreSQL, with a real folder and moto's S3 server; what is refused before any work; what is
left behind when a cut stops part-way (nothing); one builder per cut across replicas; versions and what changed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from starvideos import media
from starvideos.cut_builder import CutBuilder
from starvideos.cut_render import card
from starvideos.cuts import CANCELLED, DONE, FAILED, PENDING, CutOptions, CutStore, Trim
from starvideos.database import Database
from starvideos.errors import CutError, UnusableTakesError, ValidationError
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.notifications import CUT, Notifier, Outbox
from starvideos.schema import cuts, task_media
from starvideos.showcase import Showcase
from starvideos.storage import Storage, open_storage
from tests.clips import LUMA_FIRST, LUMA_STEP, decoded, luma, numbered_clip

W, H, FPS = 160, 90, 8
FRAMES = 16  # 2 s at 8 fps
CARD = 16  # the title card: 2 s
RED, BLUE, GREEN = (90, 200), (200, 90), (60, 60)


def saved_take(database: Database, storage: Storage, clip: Path, prompt: str, *, ratio: str = "16:9",
               parent_id: int | None = None) -> int:
    """A finished task whose copy the copier saved: the clip in storage, its task_media row as the copier writes
    it (with what ``media.inspect_video`` reads)."""
    store = HistoryStore(database)
    rid = store.record_attempt(VideoRequest(prompt, ratio=ratio), parent_id=parent_id)
    task_id = f"video_{rid}_{time.monotonic_ns()}"
    store.mark_created(rid, VideoTask(task_id, TaskStatus.QUEUED))
    store.update_task(VideoTask(task_id, TaskStatus.COMPLETED, video_url=f"https://cdn.example.com/{rid}.mp4"))
    key = f"videos/{rid}/video.mp4"
    storage.put_file(key, clip, "video/mp4")
    with database.write() as conn:
        conn.execute(task_media.update().where(task_media.c.record_id == rid).values(
            state="saved", video_key=key, size=clip.stat().st_size, info=media.inspect_video(clip).as_dict()))
    return rid


@pytest.fixture
def storage(storage_url: str) -> Storage:
    return open_storage(storage_url)


@pytest.fixture
def clips(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "clips"
    folder.mkdir()
    return {"red": numbered_clip(folder / "red.mp4", colour=RED),
            "tall": numbered_clip(folder / "tall.mp4", width=H, height=W, colour=BLUE, first=100),
            "green": numbered_clip(folder / "green.mp4", colour=GREEN, first=70)}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def board_of(database: Database, storage: Storage, clips: dict[str, Path], name: str = "Spring “launch” <b>") -> \
        tuple[int, list[int]]:
    showcase = Showcase(database)
    ids = [saved_take(database, storage, clips["red"], "A red fox runs"),
           saved_take(database, storage, clips["tall"], "A tall lighthouse", ratio="9:16"),
           saved_take(database, storage, clips["green"], "A green field")]
    board = showcase.board_named(name)
    showcase.add(board.id, ids)
    return board.id, ids


def build_next(builder: CutBuilder):
    cut = builder.store.claim(builder.owner, lease_seconds=60)
    assert cut is not None
    return builder.build(cut)


def chroma(frame: np.ndarray, x: int, y: int) -> tuple[int, int]:
    """The U and V of the pixel at (x, y)."""
    flat = frame.reshape(-1)
    quarter = (H // 2) * (W // 2)
    at = (y // 2) * (W // 2) + x // 2
    return int(flat[W * H + at]), int(flat[W * H + quarter + at])


def stored_keys(storage: Storage, prefix: str) -> list[str]:
    if storage.kind == "local":
        root = Path(storage.root) / prefix  # type: ignore[attr-defined]
        return sorted(str(p.relative_to(storage.root)) for p in root.rglob("*") if p.is_file())  # type: ignore
    listing = storage.client.list_objects_v2(Bucket=storage.bucket,  # type: ignore[attr-defined]
                                             Prefix=f"{storage.prefix}/{prefix}")  # type: ignore[attr-defined]
    return sorted(o["Key"].split("/", 1)[1] for o in listing.get("Contents", []))


def test_a_board_cut_fits_a_tall_take_between_bars_with_crossfades_and_a_title_card(
        database: Database, storage: Storage, clips: dict[str, Path], workdir: Path, tmp_path: Path) -> None:
    """Test the cut of a three-take board with one 9:16 take, 0.25 s crossfades and a title card, by decoding it:
    its size (the takes' most common), frame count and duration, the title card first, the tall take between black
    bars at its own shape (not stretched), a crossfade between two takes, and the last take's last frame last; it is
    stored with a poster and a preview, and nothing is left in the work folder."""
    board_id, _ = board_of(database, storage, clips)
    store = CutStore(database, storage)
    plan = store.plan_board(board_id, CutOptions(crossfade=0.25, title_card=True))
    assert [t.name for t in plan.takes] == ["Take 1 “A red fox runs”", "Take 2 “A tall lighthouse”",
                                            "Take 3 “A green field”"]
    assert plan.problems == () and plan.seconds == pytest.approx(2 + 3 * 2 - 3 * 0.25)
    cut, made = store.request(plan, created_by="ana@example.com")
    assert made and (cut.version, cut.state, cut.title) == (1, PENDING, "Spring “launch” <b>")
    builder = CutBuilder(store, storage, workdir=workdir)
    done = build_next(builder)

    assert done is not None and done.state == DONE and done.progress == 1.0 and builder.built == [cut.id]
    expected = CARD + 3 * FRAMES - 3 * 2  # a 0.25 s crossfade is 2 frames at 8 fps
    assert done.info == {"duration": expected / FPS, "width": W, "height": H, "codec": "h264", "container": "mp4",
                         "playable": True}
    local = tmp_path / "made.mp4"
    storage.download(done.video_key, local)
    frames = decoded(local)
    assert len(frames) == expected
    # The title card, drawn from the board's name as plain text.
    assert np.abs(frames[0][:H].astype(int) - card(plan.title, W, H)[:H].astype(int)).mean() < 4
    assert luma(frames[0], W, H) < 60 and frames[0][:H].max() > 200
    # Take 1 starts after the card and its crossfade: its frame 2 is the cut's frame 16 (the card's last 2 frames
    # were blended with its first 2).
    assert luma(frames[CARD], W, H) == pytest.approx(LUMA_FIRST + 2 * LUMA_STEP, abs=2)
    assert chroma(frames[CARD], W // 2, H // 2) == pytest.approx(RED, abs=3)
    blended = luma(frames[CARD - 1], W, H)
    assert 20 < blended < LUMA_FIRST + LUMA_STEP  # between the card's black and the take's first frames
    # The tall take, in the middle of its time: black bars left and right, its picture 50 pixels wide (90×160
    # fitted into 160×90), never stretched to the full width.
    middle = frames[CARD - 2 + FRAMES - 2 + FRAMES // 2]
    plane = middle[:H].reshape(H, W).astype(int)
    lit = np.flatnonzero(plane[H // 2] > 40)
    assert plane[:, :40].max() <= 20 and plane[:, -40:].max() <= 20
    assert 48 <= len(lit) <= 52 and abs((lit[0] + lit[-1]) / 2 - W / 2) <= 2
    assert chroma(middle, W // 2, H // 2) == pytest.approx(BLUE, abs=3)
    assert chroma(middle, 10, H // 2) == pytest.approx((128, 128), abs=2)
    # The last frame is the green take's last.
    assert luma(frames[-1], W, H) == pytest.approx(70 + (FRAMES - 1) * LUMA_STEP, abs=2)
    assert chroma(frames[-1], W // 2, H // 2) == pytest.approx(GREEN, abs=3)
    assert done.poster_key and done.preview_key and storage.exists(done.poster_key)
    assert stored_keys(storage, f"cuts/{cut.id}") == sorted([done.video_key, done.poster_key, done.preview_key])
    assert list(workdir.iterdir()) == []


def test_a_trimmed_take_contributes_exactly_its_range(database: Database, storage: Storage,
                                                      clips: dict[str, Path], workdir: Path,
                                                      tmp_path: Path) -> None:
    """Test that a take's in and out points on the board (0.5 s to 1.5 s: its frames 4 to 11) are exactly what the
    cut plays of it, followed by the whole next take."""
    board_id, ids = board_of(database, storage, clips)
    store = CutStore(database, storage)
    showcase = Showcase(database)
    showcase.remove(board_id, ids[1])
    store.set_trim(board_id, ids[0], Trim(0.5, 1.5), duration=2.0)
    assert store.trims(board_id) == {ids[0]: Trim(0.5, 1.5)}
    store.request(store.plan_board(board_id))
    done = build_next(CutBuilder(store, storage, workdir=workdir))
    local = tmp_path / "made.mp4"
    storage.download(done.video_key, local)
    levels = [round(luma(f, W, H)) for f in decoded(local)]
    assert len(levels) == 8 + FRAMES
    assert levels[:8] == pytest.approx([LUMA_FIRST + LUMA_STEP * n for n in range(4, 12)], abs=2)
    assert levels[8:] == pytest.approx([70 + LUMA_STEP * n for n in range(FRAMES)], abs=2)
    assert done.info["duration"] == 3.0


def test_in_and_out_points_are_checked_and_go_with_the_take(database: Database, tmp_path: Path,
                                                            clips: dict[str, Path]) -> None:
    """Test that in and out points that leave too little or fall outside the take are refused naming the point and
    the fix, and that taking a take off the board removes its points."""
    storage = open_storage(str(tmp_path / "media"))
    board_id, ids = board_of(database, storage, clips)
    store = CutStore(database, storage)
    with pytest.raises(ValidationError) as refused:
        store.set_trim(board_id, ids[0], Trim(1.8, 2.0), duration=2.0)
    assert refused.value.problems == ["Out: the take would play 0.2 s; set Out at least 0.5 s after In (1.8 s)."]
    with pytest.raises(ValidationError) as refused:
        store.set_trim(board_id, ids[0], Trim(-1, 9), duration=2.0)
    assert refused.value.problems == ["In: -1 s is before the take starts; use 0 or more.",
                                      "Out: 9 s is past the take's end (2.0 s); use at most 2.0 s."]
    store.set_trim(board_id, ids[0], Trim(None, 1.0), duration=2.0)
    Showcase(database).remove(board_id, ids[0])
    assert store.trims(board_id) == {}


def test_a_take_without_a_usable_copy_is_named_and_left_out_only_with_consent(
        database: Database, storage: Storage, clips: dict[str, Path], workdir: Path) -> None:
    """Test that a take whose stored copy is gone, and one whose copy is still being saved, are named with why;
    nothing is queued until the person agrees to leave them out, and then the cut is made of the rest."""
    board_id, ids = board_of(database, storage, clips)
    storage.delete(f"videos/{ids[1]}/video.mp4")
    with database.write() as conn:
        conn.execute(task_media.update().where(task_media.c.record_id == ids[2]).values(state="saving"))
    store = CutStore(database, storage)
    plan = store.plan_board(board_id)
    assert plan.problems == ((ids[1], "Take 2 “A tall lighthouse”", "its stored copy is missing from storage"),
                             (ids[2], "Take 3 “A green field”", "its copy is still being saved"))
    with pytest.raises(UnusableTakesError) as refused:
        store.request(plan, skip=[ids[2]])
    assert refused.value.message == "Take 2 “A tall lighthouse”: its stored copy is missing from storage"
    assert database.scalar(sa.select(sa.func.count()).select_from(cuts)) == 0
    cut, made = store.request(plan, skip=ids[1:])
    assert made and [t.record_id for t in cut.plan.takes] == [ids[0]] and cut.skipped == plan.problems
    assert build_next(CutBuilder(store, storage, workdir=workdir)).info["duration"] == 2.0


def test_a_cut_longer_than_the_limit_is_refused_before_any_work(database: Database, tmp_path: Path,
                                                                clips: dict[str, Path]) -> None:
    """Test that a cut over STARVIDEOS_MAX_CUT_SECONDS, or with options out of range, is refused with the setting or
    field named, and nothing is queued."""
    storage = open_storage(str(tmp_path / "media"))
    board_id, _ = board_of(database, storage, clips)
    store = CutStore(database, storage, max_seconds=5)
    with pytest.raises(ValidationError) as refused:
        store.request(store.plan_board(board_id, CutOptions(title_card=True)))
    assert refused.value.problems == ["Length: the cut would be 8 s long; the limit is 5 s "
                                      "(STARVIDEOS_MAX_CUT_SECONDS). Trim takes or take some off."]
    with pytest.raises(ValidationError) as refused:
        store.request(store.plan_board(board_id, CutOptions(size="640x480", crossfade=1.5, end_card=" ")))
    assert refused.value.problems == [
        "Size: choose 1280×720, 1920×1080, 720×1280, 1080×1920 or the takes' own (got '640x480').",
        "Crossfade: choose from 0 to 1 seconds (got 1.5).", "End card: write its words, or turn the end card off."]
    with pytest.raises(ValidationError) as refused:
        CutStore(database, storage).request(store.plan_board(board_id, CutOptions(crossfade=1.0)))
    assert refused.value.problems == ["Crossfade: 1 s is too long for the shortest part (2.0 s); use at most 0.9 s, "
                                      "or trim less."]
    assert database.scalar(sa.select(sa.func.count()).select_from(cuts)) == 0


def test_a_cut_cancelled_mid_way_leaves_no_file(database: Database, storage: Storage, clips: dict[str, Path],
                                                workdir: Path) -> None:
    """Test that cancelling a cut while it is being drawn stops the builder at its next step: the cut is
    cancelled, nothing is stored and the work folder is empty."""
    board_id, _ = board_of(database, storage, clips)
    store = CutStore(database, storage)
    cut, _ = store.request(store.plan_board(board_id, CutOptions(title_card=True, end_card="Thanks")))
    builder = CutBuilder(store, storage, workdir=workdir, progress_seconds=0)
    seen: list[float] = []

    def cancel_once_drawing(cut_id: int, share: float) -> None:
        if share > 0:
            seen.append(share)
        if len(seen) == 1:
            assert store.cancel(cut_id)  # as a person pressing Cancel on the board, mid-way

    builder.on_progress = cancel_once_drawing
    assert build_next(builder) is None
    stopped = store.get(cut.id)
    assert stopped.state == CANCELLED and stopped.video_key is None
    assert len(seen) == 1 and 0 < seen[0] < 0.5  # no step after the cancel: it stopped long before the end
    assert stored_keys(storage, "cuts") == [] and list(workdir.iterdir()) == [] and builder.built == []
    assert store.cancel(cut.id) is False  # already ended


def test_a_take_that_breaks_mid_way_fails_the_cut_by_name_and_the_next_plan_asks_to_skip_it(
        database: Database, storage: Storage, clips: dict[str, Path], workdir: Path, tmp_path: Path) -> None:
    """Test that a stored copy cut off half-way fails its cut with the take named and nothing stored, and that the
    next cut of the board names it among the takes to leave out."""
    board_id, ids = board_of(database, storage, clips)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clips["tall"].read_bytes()[: clips["tall"].stat().st_size // 2])
    storage.put_file(f"videos/{ids[1]}/video.mp4", broken, "video/mp4")
    store = CutStore(database, storage)
    cut, _ = store.request(store.plan_board(board_id))
    assert build_next(CutBuilder(store, storage, workdir=workdir)) is None
    failed = store.get(cut.id)
    assert failed.state == FAILED and failed.unreadable == [ids[1]] and failed.video_key is None
    assert failed.error.startswith("Take 2 “A tall lighthouse”: its stored copy ")
    assert stored_keys(storage, "cuts") == [] and list(workdir.iterdir()) == []
    plan = store.plan_board(board_id)
    assert plan.problems == ((ids[1], "Take 2 “A tall lighthouse”",
                              "its stored copy could not be read when the last cut was made"),)


def test_two_replicas_never_build_the_same_cut(database: Database, tmp_path: Path, clips: dict[str, Path]) -> None:
    """Test that two running builders (two replicas) share four queued cuts, each made exactly once, and that a
    builder whose lease ran out cannot record (or keep) a cut another replica took over."""
    storage = open_storage(str(tmp_path / "media"))
    store = CutStore(database, storage)
    ids = [saved_take(database, storage, clips["red"], f"take {n}") for n in range(2)]
    showcase = Showcase(database)
    wanted = []
    for n in range(4):
        board = showcase.board_named(f"Board {n}")
        showcase.add(board.id, ids)
        wanted.append(store.request(store.plan_board(board.id))[0].id)
    first, second = (CutBuilder(store, storage, owner=f"replica-{n}") for n in "ab")
    first.start()
    second.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(store.get(i).state != DONE for i in wanted):
            time.sleep(0.05)
    finally:
        first.close()
        second.close()
    assert sorted(first.built + second.built) == sorted(wanted)
    assert all(store.get(i).attempts == 1 for i in wanted)
    assert all(len(stored_keys(storage, f"cuts/{i}")) == 3 for i in wanted)

    later = [0.0]
    late_store = CutStore(database, storage, clock=lambda: time.time() + later[0])
    board = showcase.board_named("Board 9")
    showcase.add(board.id, ids)
    cut, _ = store.request(store.plan_board(board.id))
    slow = CutBuilder(store, storage, owner="replica-slow")
    slow_steps: list[float] = []
    slow.on_progress = lambda _cut_id, share: slow_steps.append(share)
    claimed = store.claim(slow.owner, lease_seconds=30)
    later[0] = 31.0  # the slow replica's lease ran out: another takes the cut over
    fast = CutBuilder(late_store, storage, owner="replica-fast")
    assert late_store.claim(fast.owner, lease_seconds=30).id == cut.id
    assert slow.build(claimed) is None and slow.built == [] and slow_steps == []  # stopped at its first step
    assert not store.finish(cut.id, slow.owner, DONE, video_key="cuts/late/video.mp4")  # nor can it record late
    assert fast.build(store.get(cut.id)).state == DONE
    assert len(stored_keys(storage, f"cuts/{cut.id}")) == 3 and store.get(cut.id).attempts == 2


def test_a_new_cut_after_the_board_changes_is_a_new_version_saying_what_changed(
        database: Database, tmp_path: Path, clips: dict[str, Path]) -> None:
    """Test that making the cut again unchanged finds the version already made, and that after the board changes
    the next cut is v2, listing what changed, with v1 kept."""
    storage = open_storage(str(tmp_path / "media"))
    board_id, ids = board_of(database, storage, clips)
    store = CutStore(database, storage)
    showcase = Showcase(database)
    first, made = store.request(store.plan_board(board_id))
    again, made_again = store.request(store.plan_board(board_id))
    assert made and not made_again and again.id == first.id
    showcase.move(board_id, ids[2], -2)
    showcase.remove(board_id, ids[1])
    store.set_trim(board_id, ids[0], Trim(0.5, None), duration=2.0)
    second, made = store.request(store.plan_board(board_id, CutOptions(crossfade=0.5, title_card=True,
                                                                       end_card="Thanks")))
    assert made and second.version == 2
    assert second.changes == ["Removed “A tall lighthouse”", "New order",
                              "Trimmed “A red fox runs”: 0.5–2.0 s (was 0.0–2.0 s)", "Crossfades of 0.5 s",
                              "Title card", "End card “Thanks”"]
    assert [c.version for c in store.versions(board_id=board_id)] == [2, 1]


def test_a_chain_of_continued_takes_is_cut_in_its_order(database: Database, tmp_path: Path,
                                                        clips: dict[str, Path]) -> None:
    """Test that the chain through any of its takes is the first take, what continues it, and so on (the newest
    finished continuation when there are several), and that its versions are counted per chain."""
    storage = open_storage(str(tmp_path / "media"))
    root = saved_take(database, storage, clips["red"], "Shot one")
    middle = saved_take(database, storage, clips["green"], "Shot two", parent_id=root)
    saved_take(database, storage, clips["red"], "An older shot three", parent_id=middle)
    last = saved_take(database, storage, clips["red"], "Shot three", parent_id=middle)
    store = CutStore(database, storage)
    plan = store.plan_chain(middle)
    assert [t.record_id for t in plan.takes] == [root, middle, last]
    assert (plan.chain_id, plan.title, plan.takes[2].name) == (root, "Shot one", "Shot 3 “Shot three”")
    cut, _ = store.request(plan)
    assert (cut.chain_id, cut.board_id, cut.version) == (root, None, 1)
    assert [c.id for c in store.versions(chain_id=root)] == [cut.id]
    with pytest.raises(CutError):
        store.plan_chain(10_000)


def test_a_finished_cut_is_announced_once_with_a_link_to_watch_it(database: Database, tmp_path: Path,
                                                                 clips: dict[str, Path]) -> None:
    """Test that the transaction that finishes a cut writes its one message, which names the cut and links to it
    (a person's board name is never Slack markup)."""
    storage = open_storage(str(tmp_path / "media"))
    board_id, _ = board_of(database, storage, clips, name="Launch <!channel>")
    outbox = Outbox(database)
    store = CutStore(database, storage, outbox=outbox)
    store.request(store.plan_board(board_id))
    done = build_next(CutBuilder(store, storage))
    assert [(r["kind"], r["subject_id"]) for r in outbox.rows()] == [(CUT, done.id)]
    notifier = Notifier(outbox, "http://127.0.0.1:9/hook", public_url="https://studio.example.com",
                        poster_link=lambda key: f"https://studio.example.com/files/{key}")
    message = notifier.message(CUT, done.id)
    assert message.text == (":clapper: Cut v1 of “Launch &lt;!channel&gt;” is ready · 6 s · 160×90\n"
                            f"<https://studio.example.com/present?cut={done.id}|Watch it in StarVideos Studio>")
    assert message.image_url == f"https://studio.example.com/files/{done.poster_key}"
    notifier.close()


def test_a_shutdown_mid_way_keeps_nothing_and_the_cut_waits_for_the_next_start(
        database: Database, storage: Storage, clips: dict[str, Path], workdir: Path) -> None:
    """Test that a server stopping while a cut is drawn stops the builder within a few frames: nothing is stored,
    the cut waits again (for this replica's next start or another's) and the interrupted claim is not counted
    against it; the next builder makes it."""
    board_id, _ = board_of(database, storage, clips)
    store = CutStore(database, storage)
    cut, _ = store.request(store.plan_board(board_id))
    builder = CutBuilder(store, storage, workdir=workdir, progress_seconds=0)
    builder.on_progress = lambda _cut_id, share: builder.worker.stop() if share > 0 else None
    assert build_next(builder) is None
    waiting = store.get(cut.id)
    assert (waiting.state, waiting.attempts, waiting.progress, waiting.video_key) == (PENDING, 0, 0.0, None)
    assert stored_keys(storage, "cuts") == [] and list(workdir.iterdir()) == []
    assert build_next(CutBuilder(store, storage, workdir=workdir)).state == DONE


def test_a_cut_that_keeps_stopping_its_server_is_given_up(database: Database, tmp_path: Path,
                                                          clips: dict[str, Path]) -> None:
    """Test that a cut claimed again after three builders died with it (their leases ran out) fails with a plain
    reason instead of being tried forever, and that Try again queues it afresh."""
    storage = open_storage(str(tmp_path / "media"))
    board_id, _ = board_of(database, storage, clips)
    store = CutStore(database, storage)
    cut, _ = store.request(store.plan_board(board_id))
    with database.write() as conn:
        conn.execute(cuts.update().where(cuts.c.id == cut.id).values(attempts=3, state="building",
                                                                     lease_owner="gone", lease_until=0.0))
    builder = CutBuilder(store, storage)
    assert build_next(builder) is None
    failed = store.get(cut.id)
    assert failed.state == FAILED and failed.error.startswith("The cut was started 3 times and never finished")
    assert store.retry(cut.id) and store.get(cut.id).state == PENDING
    assert build_next(builder).state == DONE


def test_a_take_at_another_frame_rate_is_resampled_to_the_cut_s(database: Database, tmp_path: Path,
                                                                clips: dict[str, Path]) -> None:
    """Test that the cut takes the frame rate most takes have, and that a 16 fps take in an 8 fps cut shows every
    other frame of it (the nearest to each instant), for its whole length."""
    storage = open_storage(str(tmp_path / "media"))
    fast = numbered_clip(tmp_path / "fast.mp4", fps=16, step=4)
    showcase = Showcase(database)
    ids = [saved_take(database, storage, clips["red"], "eight"), saved_take(database, storage, fast, "sixteen"),
           saved_take(database, storage, clips["green"], "eight again")]
    board = showcase.board_named("Rates")
    showcase.add(board.id, ids)
    store = CutStore(database, storage)
    store.request(store.plan_board(board.id))
    done = build_next(CutBuilder(store, storage))
    local = tmp_path / "made.mp4"
    storage.download(done.video_key, local)
    levels = [round(luma(f, W, H)) for f in decoded(local)]
    assert len(levels) == 3 * FRAMES and done.info["duration"] == 6.0
    assert levels[FRAMES:2 * FRAMES] == pytest.approx([LUMA_FIRST + 4 * 2 * n for n in range(FRAMES)], abs=2)


def test_the_cut_is_its_planned_length_to_the_frame_whatever_the_points(tmp_path: Path,
                                                                         clips: dict[str, Path]) -> None:
    """Test that in and out points and a crossfade off the frame grid still give a cut within half a frame of the
    trimmed takes less the crossfades (frames are counted on the cut's timeline, not rounded take by take)."""
    from fractions import Fraction

    from starvideos.cut_render import Clip, Layout, render

    parts = [Clip(n, f"Take {n}", clips[name], 0.31, 1.87) for n, name in enumerate(["red", "green"] * 3)]
    made = render(parts, Layout(W, H, Fraction(FPS), crossfade=0.3), tmp_path / "cut.mp4")
    expected = 6 * (1.87 - 0.31) - 5 * 0.3
    assert made.frames == round(expected * FPS) == len(decoded(tmp_path / "cut.mp4"))
    assert abs(made.seconds - expected) <= 0.5 / FPS
