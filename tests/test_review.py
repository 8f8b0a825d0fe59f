"""Review on both databases: notes pinned to a moment (plain text, by time, through a link only while the link
allows it, slowed per link), their frames' pictures made in the background from the stored copy, approvals with
who and when (logged, exported, announced), retakes placed next to the take they answer and resolving their note
when approved, and blind votes (one ballot per voter, an order per voter, no tally before Reveal, wins by preset
and model)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from starvideos import media
from starvideos.changes import (
    ADDED,
    REMOVED,
    SAME,
    Change,
    cost_and_time,
    prompt_changed,
    setting_changes,
    take_cost,
    time_taken,
    word_diff,
)
from starvideos.database import Database
from starvideos.errors import ThrottledError, ValidationError
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.note_frames import IDLE_SECONDS, NoteFrames, frame_key, thumb_key
from starvideos.notifications import Notifier, Outbox
from starvideos.presets import PresetStore
from starvideos.review import (
    APPROVED,
    CHANGES,
    FRAME_FAILED,
    FRAME_PENDING,
    FRAME_SAVED,
    REJECTED,
    LinkRefusedError,
    NoteCount,
    Review,
    ReviewError,
    timecode,
)
from starvideos.sandbox.clips import render
from starvideos.schema import notes, task_media, tasks
from starvideos.showcase import Showcase
from starvideos.storage import open_storage
from tests.hosts import webhook_receiver


def finished(store: HistoryStore, count: int, *, prompt: str = "take", **extra: object) -> list[int]:
    ids = []
    for n in range(count):
        rid = store.record_attempt(VideoRequest(f"{prompt} {n}"), created_by="ann@team.test", **extra)
        store.mark_created(rid, VideoTask(f"video_r{rid}", TaskStatus.COMPLETED, video_url=f"https://cdn.test/{rid}"))
        ids.append(rid)
    return ids


def on_board(database: Database, ids: list[int], name: str = "Client review") -> int:
    showcase = Showcase(database)
    board = showcase.board_named(name)
    showcase.add(board.id, ids)
    return board.id


def stored_copy(database: Database, storage_url: str, record_id: int, clip: bytes) -> None:
    """A saved copy of the take in storage, as the copier leaves it."""
    key = f"videos/{record_id}/video.mp4"
    open_storage(storage_url).put_bytes(key, clip, "video/mp4")
    with database.write() as conn:
        conn.execute(task_media.delete().where(task_media.c.record_id == record_id))  # finishing queued a copy
        conn.execute(task_media.insert().values(record_id=record_id, state="saved", source_url="https://cdn.test/v",
                                                video_key=key, attempts=1, due_at=0, updated_at=0))


@pytest.fixture(scope="module")
def clip() -> bytes:
    """A real 5-second H.264 take with a different picture in every frame (the sandbox's moving dot)."""
    return render("video_review_clip", "Review me", "16:9", 5)


def test_notes_are_plain_text_listed_by_moment_and_counted(database: Database) -> None:
    """Test that notes keep their words exactly (trimmed, control characters out), are listed by their moment,
    refuse empty or too long text and a moment outside a take, and are counted open and resolved per take."""
    store, review = HistoryStore(database), Review(database)
    a, b = finished(store, 2)
    late = review.pin(a, 3.25, "  ![x](http://127.0.0.1:9/p.png) <b>slower</b>\x07 here ", author=" Ann ")
    early = review.pin(a, 0.5, "Too dark", author="Bob", created_by="bob@team.test")
    review.pin(b, 1.0, "Fine", author="Cy")
    assert (late.body, late.author, late.frame_state, late.timecode) == (
        "![x](http://127.0.0.1:9/p.png) <b>slower</b> here", "Ann", FRAME_PENDING, "0:03.2")
    assert [n.id for n in review.notes(a)] == [early.id, late.id]
    with pytest.raises(ValidationError, match=r"Note: write something first\."):
        review.pin(a, 1.0, " \n ", author="Ann")
    with pytest.raises(ValidationError, match=r"Note: is 1,001 characters long; keep it to 1,000\."):
        review.pin(a, 1.0, "x" * 1001, author="Ann")
    with pytest.raises(ValidationError, match=r"Your name: write something first\."):
        review.pin(a, 1.0, "ok", author="")
    for moment in (-1.0, float("nan"), 10 ** 9):
        with pytest.raises(ValidationError, match="the moment is not in the take"):
            review.pin(a, moment, "ok", author="Ann")
    review.resolve(early.id, "bob@team.test")
    counts = review.note_counts([a, b, 999])
    assert (counts[a].open, counts[a].resolved, counts[b].open) == (1, 1, 1) and 999 not in counts
    review.reopen(early.id)
    assert review.note(early.id).resolved_at is None and review.note_counts([a])[a].open == 2


def test_a_boards_notes_are_those_pinned_on_it_and_counted_alike(database: Database) -> None:
    """Test that with a board, a take's notes and their counts are only those pinned on that board (by a member on
    it or through its link), not another board's nor the team's from History; without one, every note."""
    store, review, showcase = HistoryStore(database), Review(database), Showcase(database)
    [take] = finished(store, 1)
    first, second = on_board(database, [take], "Client A"), on_board(database, [take], "Client B")
    _, link_a = showcase.share(first)
    theirs = review.pin(take, 1.0, "Client A likes it", author="Ann", link_id=link_a.id)
    internal = review.pin(take, 2.0, "Client X hates this", author="Team")
    ours = review.pin(take, 3.0, "Brighter", author="Bo", board_id=second)
    review.resolve(ours.id, "Bo")
    assert [n.id for n in review.notes(take)] == [theirs.id, internal.id, ours.id]
    assert [n.id for n in review.notes(take, board_id=second)] == [ours.id]
    assert [(n.id, n.board_id) for n in review.notes(take, board_id=first)] == [(theirs.id, first)]
    assert review.notes(take, board_id=999) == []
    assert review.note_counts([take])[take] == NoteCount(open=2, resolved=1)
    assert review.note_counts([take], board_id=second) == {take: NoteCount(open=0, resolved=1)}
    assert review.note_counts([take], board_id=first) == {take: NoteCount(open=1, resolved=0)}
    assert review.note_counts([take], board_id=999) == {}


def test_timecodes_never_name_a_later_frame() -> None:
    """Test the "0:03.2" form: minutes, seconds and tenths, truncated."""
    assert [timecode(s) for s in (0, 3.25, 3.299, 59.96, 61.05, 600.0)] == [
        "0:00.0", "0:03.2", "0:03.2", "0:59.9", "1:01.0", "10:00.0"]


def test_link_holders_pin_notes_only_while_the_link_allows_it(database: Database) -> None:
    """Test that a note through a link is stored with the link and its board, and refused (nothing stored) when
    the link does not allow notes, is revoked or expired, or the take is not on its board."""
    store, review, showcase = HistoryStore(database), Review(database), Showcase(database)
    take, elsewhere = finished(store, 2)
    board_id = on_board(database, [take])
    _, link = showcase.share(board_id)
    _, brief = showcase.share(board_id, expires_in=0.2)
    note = review.pin(take, 1.0, "Lovely light", author="Client", link_id=link.id)
    assert (note.share_link_id, note.board_id) == (link.id, board_id)
    with pytest.raises(LinkRefusedError, match=r"That take is not on this board any more: nothing was saved\."):
        review.pin(elsewhere, 1.0, "Sneaky", author="Client", link_id=link.id)
    review.set_rights(link.id, notes_allowed=False, requests_allowed=False)
    assert not review.rights(link.id).notes
    with pytest.raises(LinkRefusedError, match=r"This link does not allow notes\.") as info:
        review.pin(take, 1.0, "Not allowed", author="Client", link_id=link.id)
    assert info.value.hint == "Ask whoever sent it to allow notes."
    review.set_rights(link.id, notes_allowed=True, requests_allowed=False)
    showcase.revoke(link.id)
    with pytest.raises(LinkRefusedError, match=r"This link has been revoked: nothing was saved\."):
        review.pin(take, 1.0, "After the revoke", author="Client", link_id=link.id)
    time.sleep(0.3)
    with pytest.raises(LinkRefusedError, match=r"This link has expired: nothing was saved\."):
        review.pin(take, 1.0, "Too late", author="Client", link_id=brief.id)
    assert [n.body for n in review.notes(take)] == ["Lovely light"]
    assert review.notes(elsewhere) == []


def test_a_burst_of_notes_through_one_link_is_slowed(database: Database) -> None:
    """Test that 40 notes fired through one link are mostly refused with a wait (not stored); a member is not
    slowed."""
    store, review, showcase = HistoryStore(database), Review(database), Showcase(database)
    [take] = finished(store, 1)
    _, link = showcase.share(on_board(database, [take]))
    limiter = review.note_limiter(link.id)
    refused = 0
    for n in range(40):
        try:
            review.pin(take, 1.0, f"spam {n}", author="Bot", link_id=link.id, limiter=limiter)
        except ThrottledError as exc:
            refused += 1
            assert exc.message == "Notes through this link are coming too fast." and exc.wait_seconds > 0
    assert refused >= 34 and len(review.notes(take)) == 40 - refused
    for n in range(10):
        review.pin(take, 1.0, f"member {n}", author="Ann")
    assert len(review.notes(take)) == 50 - refused


def test_frame_at_is_the_frame_shown_at_that_moment(tmp_path: Path, clip: bytes) -> None:
    """Test that a note's picture is the frame on screen at its moment: the last frame starting at or before it
    (the last frame past the end), decoded from the stored file."""
    path = tmp_path / "take.mp4"
    path.write_bytes(clip)
    import av

    with av.open(str(path)) as container:
        frames = [(frame.time, frame.to_image()) for frame in container.decode(video=0)]
    # 12 frames a second: 1.3 s shows the frame from 1.25 s (15), 2.55 s the one from 2.5 s (30, not 31 from 2.583 s).
    for moment, expected in ((0.0, 0), (1.3, 15), (2.5, 30), (2.55, 30), (4.99, len(frames) - 1),
                             (9.0, len(frames) - 1)):
        thumb, full = media.frame_at(path, moment)
        picture = Image.open(io.BytesIO(full)).convert("RGB")
        assert picture.size == frames[expected][1].size
        assert _nearest(picture, [image for _, image in frames]) == expected, moment
        assert Image.open(io.BytesIO(thumb)).width == min(media.THUMB_WIDTH, picture.width)


def _nearest(picture: Image.Image, frames: list[Image.Image]) -> int:
    """The decoded frame this JPEG is (the one it differs least from: the moving dot and the time label differ
    between frames by more than JPEG's loss)."""
    def distance(frame: Image.Image) -> float:
        pairs = zip(picture.convert("L").tobytes(), frame.convert("L").tobytes(), strict=True)
        return sum(abs(x - y) for x, y in pairs)

    return min(range(len(frames)), key=lambda n: distance(frames[n]))


def test_frames_are_made_in_the_background_from_the_stored_copy(database: Database, storage_url: str,
                                                               clip: bytes) -> None:
    """Test that the worker makes each note's thumbnail and full frame from the stored copy (a folder or a
    bucket), one read per video; a note on a take without a saved copy waits; a replica that lost the lease
    cannot record; an unreadable video is given up after three attempts and the note stays."""
    store, review = HistoryStore(database), Review(database)
    saved, waiting, broken = finished(store, 3)
    stored_copy(database, storage_url, saved, clip)
    stored_copy(database, storage_url, broken, b"\x00\x00\x00\x18ftypmp42" + b"not a video" * 100)
    first = review.pin(saved, 1.0, "one", author="Ann")
    second = review.pin(saved, 4.0, "two", author="Ann")
    queued = review.pin(waiting, 1.0, "no copy yet", author="Ann")
    bad = review.pin(broken, 1.0, "broken", author="Ann")
    storage = open_storage(storage_url)
    frames = NoteFrames(review, storage)
    frames.tick()
    for note in (first, second):
        made = review.note(note.id)
        assert (made.frame_state, made.thumb_key, made.frame_key) == (FRAME_SAVED, thumb_key(note.id),
                                                                      frame_key(note.id))
        assert Image.open(io.BytesIO(storage.read_bytes(made.thumb_key))).width == 320
        assert Image.open(io.BytesIO(storage.read_bytes(made.frame_key))).size == (320, 180)
    assert storage.read_bytes(thumb_key(first.id)) != storage.read_bytes(thumb_key(second.id))
    assert review.note(queued.id).frame_state == FRAME_PENDING
    for _ in range(2):
        frames.tick()
    gone = review.note(bad.id)
    assert (gone.frame_state, gone.thumb_key) == (FRAME_FAILED, None)
    with database.read() as conn:
        assert conn.execute(sa.select(notes.c.frame_attempts, notes.c.frame_error).where(notes.c.id == bad.id)).one() \
            == (3, "The video could not be read (InvalidDataError).")
    late = review.pin(saved, 2.0, "three", author="Ann")
    [(note_id, at, _key)] = review.claim_frames("replica-a", limit=5, lease_seconds=60)
    assert (note_id, at) == (late.id, 2.0)
    assert review.claim_frames("replica-b", limit=5, lease_seconds=60) == []  # held
    assert review.frame_made(late.id, "replica-b", thumb_key="x", frame_key="y") is False
    assert review.note(late.id).frame_state == FRAME_PENDING


def test_a_note_just_pinned_gets_its_picture_while_the_page_waits(database: Database, tmp_path: Path,
                                                                  clip: bytes) -> None:
    """Test that ``picture`` wakes the idle worker for a note just pinned and hands back the note with its picture
    as soon as it is made (the worker would otherwise sleep its idle pause, longer than the wait); a note whose take
    has no saved copy yet comes back still pending once the wait is over."""
    store, review = HistoryStore(database), Review(database)
    saved, waiting = finished(store, 2)
    stored_copy(database, str(tmp_path / "media"), saved, clip)
    frames = NoteFrames(review, open_storage(str(tmp_path / "media"))).start()
    try:
        deadline = time.monotonic() + 10
        while frames.worker.rounds == 0:  # its first round found nothing: it now sleeps IDLE_SECONDS
            assert time.monotonic() < deadline, "the worker never ran"
            time.sleep(0.01)
        note = review.pin(saved, 2.0, "Slower here", author="Ann")
        made = frames.picture(note.id, within=IDLE_SECONDS - 1)
        assert (made.frame_state, made.thumb_key) == (FRAME_SAVED, thumb_key(note.id))
        later = review.pin(waiting, 1.0, "No copy yet", author="Ann")
        assert frames.picture(later.id, within=0.2).frame_state == FRAME_PENDING
    finally:
        frames.close()


def test_approvals_with_who_when_progress_and_what_a_link_may_ask(database: Database) -> None:
    """Test that members set Approved, Needs changes or Rejected (or clear it), each change logged with who and
    when; progress counts them; a link holder may only request changes, and only when the link allows it."""
    store, review, showcase = HistoryStore(database), Review(database), Showcase(database)
    a, b, c, d, stray = finished(store, 5)
    board_id = on_board(database, [a, b, c, d])
    review.set_state(board_id, a, APPROVED, by="Ann", created_by="ann@team.test")
    review.set_state(board_id, b, REJECTED, by="Ann", created_by="ann@team.test")
    review.set_state(board_id, b, APPROVED, by="Bob", created_by="bob@team.test")
    review.set_state(board_id, c, CHANGES, by="Ann")
    review.set_state(board_id, c, None, by="Ann")
    states = review.approvals(board_id)
    assert {r: (s.state, s.set_by, s.created_by) for r, s in states.items()} == {
        a: (APPROVED, "Ann", "ann@team.test"), b: (APPROVED, "Bob", "bob@team.test")}
    assert [(x.state, x.set_by) for x in review.decisions(board_id, b)] == [(APPROVED, "Bob"), (REJECTED, "Ann")]
    assert [x.state for x in review.decisions(board_id, c)] == ["cleared", CHANGES]
    progress = review.progress(board_id)
    assert (progress.text, progress.undecided) == ("2 of 4 approved", 2)
    with pytest.raises(ValidationError, match="Approval: choose one of Approved, Needs changes, Rejected"):
        review.set_state(board_id, a, "maybe", by="Ann")
    with pytest.raises(ReviewError, match="That take is not on this board any more"):
        review.set_state(board_id, stray, APPROVED, by="Ann")
    _, link = showcase.share(board_id)
    with pytest.raises(LinkRefusedError, match=r"This link does not allow requesting changes\."):
        review.set_state(board_id, d, CHANGES, by="Client", link_id=link.id)
    review.set_rights(link.id, notes_allowed=True, requests_allowed=True)
    with pytest.raises(LinkRefusedError, match="only “Request changes” can be chosen"):
        review.set_state(board_id, d, APPROVED, by="Client", link_id=link.id)
    review.set_state(board_id, d, CHANGES, by="Client", link_id=link.id)
    assert review.approvals(board_id)[d].share_link_id == link.id
    showcase.remove(board_id, a)  # a take taken off the board takes its state with it
    assert a not in review.approvals(board_id) and review.progress(board_id).text == "1 of 3 approved"


def test_approval_states_are_exported_and_announced(database: Database) -> None:
    """Test that the export carries each take's state per board with who set it, and that each decision posts
    one message to the team's chat (a link holder's marked, their words never markup)."""
    store, showcase = HistoryStore(database), Showcase(database)
    outbox = Outbox(database)
    review = Review(database, outbox=outbox)
    a, b = finished(store, 2, prompt="Fox")
    board_id = on_board(database, [a, b], "Spring <pitch>")
    _, link = showcase.share(board_id)
    review.set_rights(link.id, notes_allowed=True, requests_allowed=True)
    review.set_state(board_id, a, APPROVED, by="ann@team.test", created_by="ann@team.test")
    review.set_state(board_id, b, CHANGES, by="<!channel> Carla", link_id=link.id)
    out = io.StringIO()
    store.write_csv(out)
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows[a]["approvals"].startswith("Spring <pitch>: Approved by ann@team.test (20")
    assert rows[b]["approvals"].startswith("Spring <pitch>: Needs changes by <!channel> Carla (via share link) (")
    with webhook_receiver() as hook:
        Notifier(outbox, hook.url, public_url="https://studio.example.com").tick()
    assert sorted(body["text"] for body in hook.bodies) == sorted([
        f":white_check_mark: Approved: “Fox 0” on “Spring &lt;pitch&gt;” · by ann@team.test\n"
        f"<https://studio.example.com/boards?board={board_id}|Open the board>",
        f":pencil2: Needs changes: “Fox 1” on “Spring &lt;pitch&gt;” · by &lt;!channel&gt; Carla (via share link)\n"
        f"<https://studio.example.com/boards?board={board_id}|Open the board>"])


def test_a_retake_sits_next_to_its_original_and_approving_it_resolves_the_note(database: Database) -> None:
    """Test that a take made from a note is linked to it (its thread), placed on the note's board right after the
    take it answers, and that approving it there resolves the note with who and which retake."""
    store, review = HistoryStore(database), Review(database)
    first, original, last = finished(store, 3)
    board_id = on_board(database, [first, original, last])
    note = review.pin(original, 2.0, "The fox should turn left", author="Client", board_id=board_id)
    [retake] = finished(store, 1, prompt="retake", note_id=note.id)
    assert store.get(retake).note_id == note.id
    assert review.place_retake(retake, added_by="ann@team.test") == board_id
    assert review.place_retake(retake) == board_id  # once only
    assert [t.record.id for t in Showcase(database).items(board_id)] == [first, original, retake, last]
    assert review.threads([note.id]) == {note.id: [retake]}
    review.set_state(board_id, retake, CHANGES, by="Ann")
    assert not review.note(note.id).resolved
    review.set_state(board_id, retake, APPROVED, by="Ann", created_by="ann@team.test")
    done = review.note(note.id)
    assert (done.resolved, done.resolved_by, done.resolved_record_id) == (True, "ann@team.test", retake)
    loose = review.pin(first, 1.0, "No board", author="Ann")
    [orphan] = finished(store, 1, note_id=loose.id)
    assert review.place_retake(orphan) is None


def test_blind_votes_one_ballot_per_voter_no_tally_before_reveal(database: Database) -> None:
    """Test a blind vote: 2 to 4 takes of the board; each voter's own stable order (orders differ between
    voters); one ballot per voter; no tally before Reveal and no ballot after; the winner after."""
    store, review = HistoryStore(database), Review(database)
    a, b, c, d, e = finished(store, 5)
    board_id = on_board(database, [a, b, c, d])
    for chosen in ([a], [a, a], [a, b, c, d, e]):  # a take twice is one take
        with pytest.raises(ValidationError, match="Blind vote: select 2 to 4 takes"):
            review.start_vote(board_id, chosen)
    with pytest.raises(ReviewError, match="not on this board"):
        review.start_vote(board_id, [a, e])
    vote = review.start_vote(board_id, [a, b, c], created_by="ann@team.test")
    orders = {tuple(vote.order_for(f"visitor:{n}")) for n in range(12)}
    assert len(orders) > 1 and all(sorted(o) == sorted((a, b, c)) for o in orders)
    assert vote.order_for("visitor:x") == vote.order_for("visitor:x") == review.vote(vote.id).order_for("visitor:x")
    assert review.cast(vote.id, "visitor:one", b) is True
    assert review.cast(vote.id, "visitor:one", a) is False  # the same browser again: still one ballot, for b
    assert review.cast(vote.id, "member:ann@team.test", b) and review.cast(vote.id, "visitor:two", c)
    with pytest.raises(ReviewError, match="That take is not in this vote"):
        review.cast(vote.id, "visitor:three", d)
    assert review.ballot(vote.id, "visitor:one") == b and review.vote(vote.id).ballots == 3
    with pytest.raises(ReviewError, match="The tally shows after Reveal"):
        review.tally(vote.id)
    review.reveal(vote.id, by="ann@team.test")
    tally = review.tally(vote.id)
    assert (tally.counts, tally.winners) == ({a: 0, b: 2, c: 1}, [b])
    with pytest.raises(ReviewError, match="voting is closed"):
        review.cast(vote.id, "visitor:late", a)
    assert [v.id for v in review.votes(board_id)] == [vote.id]


def test_link_holders_vote_only_on_their_links_board(database: Database) -> None:
    """Test that a ballot through a link is refused when the link is revoked or opens another board."""
    store, review, showcase = HistoryStore(database), Review(database), Showcase(database)
    a, b = finished(store, 2)
    board_id = on_board(database, [a, b])
    other = on_board(database, [a, b], "Other")
    vote = review.start_vote(board_id, [a, b])
    _, mine = showcase.share(board_id)
    _, theirs = showcase.share(other)
    with pytest.raises(LinkRefusedError, match="This vote is not on this link's board"):
        review.cast(vote.id, "visitor:x", a, link_id=theirs.id)
    assert review.cast(vote.id, "visitor:x", a, link_id=mine.id)
    showcase.revoke(mine.id)
    with pytest.raises(LinkRefusedError, match="revoked"):
        review.cast(vote.id, "visitor:y", a, link_id=mine.id)
    assert review.vote(vote.id).ballots == 1


def test_wins_add_up_per_preset_and_per_model(database: Database) -> None:
    """Test that revealed votes' winners count per preset and per model (a tie is a win for each), unrevealed
    votes count nothing."""
    store, review = HistoryStore(database), Review(database)
    hero = PresetStore(database).save("Hero shot", {"prompt": "x"})
    [h1, h2] = finished(store, 2, preset_id=hero.id)
    [p1, p2] = finished(store, 2)
    with database.write() as conn:  # a second model, as a deployment with two would record it
        conn.execute(tasks.update().where(tasks.c.id == p2).values(
            request={"prompt": "p", "model": "starvideos_v4", "duration": 5, "ratio": "16:9", "images": []}))
    board_id = on_board(database, [h1, h2, p1, p2])
    first = review.start_vote(board_id, [h1, p1])
    review.cast(first.id, "v1", h1)
    review.cast(first.id, "v2", h1)
    review.cast(first.id, "v3", p1)
    tie = review.start_vote(board_id, [h2, p2])
    review.cast(tie.id, "v1", h2)
    review.cast(tie.id, "v2", p2)
    hidden = review.start_vote(board_id, [p1, p2])
    review.cast(hidden.id, "v1", p1)
    for vote in (first, tie):
        review.reveal(vote.id)
    wins = review.wins()
    assert [(w.name, w.entered, w.wins) for w in wins["preset"]] == [("Hero shot", 2, 2), ("No preset", 2, 1)]
    assert [(w.name, w.entered, w.wins, w.rate) for w in wins["model"]] == [
        ("starvideos_v3", 2, 2, 1.0), ("starvideos_v4", 1, 1, 1.0)]


def test_word_diff_and_setting_changes(store: HistoryStore) -> None:
    """Test the word diff (kept, removed, added runs; spacing is no change) and the settings that differ."""
    assert word_diff("A red fox runs  through snow", "A red fox walks through deep snow, slowly") == [
        (SAME, "A red fox"), (REMOVED, "runs"), (ADDED, "walks"), (SAME, "through"), (REMOVED, "snow"),
        (ADDED, "deep snow, slowly")]
    assert word_diff("same words", "same   words") == [(SAME, "same words")]
    assert not prompt_changed("a  b", "a b\n") and prompt_changed("a b", "a c")
    one = store.get(store.record_attempt(VideoRequest("x", duration=5, ratio="16:9")))
    two = store.get(store.record_attempt(VideoRequest("y", duration=8, ratio="9:16",
                                                      images=("https://img.test/a.png",))))
    assert [(c.name, c.before, c.after) for c in setting_changes(one, two)] == [
        ("Mode", "Text to video", "Image to video"), ("Duration", "5 s", "8 s"), ("Aspect ratio", "16:9", "9:16"),
        ("Reference images", "none", "1 picture")]
    assert setting_changes(one, one) == []


def test_cost_and_time_of_each_take(store: HistoryStore) -> None:
    """Test each take's cost as Usage counts it (its seconds × the price once a task was or may have been created,
    nothing for an attempt refused or cancelled) and how long it took from sending to finished, in words."""
    def take(duration: int, status: str, attempted: float = 1000.0, finished: float | None = None) -> int:
        record_id = store.record_attempt(VideoRequest("x", duration=duration))
        with store.db.write() as conn:
            conn.execute(tasks.update().where(tasks.c.id == record_id).values(
                status=status, attempted_at=attempted, finished_at=finished))
        return record_id

    done = store.get(take(5, "completed", 1000.0, 1042.4))
    slow = store.get(take(8, "completed", 2000.0, 2125.0))
    failed = store.get(take(5, "failed", 0.0, 12.0))
    refused, cancelled = store.get(take(5, "rejected")), store.get(take(5, "cancelled"))
    running, unknown = store.get(take(10, "processing")), store.get(take(5, "outcome_unknown"))
    assert [take_cost(r, 0.1) for r in (done, slow, failed, refused, cancelled, running, unknown)] == [
        0.5, 0.8, 0.5, 0.0, 0.0, 1.0, 0.5]
    assert take_cost(done, None) is None
    assert [time_taken(r) for r in (done, slow, failed, refused, cancelled, running, unknown)] == [
        "42 s", "2 min 5 s", "failed after 12 s", "not made", "not made", "still being made", "outcome unknown"]
    assert cost_and_time(done, slow, price_per_second=0.1, currency="EUR") == [
        Change("Cost", "0.50 EUR", "0.80 EUR"), Change("Took", "42 s", "2 min 5 s")]
    assert cost_and_time(done, running, price_per_second=None, currency="USD") == [
        Change("Took", "42 s", "still being made")]
