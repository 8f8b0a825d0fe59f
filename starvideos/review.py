"""Review: deciding on takes. Notes pinned to a moment of a take (with a picture of that frame, made in the
background by ``NoteFrames``), approval states per take per board with who set them, retakes linked to the note they
answer (approving a retake resolves its note), and blind votes whose tally shows only after Reveal.

Link holders act through a share link: every note, request and ballot is checked against the link in the
transaction that stores it (revoked, expired, its board gone, the take not on its board, or the link not allowing
it), so a tab opened before a revoke can do nothing after it. Notes through a link are rate-limited per link.
People's text is stored as plain text (``clean_text``) and never interpreted.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import leases
from .database import Database
from .errors import StarVideosError, ThrottledError, ValidationError
from .limits import RateLimiter
from .schema import (
    approval_events,
    approvals,
    ballots,
    blind_votes,
    board_items,
    boards,
    notes,
    presets,
    share_links,
    task_media,
    tasks,
)
from .showcase import MAX_NAME_CHARS, clean_text, on_board

if TYPE_CHECKING:
    from .notifications import Outbox

MAX_NOTE_CHARS = 1000
NOTES_PER_MINUTE_PER_LINK = 6
FRAME_PENDING, FRAME_SAVED, FRAME_FAILED = "pending", "saved", "failed"
FRAME_ATTEMPTS = 3
APPROVED, CHANGES, REJECTED, CLEARED = "approved", "changes", "rejected", "cleared"
STATES = {APPROVED: "Approved", CHANGES: "Needs changes", REJECTED: "Rejected"}
MIN_VOTE_TAKES, MAX_VOTE_TAKES = 2, 4
LETTERS = "ABCD"


class ReviewError(StarVideosError):
    """A review action that cannot be done as asked (a vote already cast, a tally before Reveal)."""

    title = "That did not work."


class LinkRefusedError(StarVideosError):
    """A share link that no longer opens its board, a take not on its board, or an action the link does not allow:
    nothing is stored through it."""

    title = "This link does not allow that."

    def __init__(self, message: str, hint: str = "Ask whoever sent it for a new one.") -> None:
        super().__init__(message, hint=hint)


@dataclass(frozen=True)
class Note:
    id: int
    record_id: int
    board_id: int | None
    at: float
    """Seconds into the take."""
    body: str
    """Plain text: shown as text, never as HTML or Markdown."""
    author: str
    created_by: str | None
    share_link_id: int | None
    frame_state: str
    """``pending`` (being made), ``saved`` or ``failed``."""
    thumb_key: str | None
    frame_key: str | None
    resolved_at: float | None
    resolved_by: str | None
    resolved_record_id: int | None
    """The retake whose approval resolved it."""
    created_at: float

    @property
    def timecode(self) -> str:
        return timecode(self.at)

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


@dataclass(frozen=True)
class NoteCount:
    open: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class Approval:
    record_id: int
    state: str
    set_by: str
    """The name to show: a member's, or what a link holder typed (``share_link_id`` says which)."""
    created_by: str | None
    share_link_id: int | None
    at: float

    @property
    def label(self) -> str:
        return STATES.get(self.state, self.state)


@dataclass(frozen=True)
class Progress:
    total: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def approved(self) -> int:
        return self.counts.get(APPROVED, 0)

    @property
    def undecided(self) -> int:
        return self.total - sum(self.counts.values())

    @property
    def text(self) -> str:
        return f"{self.approved} of {self.total} approved"


@dataclass(frozen=True)
class LinkRights:
    notes: bool = True
    requests: bool = False


@dataclass(frozen=True)
class BlindVote:
    id: int
    board_id: int
    record_ids: tuple[int, ...]
    created_by: str | None
    created_at: float
    revealed_at: float | None
    revealed_by: str | None
    ballots: int = 0

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None

    def order_for(self, voter: str) -> list[int]:
        """The takes in this voter's own order: shuffled once per voter and vote, the same on every visit."""
        seed = int.from_bytes(hashlib.sha256(f"{self.id}\x1f{voter}".encode()).digest()[:8], "big")
        order = list(self.record_ids)
        random.Random(seed).shuffle(order)
        return order


@dataclass(frozen=True)
class Tally:
    vote: BlindVote
    counts: dict[int, int]
    """Ballots per take, every take of the vote present (zero when none)."""

    @property
    def winners(self) -> list[int]:
        """The takes with the most ballots (all of them on a tie); none before anyone voted."""
        top = max(self.counts.values(), default=0)
        return [record_id for record_id, n in self.counts.items() if n == top and top > 0]


@dataclass(frozen=True)
class WinRow:
    name: str
    entered: int
    """Revealed votes one of its takes was in."""
    wins: int

    @property
    def rate(self) -> float:
        return self.wins / self.entered if self.entered else 0.0


def timecode(seconds: float) -> str:
    """``0:03.2``: minutes, seconds and tenths (truncated, so a note never names a later frame than its own)."""
    tenths = int(max(0.0, seconds) * 10 + 1e-6)
    return f"{tenths // 600}:{tenths // 10 % 60:02d}.{tenths % 10}"


class Review:
    """Notes, approvals, retake threads and blind votes, on the shared database. Thread-safe."""

    def __init__(self, db: Database, *, outbox: Outbox | None = None, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.outbox = outbox
        self._clock = clock

    # Notes -----------------------------------------------------------------------------------------------------

    def pin(self, record_id: int, at: float, body: str, *, author: str, created_by: str | None = None,
            board_id: int | None = None, link_id: int | None = None, limiter: RateLimiter | None = None) -> Note:
        """Pin a plain-text note to the moment ``at`` (seconds) of a take; its frame's picture is made in the
        background. Through a share link: ``LinkRefusedError`` unless the link still opens a board holding the take
        and allows notes; ``ThrottledError`` when the link is posting too fast."""
        author = clean_text(author, MAX_NAME_CHARS, "Your name")
        body = clean_text(body, MAX_NOTE_CHARS, "Note")
        if not isinstance(at, (int, float)) or at != at or not 0 <= at <= 24 * 3600:
            raise ValidationError(["Note: the moment is not in the take; play it and try again."])
        if link_id is not None:
            with self.db.read() as conn:
                board_id = _link_board(conn, link_id, record_id, self._clock(), notes=True)
            if limiter is not None:
                grant = limiter.take(1)
                if grant.granted == 0:
                    raise ThrottledError("Notes through this link are coming too fast.", wait_seconds=grant.wait)
        now = self._clock()
        with self.db.write() as conn:
            if link_id is not None:
                board_id = _link_board(conn, link_id, record_id, now, notes=True)
            row = conn.execute(notes.insert().values(
                record_id=record_id, board_id=board_id, at_seconds=round(float(at), 3), body=body, author=author,
                created_by=created_by, share_link_id=link_id, frame_state=FRAME_PENDING, created_at=now)
                .returning(*notes.c)).one()
        return _note(row._mapping)

    def notes(self, record_id: int, *, board_id: int | None = None) -> list[Note]:
        """A take's notes in the order of their moments: all of them, or with ``board_id`` only those pinned on that
        board (what a share link's holder sees: not another board's clients', not the team's from History)."""
        rows = self.db.rows(sa.select(notes).where(notes.c.record_id == record_id, *on_board(notes, board_id))
                            .order_by(notes.c.at_seconds, notes.c.id))
        return [_note(row._mapping) for row in rows]

    def note(self, note_id: int) -> Note | None:
        rows = self.db.rows(sa.select(notes).where(notes.c.id == note_id))
        return _note(rows[0]._mapping) if rows else None

    def notes_by_id(self, note_ids: Iterable[int]) -> dict[int, Note]:
        wanted = list(set(note_ids))
        if not wanted:
            return {}
        return {row.id: _note(row._mapping) for row in self.db.rows(sa.select(notes).where(notes.c.id.in_(wanted)))}

    def note_counts(self, record_ids: Sequence[int], *, board_id: int | None = None) -> dict[int, NoteCount]:
        """Open and resolved notes per take (with ``board_id``: pinned on that board, the ones ``notes`` lists), in
        one grouped read (a board shows counts, not notes)."""
        if not record_ids:
            return {}
        resolved = notes.c.resolved_at.is_not(None)
        rows = self.db.rows(sa.select(notes.c.record_id, resolved.label("resolved"), sa.func.count())
                            .where(notes.c.record_id.in_(list(record_ids)), *on_board(notes, board_id))
                            .group_by(notes.c.record_id, resolved))
        found: dict[int, dict[str, int]] = {}
        for record_id, is_resolved, count in rows:
            found.setdefault(record_id, {"open": 0, "resolved": 0})["resolved" if is_resolved else "open"] += count
        return {record_id: NoteCount(**counts) for record_id, counts in found.items()}

    def resolve(self, note_id: int, by: str, *, record_id: int | None = None) -> None:
        with self.db.write() as conn:
            conn.execute(notes.update().where(notes.c.id == note_id, notes.c.resolved_at.is_(None))
                         .values(resolved_at=self._clock(), resolved_by=by[:320], resolved_record_id=record_id))

    def reopen(self, note_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(notes.update().where(notes.c.id == note_id)
                         .values(resolved_at=None, resolved_by=None, resolved_record_id=None))

    def delete_note(self, note_id: int) -> list[str]:
        """Delete a note; returns the storage keys of its pictures (for the caller to delete)."""
        with self.db.write() as conn:
            row = conn.execute(sa.select(notes.c.thumb_key, notes.c.frame_key).where(notes.c.id == note_id)).first()
            conn.execute(notes.delete().where(notes.c.id == note_id))
        return [key for key in (row or ()) if key]

    def wait_frame(self, note_id: int, timeout: float, *, poll: float = 0.02) -> Note | None:
        """The note once its picture is made or given up, or as it is after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.note(note_id)
            if found is None or found.frame_state != FRAME_PENDING or time.monotonic() >= deadline:
                return found
            time.sleep(poll)

    def note_limiter(self, link_id: int) -> RateLimiter:
        return RateLimiter(self.db, f"notes:{link_id}", per_minute=NOTES_PER_MINUTE_PER_LINK, burst=5)

    # Frames (for ``NoteFrames``) -------------------------------------------------------------------------------

    def claim_frames(self, owner: str, *, limit: int, lease_seconds: float,
                     now: float | None = None) -> list[tuple[int, float, str]]:
        """Lease notes whose picture is due and whose take has a saved copy: ``(note id, seconds, video key)``."""
        now = self._clock() if now is None else now
        saved = sa.select(task_media.c.record_id).where(task_media.c.state == "saved",
                                                         task_media.c.video_key.is_not(None))
        with self.db.write() as conn:
            claimed = leases.claim(conn, notes, notes.c.id, where=[notes.c.frame_state == FRAME_PENDING,
                                                                   notes.c.record_id.in_(saved)],
                                   order_by=[notes.c.id], limit=limit, owner=owner, lease_seconds=lease_seconds,
                                   now=now, returning=[notes.c.id, notes.c.at_seconds, notes.c.record_id])
            keys = dict(conn.execute(sa.select(task_media.c.record_id, task_media.c.video_key).where(
                task_media.c.record_id.in_([row.record_id for row in claimed]))).all()) if claimed else {}
        return [(row.id, float(row.at_seconds), keys[row.record_id]) for row in claimed if keys.get(row.record_id)]

    def frame_made(self, note_id: int, owner: str, *, thumb_key: str, frame_key: str) -> bool:
        """Record a note's pictures, only while ``owner`` still holds it. False when it lost the note."""
        with self.db.write() as conn:
            return leases.release(conn, notes, notes.c.id, [note_id], owner, frame_state=FRAME_SAVED,
                                  thumb_key=thumb_key, frame_key=frame_key, frame_error=None) > 0

    def frame_failed(self, note_id: int, owner: str, error: str) -> None:
        """Count a failed attempt; the note is given up after ``FRAME_ATTEMPTS`` (it stays, without a picture)."""
        with self.db.write() as conn:
            attempts = conn.execute(sa.select(notes.c.frame_attempts).where(notes.c.id == note_id)).scalar() or 0
            state = FRAME_FAILED if attempts + 1 >= FRAME_ATTEMPTS else FRAME_PENDING
            leases.release(conn, notes, notes.c.id, [note_id], owner, frame_state=state,
                           frame_attempts=attempts + 1, frame_error=error[:500])

    def frames_waiting(self) -> bool:
        return self.db.scalar(sa.select(notes.c.id).where(notes.c.frame_state == FRAME_PENDING).limit(1)) is not None

    # What a link allows ----------------------------------------------------------------------------------------

    def rights(self, link_id: int) -> LinkRights:
        rows = self.db.rows(sa.select(share_links.c.allow_notes, share_links.c.allow_requests)
                            .where(share_links.c.id == link_id))
        return LinkRights(bool(rows[0][0]), bool(rows[0][1])) if rows else LinkRights(False, False)

    def set_rights(self, link_id: int, *, notes_allowed: bool, requests_allowed: bool) -> None:
        with self.db.write() as conn:
            conn.execute(share_links.update().where(share_links.c.id == link_id)
                         .values(allow_notes=notes_allowed, allow_requests=requests_allowed))

    # Approvals -------------------------------------------------------------------------------------------------

    def set_state(self, board_id: int, record_id: int, state: str | None, *, by: str,
                  created_by: str | None = None, link_id: int | None = None) -> Approval | None:
        """Set (or, with None, clear) a take's state on a board, logged with who and when. Through a link only
        "Needs changes", and only when the link allows requests. Approving a retake resolves the note it answers."""
        if state is not None and state not in STATES:
            raise ValidationError([f"Approval: choose one of {', '.join(STATES.values())}."])
        by = clean_text(by, MAX_NAME_CHARS, "Your name")
        now = self._clock()
        with self.db.write() as conn:
            if link_id is not None:
                if state != CHANGES:
                    raise LinkRefusedError("Through a link, only “Request changes” can be chosen.",
                                           hint="Ask the team to approve or reject it.")
                linked = _link_board(conn, link_id, record_id, now, requests=True)
                if linked != board_id:
                    raise LinkRefusedError("That take is not on this link's board: nothing was saved.")
            elif conn.execute(sa.select(board_items.c.record_id).where(
                    board_items.c.board_id == board_id, board_items.c.record_id == record_id)).first() is None:
                raise ReviewError("That take is not on this board any more.", hint="Reload the board.")
            where = sa.and_(approvals.c.board_id == board_id, approvals.c.record_id == record_id)
            if state is None:
                conn.execute(approvals.delete().where(where))
            else:
                values = {"state": state, "set_by": by, "created_by": created_by, "share_link_id": link_id,
                          "updated_at": now}
                conn.execute(self.db.upsert(approvals, {"board_id": board_id, "record_id": record_id, **values},
                                            keys=["board_id", "record_id"], update=values))
            event_id = conn.execute(approval_events.insert().values(
                board_id=board_id, record_id=record_id, state=state or CLEARED, set_by=by, created_by=created_by,
                share_link_id=link_id, created_at=now).returning(approval_events.c.id)).scalar_one()
            if state == APPROVED:
                answered = sa.select(tasks.c.note_id).where(tasks.c.id == record_id).scalar_subquery()
                conn.execute(notes.update().where(notes.c.id == answered, notes.c.resolved_at.is_(None))
                             .values(resolved_at=now, resolved_by=(created_by or by)[:320],
                                     resolved_record_id=record_id))
            if state is not None and self.outbox is not None:
                self.outbox.approval_changed(conn, event_id)
        return None if state is None else Approval(record_id, state, by, created_by, link_id, now)

    def approvals(self, board_id: int) -> dict[int, Approval]:
        rows = self.db.rows(sa.select(approvals).where(approvals.c.board_id == board_id))
        return {row.record_id: _approval(row._mapping) for row in rows}

    def progress(self, board_id: int) -> Progress:
        """How many of a board's takes are in each state (one grouped read)."""
        total = self.db.scalar(sa.select(sa.func.count()).select_from(board_items)
                               .join(tasks, tasks.c.id == board_items.c.record_id)
                               .where(board_items.c.board_id == board_id, tasks.c.deleted_at.is_(None))) or 0
        rows = self.db.rows(sa.select(approvals.c.state, sa.func.count())
                            .join(tasks, tasks.c.id == approvals.c.record_id)
                            .where(approvals.c.board_id == board_id, tasks.c.deleted_at.is_(None))
                            .group_by(approvals.c.state))
        return Progress(int(total), {str(state): int(n) for state, n in rows})

    def decisions(self, board_id: int, record_id: int, *, limit: int = 20) -> list[Approval]:
        """Every change of a take's state on a board, newest first (``state`` is ``cleared`` when taken back)."""
        e = approval_events
        rows = self.db.rows(sa.select(e).where(e.c.board_id == board_id, e.c.record_id == record_id)
                            .order_by(e.c.id.desc()).limit(limit))
        return [Approval(row.record_id, row.state, row.set_by, row.created_by, row.share_link_id, row.created_at)
                for row in rows]

    def approvals_for_export(self, record_ids: Sequence[int]) -> dict[int, list[str]]:
        return approval_lines(self.db, record_ids)

    # Retakes ---------------------------------------------------------------------------------------------------

    def threads(self, note_ids: Sequence[int]) -> dict[int, list[int]]:
        """The retakes made from each note, oldest first (removed ones left out)."""
        if not note_ids:
            return {}
        rows = self.db.rows(sa.select(tasks.c.note_id, tasks.c.id).where(
            tasks.c.note_id.in_(list(note_ids)), tasks.c.deleted_at.is_(None)).order_by(tasks.c.id))
        found: dict[int, list[int]] = {}
        for note_id, record_id in rows:
            found.setdefault(note_id, []).append(record_id)
        return found

    def place_retake(self, record_id: int, *, added_by: str | None = None) -> int | None:
        """Put a retake on the board its note was pinned on, right after the take it answers (a take already there
        stays where it is). Returns the board's id, or None when the note has no board (any more)."""
        now = self._clock()
        with self.db.write() as conn:
            row = conn.execute(sa.select(notes.c.board_id, notes.c.record_id).join(tasks, tasks.c.note_id == notes.c.id)
                               .where(tasks.c.id == record_id)).first()
            if row is None or row.board_id is None:
                return None
            board_id, original = row.board_id, row.record_id
            order = list(conn.execute(sa.select(board_items.c.record_id).where(board_items.c.board_id == board_id)
                                      .order_by(board_items.c.position)).scalars())
            if record_id in order:
                return int(board_id)
            at = order.index(original) + 1 if original in order else len(order)
            order.insert(at, record_id)
            conn.execute(board_items.insert().values(board_id=board_id, record_id=record_id, position=at + 1,
                                                     added_by=added_by, added_at=now))
            for position, rid in enumerate(order[at + 1:], start=at + 2):
                conn.execute(board_items.update().where(board_items.c.board_id == board_id,
                                                        board_items.c.record_id == rid).values(position=position))
            conn.execute(boards.update().where(boards.c.id == board_id).values(updated_at=now))
        return int(board_id)

    # Blind votes -----------------------------------------------------------------------------------------------

    def start_vote(self, board_id: int, record_ids: Sequence[int], *, created_by: str | None = None) -> BlindVote:
        """A blind vote on 2–4 of a board's takes."""
        chosen = list(dict.fromkeys(record_ids))
        if not MIN_VOTE_TAKES <= len(chosen) <= MAX_VOTE_TAKES:
            raise ValidationError([f"Blind vote: select {MIN_VOTE_TAKES} to {MAX_VOTE_TAKES} takes (you selected "
                                   f"{len(chosen)})."])
        now = self._clock()
        with self.db.write() as conn:
            on_board = set(conn.execute(sa.select(board_items.c.record_id).where(
                board_items.c.board_id == board_id, board_items.c.record_id.in_(chosen))).scalars())
            if on_board != set(chosen):
                raise ReviewError("Some of those takes are not on this board any more.", hint="Reload the board.")
            row = conn.execute(blind_votes.insert().values(board_id=board_id, record_ids=chosen,
                                                           created_by=created_by, created_at=now)
                               .returning(*blind_votes.c)).one()
        return _vote(row._mapping, 0)

    def votes(self, board_id: int, *, limit: int = 10) -> list[BlindVote]:
        """A board's blind votes, newest first, with their ballot counts."""
        count = sa.select(sa.func.count()).where(ballots.c.vote_id == blind_votes.c.id).scalar_subquery()
        rows = self.db.rows(sa.select(blind_votes, count.label("n")).where(blind_votes.c.board_id == board_id)
                            .order_by(blind_votes.c.id.desc()).limit(limit))
        return [_vote(row._mapping, row.n) for row in rows]

    def vote(self, vote_id: int) -> BlindVote | None:
        count = sa.select(sa.func.count()).where(ballots.c.vote_id == blind_votes.c.id).scalar_subquery()
        rows = self.db.rows(sa.select(blind_votes, count.label("n")).where(blind_votes.c.id == vote_id))
        return _vote(rows[0]._mapping, rows[0].n) if rows else None

    def cast(self, vote_id: int, voter: str, record_id: int, *, link_id: int | None = None) -> bool:
        """One ballot per voter (a member, or one browser): True when stored, False when this voter had voted.
        ``ReviewError`` after Reveal or for a take not in the vote; ``LinkRefusedError`` through a closed link."""
        now = self._clock()
        with self.db.write() as conn:
            row = conn.execute(sa.select(blind_votes).where(blind_votes.c.id == vote_id)).first()
            if row is None:
                raise ReviewError("This vote no longer exists.")
            if row.revealed_at is not None:
                raise ReviewError("This vote has been revealed: voting is closed.")
            if record_id not in _ids(row.record_ids):
                raise ReviewError("That take is not in this vote.")
            if link_id is not None and _link_board(conn, link_id, record_id, now) != row.board_id:
                raise LinkRefusedError("This vote is not on this link's board: nothing was saved.")
            added = conn.execute(self.db.insert_ignore(ballots, {
                "vote_id": vote_id, "voter": voter[:340], "record_id": record_id, "share_link_id": link_id,
                "created_at": now}, keys=["vote_id", "voter"]).returning(ballots.c.voter)).all()
        return bool(added)

    def ballot(self, vote_id: int, voter: str) -> int | None:
        """The take this voter picked, if they have voted."""
        found = self.db.scalar(sa.select(ballots.c.record_id).where(ballots.c.vote_id == vote_id,
                                                                   ballots.c.voter == voter[:340]))
        return int(found) if found is not None else None

    def reveal(self, vote_id: int, *, by: str | None = None) -> None:
        with self.db.write() as conn:
            conn.execute(blind_votes.update().where(blind_votes.c.id == vote_id, blind_votes.c.revealed_at.is_(None))
                         .values(revealed_at=self._clock(), revealed_by=by))

    def tally(self, vote_id: int) -> Tally:
        """Ballots per take; ``ReviewError`` before Reveal (nobody sees a count that could sway them)."""
        vote = self.vote(vote_id)
        if vote is None:
            raise ReviewError("This vote no longer exists.")
        if not vote.revealed:
            raise ReviewError("The tally shows after Reveal.")
        counts = dict.fromkeys(vote.record_ids, 0)
        for record_id, n in self.db.rows(sa.select(ballots.c.record_id, sa.func.count())
                                         .where(ballots.c.vote_id == vote_id).group_by(ballots.c.record_id)):
            if record_id in counts:
                counts[record_id] = int(n)
        return Tally(vote, counts)

    def wins(self) -> dict[str, list[WinRow]]:
        """Revealed votes' winners, by the preset and by the model their takes were made with (``preset`` and
        ``model``), most wins first. A tie is a win for each tied take."""
        votes = [_vote(row._mapping, 0) for row in self.db.rows(
            sa.select(blind_votes).where(blind_votes.c.revealed_at.is_not(None)))]
        if not votes:
            return {"preset": [], "model": []}
        counts: dict[tuple[int, int], int] = {}
        for vote_id, record_id, n in self.db.rows(
                sa.select(ballots.c.vote_id, ballots.c.record_id, sa.func.count())
                .where(ballots.c.vote_id.in_([v.id for v in votes])).group_by(ballots.c.vote_id, ballots.c.record_id)):
            counts[(vote_id, record_id)] = int(n)
        involved = {record_id for vote in votes for record_id in vote.record_ids}
        made = {row.id: row for row in self.db.rows(
            sa.select(tasks.c.id, tasks.c.request, presets.c.name.label("preset"))
            .outerjoin(presets, presets.c.id == tasks.c.preset_id).where(tasks.c.id.in_(list(involved))))}
        names = {"preset": _preset_name, "model": _model_name}
        table: dict[str, dict[str, list[int]]] = {kind: {} for kind in names}
        for vote in votes:
            winners = Tally(vote, {r: counts.get((vote.id, r), 0) for r in vote.record_ids}).winners
            for kind, name_of in names.items():
                for name in {name_of(made.get(r)) for r in vote.record_ids}:
                    entry = table[kind].setdefault(name, [0, 0])
                    entry[0] += 1
                    entry[1] += any(name_of(made.get(r)) == name for r in winners)
        return {kind: sorted((WinRow(name, entered, won) for name, (entered, won) in rows.items()),
                             key=lambda w: (-w.wins, -w.rate, w.name)) for kind, rows in table.items()}


def approval_lines(db: Database, record_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each take's states, as "board: state by who (when, UTC)", board by board (for exports)."""
    if not record_ids:
        return {}
    rows = db.rows(sa.select(approvals, boards.c.name.label("board"))
                   .join(boards, boards.c.id == approvals.c.board_id)
                   .where(approvals.c.record_id.in_(list(record_ids)))
                   .order_by(approvals.c.record_id, boards.c.name))
    found: dict[int, list[str]] = {}
    for row in rows:
        who = row.set_by + (" (via share link)" if row.share_link_id is not None else "")
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row.updated_at))
        found.setdefault(row.record_id, []).append(f"{row.board}: {STATES.get(row.state, row.state)} by {who} "
                                                   f"({when})")
    return found


def vote_letter(position: int) -> str:
    return LETTERS[position]


def _link_board(conn: sa.Connection, link_id: int, record_id: int, now: float, *, notes: bool = False,
                requests: bool = False) -> int:
    """The board a link opens, when it is active, its board holds the take and it allows what is asked; else
    ``LinkRefusedError`` (checked in the transaction that stores what the link holder did)."""
    row = conn.execute(sa.select(share_links).where(share_links.c.id == link_id)).first()
    if row is None or row.revoked_at is not None:
        raise LinkRefusedError("This link has been revoked: nothing was saved.")
    if row.expires_at is not None and row.expires_at <= now:
        raise LinkRefusedError("This link has expired: nothing was saved.")
    on_board = conn.execute(sa.select(board_items.c.record_id).where(board_items.c.board_id == row.board_id,
                                                                     board_items.c.record_id == record_id)).first()
    if on_board is None:
        raise LinkRefusedError("That take is not on this board any more: nothing was saved.")
    if notes and not row.allow_notes:
        raise LinkRefusedError("This link does not allow notes.", hint="Ask whoever sent it to allow notes.")
    if requests and not row.allow_requests:
        raise LinkRefusedError("This link does not allow requesting changes.",
                               hint="Ask whoever sent it to allow requests.")
    return int(row.board_id)


def _ids(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        import json

        value = json.loads(value)
    return tuple(int(v) for v in value or ())


def _preset_name(row: Any) -> str:
    return str(row.preset) if row is not None and row.preset else "No preset"


def _model_name(row: Any) -> str:
    if row is None:
        return "—"
    request = row.request
    if isinstance(request, str):
        import json

        request = json.loads(request)
    return str((request or {}).get("model") or "—")


def _note(row: Any) -> Note:
    return Note(id=row["id"], record_id=row["record_id"], board_id=row["board_id"], at=float(row["at_seconds"]),
                body=row["body"], author=row["author"], created_by=row["created_by"],
                share_link_id=row["share_link_id"], frame_state=row["frame_state"], thumb_key=row["thumb_key"],
                frame_key=row["frame_key"], resolved_at=row["resolved_at"], resolved_by=row["resolved_by"],
                resolved_record_id=row["resolved_record_id"], created_at=row["created_at"])


def _approval(row: Any) -> Approval:
    return Approval(row["record_id"], row["state"], row["set_by"], row["created_by"], row["share_link_id"],
                    row["updated_at"])


def _vote(row: Any, ballots_cast: int) -> BlindVote:
    return BlindVote(row["id"], row["board_id"], _ids(row["record_ids"]), row["created_by"], row["created_at"],
                     row["revealed_at"], row["revealed_by"], int(ballots_cast or 0))
