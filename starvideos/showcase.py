"""Showing takes to stakeholders: the gallery of finished takes, boards (named, ordered collections with a best
take), star ratings and plain-text comments, and share links that open one board without the app's password.

Share links are ``secrets.token_urlsafe`` tokens; only their SHA-256 is stored, looked up by hash and compared in
constant time. Comments through a link are rate-limited per link (a bucket in the database), so a burst from one
link is slowed, not stored ten thousand times.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .copies import MediaRecord, media_record
from .database import Database
from .errors import StarVideosError, ThrottledError, ValidationError
from .history import HistoryRecord, record_from_row
from .limits import RateLimiter
from .models import TaskStatus
from .schema import board_items, boards, comments, ratings, share_links, task_media, tasks

MAX_COMMENT_CHARS = 1000
MAX_NAME_CHARS = 80
MAX_BOARD_NAME_CHARS = 120
COMMENTS_PER_MINUTE_PER_LINK = 6
RATINGS_PER_HOUR_PER_LINK = 120
"""Every browser holding a link may rate, but a link is not a ballot box: this many ratings an hour through it."""


class BoardError(StarVideosError):
    """A board operation that cannot be done as asked (a name taken, a board gone)."""

    title = "That did not work."


class LinkClosedError(StarVideosError):
    """A share link that no longer opens its board (revoked, expired, its board deleted), or a take that is not on
    the link's board: nothing is stored through it."""

    title = "This link no longer works."

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="Ask whoever sent it for a new one.")


@dataclass(frozen=True)
class Rating:
    """A take's stars: the average, how many gave them, and (when asked for) one rater's own."""

    average: float | None = None
    count: int = 0
    mine: int | None = None


@dataclass(frozen=True)
class Take:
    """A finished take as the gallery and boards show it: the task, its stored copy (if any) and its rating."""

    record: HistoryRecord
    copy: MediaRecord | None
    rating: Rating = field(default_factory=Rating)

    @property
    def poster_key(self) -> str | None:
        return self.copy.poster_key if self.copy is not None and self.copy.saved else None


@dataclass(frozen=True)
class Board:
    id: int
    name: str
    best_record_id: int | None
    created_by: str | None
    created_at: float
    updated_at: float
    size: int = 0
    """How many takes it holds."""


@dataclass(frozen=True)
class Comment:
    id: int
    record_id: int
    author: str
    body: str
    """Plain text: shown as text, never as HTML or Markdown."""
    created_at: float
    created_by: str | None
    share_link_id: int | None
    board_id: int | None
    """The board whose card it was posted from (a member's on the board page, or through that board's link); None
    from a task's page. A link holder sees only their board's."""


@dataclass(frozen=True)
class ShareLink:
    id: int
    board_id: int
    created_by: str | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def state(self, now: float | None = None) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or time.time()):
            return "expired"
        return "active"


@dataclass(frozen=True)
class GalleryFilter:
    text: str = ""
    ratio: str | None = None
    board_id: int | None = None
    min_stars: int | None = None
    created_by: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_text(text: str, limit: int, what: str) -> str:
    """Plain text for a comment or a name: control characters out, surrounding space trimmed, length limited."""
    cleaned = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    if not cleaned:
        raise ValidationError([f"{what}: write something first."])
    if len(cleaned) > limit:
        raise ValidationError([f"{what}: is {len(cleaned):,} characters long; keep it to {limit:,}."])
    return cleaned


class Showcase:
    """Boards, ratings, comments, share links and the gallery query, on the shared database. Thread-safe."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock  # for the per-link limiters (tests replace it)

    # Gallery ---------------------------------------------------------------------------------------------------

    def gallery(self, filters: GalleryFilter | None = None, *, limit: int = 24,
                before_id: int | None = None) -> list[Take]:
        """Finished takes, newest first, in keyset pages (``before_id`` = the last id of the previous page)."""
        rows = self.db.rows(sa.select(tasks).where(*self._gallery_conditions(filters, before_id))
                            .order_by(tasks.c.id.desc()).limit(limit))
        return self._takes([record_from_row(row._mapping) for row in rows])

    def gallery_ids(self, filters: GalleryFilter | None = None, *, limit: int = 24,
                    before_id: int | None = None) -> list[int]:
        """The ids ``gallery`` would return, and nothing else (to find a page's start, or whether newer takes
        exist)."""
        return [row.id for row in self.db.rows(
            sa.select(tasks.c.id).where(*self._gallery_conditions(filters, before_id))
            .order_by(tasks.c.id.desc()).limit(limit))]

    def posters_ready(self, record_ids: Sequence[int]) -> set[int]:
        """Which of these takes have a saved copy with a poster (one indexed read)."""
        if not record_ids:
            return set()
        return {row.record_id for row in self.db.rows(
            sa.select(task_media.c.record_id).where(task_media.c.record_id.in_(list(record_ids)),
                                                    task_media.c.state == "saved",
                                                    task_media.c.poster_key.is_not(None)))}

    def _gallery_conditions(self, filters: GalleryFilter | None, before_id: int | None) -> list[Any]:
        filters = filters or GalleryFilter()
        conditions = [tasks.c.status == TaskStatus.COMPLETED, tasks.c.deleted_at.is_(None)]
        if before_id is not None:
            conditions.append(tasks.c.id < before_id)
        if filters.text.strip():
            needle = self.db.like_escape(filters.text.strip())
            conditions.append(tasks.c.prompt.ilike(needle, escape="\\"))
        if filters.ratio:
            conditions.append(tasks.c.ratio == filters.ratio)
        if filters.created_by:
            conditions.append(tasks.c.created_by == filters.created_by)
        if filters.board_id is not None:
            conditions.append(tasks.c.id.in_(sa.select(board_items.c.record_id)
                                             .where(board_items.c.board_id == filters.board_id)))
        if filters.min_stars:
            rated = (sa.select(ratings.c.record_id).group_by(ratings.c.record_id)
                     .having(sa.func.avg(ratings.c.stars) >= filters.min_stars))
            conditions.append(tasks.c.id.in_(rated))
        return conditions

    def takes(self, record_ids: Sequence[int], *, rater: str | None = None) -> list[Take]:
        """The given takes in the given order (missing or removed ones left out)."""
        if not record_ids:
            return []
        rows = self.db.rows(sa.select(tasks).where(tasks.c.id.in_(list(record_ids)), tasks.c.deleted_at.is_(None)))
        by_id = {row.id: record_from_row(row._mapping) for row in rows}
        return self._takes([by_id[i] for i in record_ids if i in by_id], rater=rater)

    def _takes(self, records: list[HistoryRecord], *, rater: str | None = None) -> list[Take]:
        ids = [r.id for r in records]
        copies = {}
        if ids:
            for row in self.db.rows(sa.select(task_media).where(task_media.c.record_id.in_(ids))):
                copies[row.record_id] = media_record(row._mapping)
        stars = self.ratings(ids, rater=rater)
        return [Take(r, copies.get(r.id), stars.get(r.id, Rating())) for r in records]

    # Ratings and comments --------------------------------------------------------------------------------------

    def rate(self, record_id: int, rater: str, stars: int, *, share_link_id: int | None = None,
             limiter: RateLimiter | None = None) -> None:
        """One rating per rater per take (rating again replaces it). Through a share link, ``LinkClosedError``
        unless that link still opens a board holding this take, and ``ThrottledError`` once the link has given
        ``limiter``'s share of ratings (nothing is stored then)."""
        if not 1 <= int(stars) <= 5:
            raise ValidationError(["Rating: choose from 1 to 5 stars."])
        now = time.time()
        with self.db.write() as conn:
            if share_link_id is not None:
                _check_link(conn, share_link_id, record_id, now)
            grant = limiter.take_in(conn) if limiter is not None else None
            if grant is not None and grant.granted == 0:
                raise ThrottledError("This link has given a lot of ratings in the last hour: nothing was saved.",
                                     wait_seconds=grant.wait)
            conn.execute(self.db.upsert(ratings, {"record_id": record_id, "rater": rater[:340], "stars": int(stars),
                                                  "updated_at": now}, keys=["record_id", "rater"],
                                        update={"stars": int(stars), "updated_at": now}))

    def ratings(self, record_ids: Sequence[int], *, rater: str | None = None) -> dict[int, Rating]:
        if not record_ids:
            return {}
        rows = self.db.rows(sa.select(ratings.c.record_id, sa.func.avg(ratings.c.stars), sa.func.count())
                            .where(ratings.c.record_id.in_(list(record_ids))).group_by(ratings.c.record_id))
        mine: dict[int, int] = {}
        if rater:
            mine = {row.record_id: row.stars for row in self.db.rows(
                sa.select(ratings.c.record_id, ratings.c.stars).where(ratings.c.record_id.in_(list(record_ids)),
                                                                      ratings.c.rater == rater))}
        found = {row[0]: Rating(round(float(row[1]), 2), int(row[2]), mine.get(row[0])) for row in rows}
        return found

    def comment(self, record_id: int, author: str, body: str, *, created_by: str | None = None,
                board_id: int | None = None, share_link_id: int | None = None,
                limiter: RateLimiter | None = None) -> Comment:
        """Store a plain-text comment, on ``board_id`` when posted from that board's card (through a share link: the
        link's board, whatever is asked); ``ValidationError`` for an empty or too long one, ``ThrottledError`` when
        the share link it came through is posting too fast, ``LinkClosedError`` when that link no longer opens a
        board holding this take. Both are settled in the transaction that stores it, as for a rating: a tab opened
        before a revoke cannot post after it, and a comment that is not stored spends none of the link's
        allowance."""
        author = clean_text(author, MAX_NAME_CHARS, "Your name")
        body = clean_text(body, MAX_COMMENT_CHARS, "Comment")
        now = time.time()
        with self.db.write() as conn:
            if share_link_id is not None:
                board_id = _check_link(conn, share_link_id, record_id, now)
            grant = limiter.take_in(conn) if limiter is not None else None
            if grant is not None and grant.granted == 0:
                raise ThrottledError("Comments through this link are coming too fast.", wait_seconds=grant.wait)
            row = conn.execute(comments.insert().values(
                record_id=record_id, author=author, body=body, created_by=created_by, share_link_id=share_link_id,
                board_id=board_id, created_at=now).returning(*comments.c)).one()
        return Comment(**row._mapping)

    def comments(self, record_id: int, *, board_id: int | None = None, limit: int = 50) -> list[Comment]:
        """A take's comments, newest first: all of them, or with ``board_id`` only those posted on that board (what
        a share link's holder sees: not another board's clients', not the team's from a task's page)."""
        rows = self.db.rows(sa.select(comments).where(comments.c.record_id == record_id,
                                                      *on_board(comments, board_id))
                            .order_by(comments.c.id.desc()).limit(limit))
        return [Comment(**row._mapping) for row in rows]

    def comment_counts(self, record_ids: Sequence[int], *, board_id: int | None = None) -> dict[int, int]:
        """How many comments each take has (with ``board_id``: on that board), in one grouped read (a board's cards
        say it without their forms)."""
        if not record_ids:
            return {}
        rows = self.db.rows(sa.select(comments.c.record_id, sa.func.count())
                            .where(comments.c.record_id.in_(list(record_ids)), *on_board(comments, board_id))
                            .group_by(comments.c.record_id))
        return {int(record_id): int(count) for record_id, count in rows}

    # Boards ----------------------------------------------------------------------------------------------------

    def boards(self) -> list[Board]:
        size = sa.select(sa.func.count()).where(board_items.c.board_id == boards.c.id).scalar_subquery()
        rows = self.db.rows(sa.select(boards, size.label("size")).order_by(boards.c.updated_at.desc()))
        return [_board(row._mapping) for row in rows]

    def board_posters(self, board_ids: Sequence[int], *, per_board: int = 4) -> dict[int, list[str]]:
        """The posters of each board's first takes (in board order), for the Boards list: one read for all."""
        if not board_ids:
            return {}
        rows = self.db.rows(
            sa.select(board_items.c.board_id, task_media.c.poster_key)
            .join(tasks, tasks.c.id == board_items.c.record_id)
            .join(task_media, task_media.c.record_id == board_items.c.record_id)
            .where(board_items.c.board_id.in_(list(board_ids)), tasks.c.deleted_at.is_(None),
                   task_media.c.state == "saved", task_media.c.poster_key.is_not(None))
            .order_by(board_items.c.board_id, board_items.c.position))
        found: dict[int, list[str]] = {board_id: [] for board_id in board_ids}
        for row in rows:
            if len(found[row.board_id]) < per_board:
                found[row.board_id].append(row.poster_key)
        return found

    def board(self, board_id: int) -> Board | None:
        size = sa.select(sa.func.count()).where(board_items.c.board_id == boards.c.id).scalar_subquery()
        rows = self.db.rows(sa.select(boards, size.label("size")).where(boards.c.id == board_id))
        return _board(rows[0]._mapping) if rows else None

    def board_named(self, name: str, *, created_by: str | None = None) -> Board:
        """The board with this name (any case), created when there is none."""
        name = clean_text(name, MAX_BOARD_NAME_CHARS, "Board name")
        now = time.time()
        with self.db.write() as conn:
            conn.execute(self.db.insert_ignore(boards, {"name": name, "name_key": name.casefold(),
                                                        "created_by": created_by, "created_at": now,
                                                        "updated_at": now}, keys=["name_key"]))
            board_id = conn.execute(sa.select(boards.c.id).where(boards.c.name_key == name.casefold())).scalar_one()
        board = self.board(board_id)
        assert board is not None
        return board

    def add(self, board_id: int, record_ids: Sequence[int], *, added_by: str | None = None) -> int:
        """Append takes to a board's end (a take already there stays where it is); returns how many were added."""
        now = time.time()
        added = 0
        with self.db.write() as conn:
            last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(board_items.c.position), 0))
                                .where(board_items.c.board_id == board_id)).scalar_one()
            for record_id in dict.fromkeys(record_ids):
                inserted = conn.execute(self.db.insert_ignore(board_items, {
                    "board_id": board_id, "record_id": record_id, "position": last + 1 + added, "added_by": added_by,
                    "added_at": now}, keys=["board_id", "record_id"]).returning(board_items.c.record_id)).all()
                added += len(inserted)
            conn.execute(boards.update().where(boards.c.id == board_id).values(updated_at=now))
        return added

    def items(self, board_id: int, *, rater: str | None = None) -> list[Take]:
        ids = [row.record_id for row in self.db.rows(
            sa.select(board_items.c.record_id).where(board_items.c.board_id == board_id)
            .order_by(board_items.c.position))]
        return self.takes(ids, rater=rater)

    def remove(self, board_id: int, record_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(board_items.delete().where(board_items.c.board_id == board_id,
                                                    board_items.c.record_id == record_id))
            conn.execute(boards.update().where(boards.c.id == board_id, boards.c.best_record_id == record_id)
                         .values(best_record_id=None))

    def move(self, board_id: int, record_id: int, offset: int) -> None:
        """Move a take ``offset`` places (negative: earlier), keeping the rest in order."""
        with self.db.write() as conn:
            order = list(conn.execute(sa.select(board_items.c.record_id).where(board_items.c.board_id == board_id)
                                      .order_by(board_items.c.position)).scalars())
            if record_id not in order:
                return
            index = order.index(record_id)
            order.insert(max(0, min(len(order) - 1, index + offset)), order.pop(index))
            for position, rid in enumerate(order, start=1):
                conn.execute(board_items.update().where(board_items.c.board_id == board_id,
                                                        board_items.c.record_id == rid).values(position=position))

    def set_best(self, board_id: int, record_id: int | None) -> None:
        with self.db.write() as conn:
            conn.execute(boards.update().where(boards.c.id == board_id)
                         .values(best_record_id=record_id, updated_at=time.time()))

    def rename(self, board_id: int, name: str) -> None:
        name = clean_text(name, MAX_BOARD_NAME_CHARS, "Board name")
        try:
            with self.db.write() as conn:
                conn.execute(boards.update().where(boards.c.id == board_id)
                             .values(name=name, name_key=name.casefold(), updated_at=time.time()))
        except sa.exc.IntegrityError:
            taken = self.db.scalar(sa.select(boards.c.name).where(boards.c.name_key == name.casefold())) or name
            raise BoardError(f"There is already a board called “{taken}”.", hint="Pick another name.") from None

    def delete(self, board_id: int) -> None:
        """Delete a board: its takes stay in the history; its items and share links go with it."""
        with self.db.write() as conn:
            conn.execute(share_links.delete().where(share_links.c.board_id == board_id))
            conn.execute(board_items.delete().where(board_items.c.board_id == board_id))
            conn.execute(boards.delete().where(boards.c.id == board_id))

    def boards_of(self, record_id: int) -> list[Board]:
        ids = [row.board_id for row in self.db.rows(sa.select(board_items.c.board_id)
                                                    .where(board_items.c.record_id == record_id))]
        return [b for b in self.boards() if b.id in ids]

    # Share links -----------------------------------------------------------------------------------------------

    def share(self, board_id: int, *, created_by: str | None = None,
              expires_in: float | None = None) -> tuple[str, ShareLink]:
        """A new link to one board: returns the token (shown once, never stored) and the link's record."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.db.write() as conn:
            row = conn.execute(share_links.insert().values(
                board_id=board_id, token_hash=token_hash(token), created_by=created_by, created_at=now,
                expires_at=now + expires_in if expires_in else None).returning(*share_links.c)).one()
        return token, _link(row._mapping)

    def links(self, board_id: int) -> list[ShareLink]:
        rows = self.db.rows(sa.select(share_links).where(share_links.c.board_id == board_id)
                            .order_by(share_links.c.id.desc()))
        return [_link(row._mapping) for row in rows]

    def revoke(self, link_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(share_links.update().where(share_links.c.id == link_id, share_links.c.revoked_at.is_(None))
                         .values(revoked_at=time.time()))

    def link(self, link_id: int) -> ShareLink | None:
        rows = self.db.rows(sa.select(share_links).where(share_links.c.id == link_id))
        return _link(rows[0]._mapping) if rows else None

    def resolve(self, token: str) -> ShareLink | None:
        """The link a token opens, whatever its state (check ``state()``); None for a token never issued."""
        if not token or len(token) > 200:
            return None
        wanted = token_hash(token)
        rows = self.db.rows(sa.select(share_links).where(share_links.c.token_hash == wanted))
        if not rows or not hmac.compare_digest(rows[0].token_hash, wanted):
            return None
        return _link(rows[0]._mapping)

    def rating_limiter(self, link_id: int) -> RateLimiter:
        return RateLimiter(self.db, f"ratings:{link_id}", per_minute=RATINGS_PER_HOUR_PER_LINK / 60,
                           burst=RATINGS_PER_HOUR_PER_LINK, clock=self._clock)

    def comment_limiter(self, link_id: int) -> RateLimiter:
        return RateLimiter(self.db, f"comments:{link_id}", per_minute=COMMENTS_PER_MINUTE_PER_LINK, burst=5,
                           clock=self._clock)


def on_board(table: sa.Table, board_id: int | None) -> list[sa.ColumnElement[bool]]:
    """The condition that keeps a table's rows (comments, notes) to one board's: none when ``board_id`` is None
    (every board's, and those from no board: what members see)."""
    return [] if board_id is None else [table.c.board_id == board_id]


def _check_link(conn: sa.Connection, link_id: int, record_id: int, now: float) -> int:
    """The link's board; ``LinkClosedError`` unless the link is active and its board holds the take."""
    row = conn.execute(sa.select(share_links).where(share_links.c.id == link_id)).first()
    state = _link(row._mapping).state(now) if row is not None else "revoked"
    if row is None or state != "active":
        raise LinkClosedError(f"This link {'has expired' if state == 'expired' else 'has been revoked'}: nothing "
                              "was saved.")
    held = conn.execute(sa.select(board_items.c.record_id).where(board_items.c.board_id == row.board_id,
                                                                 board_items.c.record_id == record_id)).first()
    if held is None:
        raise LinkClosedError("That take is not on this board any more: nothing was saved.")
    return int(row.board_id)


def _board(row: Any) -> Board:
    return Board(**{k: row[k] for k in ("id", "name", "best_record_id", "created_by", "created_at", "updated_at",
                                         "size")})


def _link(row: Any) -> ShareLink:
    return ShareLink(**{k: row[k] for k in ("id", "board_id", "created_by", "created_at", "expires_at",
                                             "revoked_at")})
