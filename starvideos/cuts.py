"""Cuts: a board (in its order, each take from its in to its out point) or a chain of continued takes, made into one
video. This module plans a cut and keeps it: the ``cuts`` table (one row per version, claimed by the builder with a
lease like every background job) and ``board_trims`` (in and out points per take per board). ``cut_builder``
builds what is queued here; ``cut_render`` draws it.

Everything that can be refused is refused here, before anything is queued: a take without a usable stored copy (named,
and left out only when the person agrees), a cut longer than ``STARVIDEOS_MAX_CUT_SECONDS``, settings out of range.
A cut of a board or chain that changed is a new version (v1, v2 …) that says what changed; older versions stay.
Pressing "Make cut" again with nothing changed finds the version already made or being made.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import copies, leases
from .copies import MediaRecord, media_record
from .database import Database
from .errors import CutError, UnusableTakesError, ValidationError
from .history import HistoryRecord, record_from_row
from .models import UNSETTLED, TaskStatus
from .schema import board_items, board_trims, boards, cuts, task_media, tasks
from .storage import Storage

if TYPE_CHECKING:
    from .notifications import Outbox

SIZES: dict[str, tuple[int, int]] = {"1280x720": (1280, 720), "1920x1080": (1920, 1080), "720x1280": (720, 1280),
                                     "1080x1920": (1080, 1920)}
AUTO = "auto"
MAX_CROSSFADE = 1.0
MIN_TAKE_SECONDS = 0.5
CARD_SECONDS = 2.0
MAX_CHAIN = 100
MAX_CARD_CHARS = 120
PENDING, BUILDING, DONE, FAILED, CANCELLED = "pending", "building", "done", "failed", "cancelled"
ACTIVE = (PENDING, BUILDING)
MAX_ATTEMPTS = 3
"""Claims of one cut before it is given up (a cut that stops its server each time must not stop it forever)."""


@dataclass(frozen=True)
class CutOptions:
    """What the person chose: the size (``auto``: the one most takes have), crossfade seconds, and the cards."""

    size: str = AUTO
    crossfade: float = 0.0
    title_card: bool = False
    end_card: str | None = None
    """The end card's words; None for no end card."""

    def problems(self) -> list[str]:
        found = []
        if self.size != AUTO and self.size not in SIZES:
            found.append(f"Size: choose {', '.join(s.replace('x', '×') for s in SIZES)} or the takes' own "
                         f"(got {self.size!r}).")
        if not 0 <= self.crossfade <= MAX_CROSSFADE:
            found.append(f"Crossfade: choose from 0 to {MAX_CROSSFADE:g} seconds (got {self.crossfade:g}).")
        if self.end_card is not None and not self.end_card.strip():
            found.append("End card: write its words, or turn the end card off.")
        if self.end_card is not None and len(self.end_card) > MAX_CARD_CHARS:
            found.append(f"End card: keep it to {MAX_CARD_CHARS} characters (it has {len(self.end_card)}).")
        return found

    @property
    def dimensions(self) -> tuple[int, int] | None:
        return SIZES.get(self.size)


@dataclass(frozen=True)
class Trim:
    """A take's in and out points on a board, in seconds from its start; None is the take's own start or end."""

    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class PlannedTake:
    """One take as a cut uses it."""

    record_id: int
    name: str
    """How messages name it: its place and the start of its prompt (“Take 2 “A fox…””)."""
    video_key: str
    start: float
    end: float
    width: int
    height: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


Problem = tuple[int, str, str]
"""A take that cannot be used: ``(record id, its name, why)``."""


@dataclass(frozen=True)
class Plan:
    """What a cut will be made of: the usable takes in order, the ones that cannot be used (and why), the options."""

    title: str
    takes: tuple[PlannedTake, ...]
    options: CutOptions = field(default_factory=CutOptions)
    problems: tuple[Problem, ...] = ()
    board_id: int | None = None
    chain_id: int | None = None
    """The chain's first take (a chain's versions are counted from it)."""

    @property
    def segments(self) -> int:
        return len(self.takes) + int(self.options.title_card) + int(self.options.end_card is not None)

    @property
    def seconds(self) -> float:
        """How long the cut will be: the trimmed takes and cards, less the crossfades."""
        cards = CARD_SECONDS * (int(self.options.title_card) + int(self.options.end_card is not None))
        overlap = self.options.crossfade * max(0, self.segments - 1)
        return max(0.0, sum(t.seconds for t in self.takes) + cards - overlap)

    def fingerprint(self) -> str:
        """The same takes, points, order and options give the same fingerprint (the video would be the same)."""
        key = {"takes": [(t.record_id, t.video_key, round(t.start, 3), round(t.end, 3)) for t in self.takes],
               "options": asdict(self.options), "title": self.title}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "takes": [asdict(t) for t in self.takes], "options": asdict(self.options),
                "skipped": [list(p) for p in self.problems]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, board_id: int | None = None,
                  chain_id: int | None = None) -> Plan:
        return cls(str(data.get("title", "")), tuple(PlannedTake(**t) for t in data.get("takes", [])),
                   CutOptions(**data.get("options", {})),
                   tuple((int(p[0]), str(p[1]), str(p[2])) for p in data.get("skipped", [])), board_id, chain_id)


@dataclass(frozen=True)
class Cut:
    """One version of a cut and where it stands."""

    id: int
    board_id: int | None
    chain_id: int | None
    version: int
    title: str
    plan: Plan
    changes: list[str]
    """What changed since the previous version, in words (empty for v1)."""
    seconds: float
    """Its planned length."""
    state: str
    """``pending``, ``building``, ``done``, ``failed`` or ``cancelled``."""
    progress: float
    error: str | None
    unreadable: list[int]
    video_key: str | None
    poster_key: str | None
    preview_key: str | None
    size: int | None
    info: dict[str, Any] | None
    attempts: int
    created_by: str | None
    created_at: float
    updated_at: float
    finished_at: float | None

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def done(self) -> bool:
        return self.state == DONE and self.video_key is not None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def skipped(self) -> tuple[Problem, ...]:
        return self.plan.problems

    def describe(self) -> str:
        """``v2 · 45.5 s · 1280×720``."""
        info = self.info or {}
        seconds = info.get("duration") or self.seconds
        size = f" · {info['width']}×{info['height']}" if info.get("width") else ""
        return f"{self.label} · {seconds:.1f} s{size}"


def _cut(row: Any) -> Cut:
    board_id, chain_id = row["board_id"], row["chain_id"]
    plan = Plan.from_dict(_json(row["plan"]) or {}, board_id=board_id, chain_id=chain_id)
    return Cut(id=row["id"], board_id=board_id, chain_id=chain_id, version=row["version"], title=row["title"],
               plan=plan, changes=list(_json(row["changes"]) or []), seconds=float(row["seconds"]),
               state=row["state"], progress=float(row["progress"] or 0), error=row["error"],
               unreadable=[int(i) for i in _json(row["unreadable"]) or []], video_key=row["video_key"],
               poster_key=row["poster_key"], preview_key=row["preview_key"], size=row["size"],
               info=_json(row["info"]), attempts=row["attempts"], created_by=row["created_by"],
               created_at=row["created_at"], updated_at=row["updated_at"], finished_at=row["finished_at"])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def short(text: str, limit: int = 40) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class CutStore:
    """Plans, versions, trims and the builder's claims, on the shared database. Thread-safe."""

    def __init__(self, db: Database, storage: Storage, *, outbox: Outbox | None = None, max_seconds: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.storage = storage
        self.outbox = outbox
        """Where a finished or failed cut is announced (with ``STARVIDEOS_NOTIFY_URL``)."""
        self.max_seconds = max_seconds
        self._clock = clock

    # In and out points -----------------------------------------------------------------------------------------

    def trims(self, board_id: int) -> dict[int, Trim]:
        rows = self.db.rows(sa.select(board_trims).where(board_trims.c.board_id == board_id))
        return {row.record_id: Trim(row.in_seconds, row.out_seconds) for row in rows}

    def set_trim(self, board_id: int, record_id: int, trim: Trim, *, duration: float | None = None,
                 updated_by: str | None = None) -> Trim:
        """Keep a take's in and out points on a board (``Trim()`` clears them); ``ValidationError`` naming the
        point and the fix when they leave less than half a second, or fall outside the take."""
        problems = trim_problems(trim, duration)
        if problems:
            raise ValidationError(problems)
        now = self._clock()
        values = {"in_seconds": trim.start, "out_seconds": trim.end, "updated_by": updated_by, "updated_at": now}
        with self.db.write() as conn:
            on_board = conn.execute(sa.select(board_items.c.record_id).where(
                board_items.c.board_id == board_id, board_items.c.record_id == record_id)).first()
            if on_board is None:
                raise CutError("That take is no longer on this board.", hint="Reload the board.")
            conn.execute(self.db.upsert(board_trims, {"board_id": board_id, "record_id": record_id, **values},
                                        keys=["board_id", "record_id"], update=values))
        return trim

    # Plans -----------------------------------------------------------------------------------------------------

    def plan_board(self, board_id: int, options: CutOptions | None = None) -> Plan:
        """The cut of a board as it is now: its takes in order, with their in and out points."""
        options = options or CutOptions()
        board = self.db.rows(sa.select(boards.c.name).where(boards.c.id == board_id))
        if not board:
            raise CutError("This board no longer exists.", hint="Pick another board.")
        rows = self.db.rows(sa.select(tasks).join(board_items, board_items.c.record_id == tasks.c.id)
                            .where(board_items.c.board_id == board_id, tasks.c.deleted_at.is_(None))
                            .order_by(board_items.c.position))
        records = [record_from_row(row._mapping) for row in rows]
        trims = self.trims(board_id)
        flagged = self._flagged(cuts.c.board_id == board_id)
        takes, problems = self._takes(records, trims, flagged, "Take")
        return Plan(board[0].name, takes, options, problems, board_id=board_id)

    def plan_chain(self, record_id: int, options: CutOptions | None = None) -> Plan:
        """The cut of the chain ``record_id`` is part of: the takes it continues, it, and what continues it."""
        options = options or CutOptions()
        chain = self.chain(record_id)
        if not chain:
            raise CutError("This take is no longer in the history.", hint="Pick another take.")
        flagged = self._flagged(cuts.c.chain_id == chain[0].id)
        takes, problems = self._takes(chain, {}, flagged, "Shot")
        return Plan(short(chain[0].prompt, 60) or f"Chain of take {chain[0].id}", takes, options, problems,
                    chain_id=chain[0].id)

    def chain(self, record_id: int) -> list[HistoryRecord]:
        """The chain through a take: the takes it continues (first first), it, then what continues it (when several
        takes continue one, the newest finished one)."""
        rows = self.db.rows(sa.select(tasks).where(tasks.c.id == record_id, tasks.c.deleted_at.is_(None)))
        if not rows:
            return []
        chain = [record_from_row(rows[0]._mapping)]
        seen = {record_id}
        while chain[0].parent_id is not None and len(chain) < MAX_CHAIN:
            parent = self.db.rows(sa.select(tasks).where(tasks.c.id == chain[0].parent_id,
                                                         tasks.c.deleted_at.is_(None)))
            if not parent or parent[0].id in seen:
                break
            seen.add(parent[0].id)
            chain.insert(0, record_from_row(parent[0]._mapping))
        while len(chain) < MAX_CHAIN:
            child = self.db.rows(sa.select(tasks).where(tasks.c.parent_id == chain[-1].id,
                                                        tasks.c.deleted_at.is_(None), tasks.c.id.not_in(seen))
                                 .order_by((tasks.c.status == TaskStatus.COMPLETED).desc(), tasks.c.id.desc()).limit(1))
            if not child:
                break
            seen.add(child[0].id)
            chain.append(record_from_row(child[0]._mapping))
        return chain

    def _takes(self, records: list[HistoryRecord], trims: dict[int, Trim], flagged: set[int],
               word: str) -> tuple[tuple[PlannedTake, ...], tuple[Problem, ...]]:
        stored = self._copies([r.id for r in records])
        takes: list[PlannedTake] = []
        problems: list[Problem] = []
        for place, record in enumerate(records, start=1):
            name = f"{word} {place} “{short(record.prompt)}”"
            copy = stored.get(record.id)
            why = self._unusable(record, copy, flagged)
            if why is not None:
                problems.append((record.id, name, why))
                continue
            assert copy is not None and copy.video_key is not None and copy.info is not None
            duration = float(copy.info["duration"])
            trim = trims.get(record.id, Trim())
            start = min(max(0.0, trim.start or 0.0), duration)
            end = min(duration, trim.end if trim.end is not None else duration)
            takes.append(PlannedTake(record.id, name, copy.video_key, round(start, 3), round(end, 3),
                                     int(copy.info["width"]), int(copy.info["height"])))
        return tuple(takes), tuple(problems)

    def _unusable(self, record: HistoryRecord, copy: MediaRecord | None, flagged: set[int]) -> str | None:
        """Why a take cannot be cut, or None."""
        if record.status != TaskStatus.COMPLETED:
            return "it is still being made" if record.status in UNSETTLED else (
                f"it did not finish ({record.status.replace('_', ' ')})")
        if copy is None or copy.state in (copies.PENDING, copies.SAVING):
            return "its copy is still being saved"
        if copy.state == copies.FAILED or not copy.saved:
            return f"its copy could not be saved ({copy.error or 'unknown reason'})"
        if not copy.info or not copy.info.get("duration") or not copy.info.get("width"):
            return "its stored copy cannot be read"
        if record.id in flagged:
            return "its stored copy could not be read when the last cut was made"
        if not self.storage.exists(str(copy.video_key)):
            return "its stored copy is missing from storage"
        return None

    def _copies(self, record_ids: list[int]) -> dict[int, MediaRecord]:
        if not record_ids:
            return {}
        rows = self.db.rows(sa.select(task_media).where(task_media.c.record_id.in_(record_ids)))
        return {row.record_id: media_record(row._mapping) for row in rows}

    def _flagged(self, subject: sa.ColumnElement[bool]) -> set[int]:
        """Takes the latest version could not read (or left out for that): the next plan asks to skip them."""
        rows = self.db.rows(sa.select(cuts.c.unreadable, cuts.c.plan).where(subject)
                            .order_by(cuts.c.version.desc()).limit(1))
        if not rows:
            return set()
        flagged = {int(i) for i in _json(rows[0].unreadable) or []}
        for skipped in (_json(rows[0].plan) or {}).get("skipped", []):
            if "could not be read" in str(skipped[2]):
                flagged.add(int(skipped[0]))
        return flagged

    # Requests ----------------------------------------------------------------------------------------------------

    def request(self, plan: Plan, *, skip: Collection[int] = (), created_by: str | None = None) -> tuple[Cut, bool]:
        """Queue the cut ``plan`` describes, leaving out the unusable takes listed in ``skip`` (the person agreed).
        Returns the cut and True, or the identical version already made or being made and False. Everything that
        can be refused is refused here, before any work: ``ValidationError`` (options, length),
        ``UnusableTakesError`` (takes not agreed to be left out), ``CutError`` (nothing left to cut)."""
        problems = plan.options.problems()
        if problems:
            raise ValidationError(problems)
        unagreed = [p for p in plan.problems if p[0] not in set(skip)]
        if unagreed:
            raise UnusableTakesError(unagreed)
        if not plan.takes:
            raise CutError("Nothing to cut: no take here has a stored copy that can be used.",
                           hint="Add finished takes, or wait until their copies are saved.")
        self._check_length(plan)
        try:
            return self._insert(plan, created_by)
        except sa.exc.IntegrityError:  # another request took this version number first: look again
            return self._insert(plan, created_by)

    def _check_length(self, plan: Plan) -> None:
        problems = []
        for take in plan.takes:
            if take.seconds < MIN_TAKE_SECONDS:
                problems.append(f"{take.name}: its in and out points leave {take.seconds:.1f} s; keep at least "
                                f"{MIN_TAKE_SECONDS:g} s.")
        fade = plan.options.crossfade
        if fade and plan.segments > 1:
            least = min([t.seconds for t in plan.takes] + ([CARD_SECONDS] if plan.segments > len(plan.takes)
                                                           else []))
            if least < 2 * fade + 0.1:
                problems.append(f"Crossfade: {fade:g} s is too long for the shortest part ({least:.1f} s); use "
                                f"at most {max(0.0, (least - 0.1) / 2):.1f} s, or trim less.")
        if plan.seconds > self.max_seconds:
            problems.append(f"Length: the cut would be {plan.seconds:.0f} s long; the limit is "
                            f"{self.max_seconds:.0f} s (STARVIDEOS_MAX_CUT_SECONDS). Trim takes or take some off.")
        if problems:
            raise ValidationError(problems)

    def _insert(self, plan: Plan, created_by: str | None) -> tuple[Cut, bool]:
        subject = _subject(plan.board_id, plan.chain_id)
        fingerprint = plan.fingerprint()
        now = self._clock()
        with self.db.write() as conn:
            latest = conn.execute(sa.select(cuts).where(subject).order_by(cuts.c.version.desc()).limit(1)).first()
            if latest is not None and latest.fingerprint == fingerprint and latest.state in (*ACTIVE, DONE):
                return _cut(latest._mapping), False
            previous = Plan.from_dict(_json(latest.plan)) if latest is not None else None
            row = conn.execute(cuts.insert().values(
                board_id=plan.board_id, chain_id=plan.chain_id, version=(latest.version if latest else 0) + 1,
                title=plan.title[:200], plan=plan.as_dict(), fingerprint=fingerprint,
                changes=changes(previous, plan) if previous else [], seconds=round(plan.seconds, 3), state=PENDING,
                progress=0.0, attempts=0, created_by=created_by, created_at=now, updated_at=now)
                .returning(*cuts.c)).one()
        return _cut(row._mapping), True

    def cancel(self, cut_id: int) -> bool:
        """Stop a cut that is waiting or being made; the builder gives up at its next step and keeps nothing.
        False when it had already ended."""
        now = self._clock()
        with self.db.write() as conn:
            result = conn.execute(cuts.update().where(cuts.c.id == cut_id, cuts.c.state.in_(ACTIVE)).values(
                state=CANCELLED, lease_owner=None, lease_until=None, updated_at=now, finished_at=now))
        return bool(result.rowcount)

    def retry(self, cut_id: int) -> bool:
        """Queue a failed or cancelled version again, as it was planned."""
        with self.db.write() as conn:
            result = conn.execute(cuts.update().where(cuts.c.id == cut_id, cuts.c.state.in_((FAILED, CANCELLED)))
                                  .values(state=PENDING, progress=0.0, error=None, attempts=0, finished_at=None,
                                          updated_at=self._clock()))
        return bool(result.rowcount)

    # Reads -------------------------------------------------------------------------------------------------------

    def get(self, cut_id: int) -> Cut | None:
        rows = self.db.rows(sa.select(cuts).where(cuts.c.id == cut_id))
        return _cut(rows[0]._mapping) if rows else None

    def versions(self, *, board_id: int | None = None, chain_id: int | None = None, limit: int = 50) -> list[Cut]:
        """A board's or chain's cuts, newest version first."""
        rows = self.db.rows(sa.select(cuts).where(_subject(board_id, chain_id))
                            .order_by(cuts.c.version.desc()).limit(limit))
        return [_cut(row._mapping) for row in rows]

    def done(self, cut_ids: Sequence[int]) -> dict[int, Cut]:
        if not cut_ids:
            return {}
        rows = self.db.rows(sa.select(cuts).where(cuts.c.id.in_(list(cut_ids)), cuts.c.state == DONE))
        return {row.id: _cut(row._mapping) for row in rows}

    # The builder's side ------------------------------------------------------------------------------------------

    def claim(self, owner: str, *, lease_seconds: float) -> Cut | None:
        """Lease the oldest waiting cut (or one whose builder stopped: its lease ran out) to ``owner``."""
        now = self._clock()
        with self.db.write() as conn:
            rows = leases.claim(conn, cuts, cuts.c.id, where=[cuts.c.state.in_(ACTIVE)],
                                order_by=[cuts.c.created_at, cuts.c.id], limit=1, owner=owner,
                                lease_seconds=lease_seconds, now=now,
                                values={"state": BUILDING, "attempts": cuts.c.attempts + 1, "progress": 0.0,
                                        "updated_at": now}, returning=list(cuts.c))
        return _cut(rows[0]._mapping) if rows else None

    def progress(self, cut_id: int, owner: str, share: float, *, lease_seconds: float) -> bool:
        """Record how far a cut is (and keep its lease); False when it was cancelled or the lease was lost."""
        now = self._clock()
        with self.db.write() as conn:
            result = conn.execute(cuts.update().where(leases.owned(cuts, cuts.c.id, cut_id, owner),
                                                      cuts.c.state == BUILDING)
                                  .values(progress=round(min(1.0, max(0.0, share)), 4), lease_until=now + lease_seconds,
                                          updated_at=now))
        return result.rowcount == 1

    def finish(self, cut_id: int, owner: str, state: str, **values: Any) -> bool:
        """End a cut (``done`` or ``failed``) only while ``owner`` holds it, announcing it in the same transaction;
        False when it was cancelled or taken over meanwhile (then nothing is recorded)."""
        now = self._clock()
        with self.db.write() as conn:
            result = conn.execute(cuts.update().where(leases.owned(cuts, cuts.c.id, cut_id, owner),
                                                      cuts.c.state == BUILDING)
                                  .values(state=state, lease_owner=None, lease_until=None, updated_at=now,
                                          finished_at=now, **values))
            if result.rowcount == 1 and self.outbox is not None:
                self.outbox.cut_settled(conn, cut_id)
        return result.rowcount == 1

    def give_back(self, cut_id: int, owner: str) -> None:
        """A shutdown stopped the cut: it waits again for this or another replica, and the claim is not counted."""
        with self.db.write() as conn:
            leases.release(conn, cuts, cuts.c.id, [cut_id], owner, state=PENDING, progress=0.0,
                           attempts=sa.case((cuts.c.attempts > 0, cuts.c.attempts - 1), else_=0),
                           updated_at=self._clock())

    def waiting(self) -> int:
        """Cuts waiting or being made (for ``/metrics``)."""
        return int(self.db.scalar(sa.select(sa.func.count()).select_from(cuts).where(cuts.c.state.in_(ACTIVE))))


def _subject(board_id: int | None, chain_id: int | None) -> sa.ColumnElement[bool]:
    if board_id is not None:
        return cuts.c.board_id == board_id
    if chain_id is not None:
        return cuts.c.chain_id == chain_id
    raise CutError("A cut is made of a board or a chain of takes.")


def trim_problems(trim: Trim, duration: float | None) -> list[str]:
    """What is wrong with a take's in and out points, each naming the point and the fix."""
    problems = []
    start, end = trim.start, trim.end
    if start is not None and start < 0:
        problems.append(f"In: {start:g} s is before the take starts; use 0 or more.")
    if end is not None and end <= 0:
        problems.append(f"Out: {end:g} s is not in the take; use a time after its start.")
    if duration is not None:
        if start is not None and start >= duration:
            problems.append(f"In: {start:g} s is past the take's end ({duration:.1f} s).")
        if end is not None and end > duration + 0.05:
            problems.append(f"Out: {end:g} s is past the take's end ({duration:.1f} s); use at most "
                            f"{duration:.1f} s.")
    first = start or 0.0
    last = end if end is not None else duration
    if last is not None and not problems and last - first < MIN_TAKE_SECONDS:
        problems.append(f"Out: the take would play {max(0.0, last - first):.1f} s; set Out at least "
                        f"{MIN_TAKE_SECONDS:g} s after In ({first:.1f} s).")
    return problems


def changes(previous: Plan, current: Plan) -> list[str]:
    """What changed from one version to the next, in words."""
    found: list[str] = []
    before = {t.record_id: t for t in previous.takes}
    after = {t.record_id: t for t in current.takes}
    for take in current.takes:
        if take.record_id not in before:
            found.append(f"Added {take.name}")
    for take in previous.takes:
        if take.record_id not in after:
            found.append(f"Removed {_bare(take.name)}")
    kept_before = [i for i in before if i in after]
    kept_after = [i for i in after if i in before]
    if kept_before != kept_after:
        found.append("New order")
    for take in current.takes:
        old = before.get(take.record_id)
        if old is not None and (round(old.start, 2), round(old.end, 2)) != (round(take.start, 2), round(take.end, 2)):
            found.append(f"Trimmed {_bare(take.name)}: {take.start:.1f}–{take.end:.1f} s "
                         f"(was {old.start:.1f}–{old.end:.1f} s)")
        elif old is not None and old.video_key != take.video_key:
            found.append(f"New copy of {_bare(take.name)}")
    a, b = previous.options, current.options
    if a.crossfade != b.crossfade:
        found.append(f"Crossfades {b.crossfade:g} s (were {a.crossfade:g} s)" if a.crossfade and b.crossfade else
                     f"Crossfades of {b.crossfade:g} s" if b.crossfade else "No crossfades")
    if a.size != b.size:
        found.append(f"Size {_size(b.size)} (was {_size(a.size)})")
    if a.title_card != b.title_card:
        found.append("Title card" if b.title_card else "No title card")
    elif b.title_card and previous.title != current.title:
        found.append(f"Title “{short(current.title)}”")
    if a.end_card != b.end_card:
        found.append(f"End card “{short(b.end_card)}”" if b.end_card is not None else "No end card")
    return found


def _bare(name: str) -> str:
    """A take's name without its place (which changes when takes move): the quoted prompt."""
    return name.split(" ", 2)[-1] if name.split(" ", 2)[1:2] and name.split(" ", 2)[1].isdigit() else name


def _size(size: str) -> str:
    return "the takes' own" if size == AUTO else size.replace("x", "×")

