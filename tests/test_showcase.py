"""The showcase on both databases: the gallery query, boards, ratings and comments, share links (stored only as
hashes, revocable, expiring) and comments slowed per link."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from starvideos.copies import MediaStore
from starvideos.database import Database
from starvideos.errors import ThrottledError, ValidationError
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.schema import comments, share_links
from starvideos.showcase import BoardError, GalleryFilter, LinkClosedError, Rating, Showcase, token_hash


def finished(store: HistoryStore, count: int, **request: object) -> list[int]:
    ids = []
    prompt = request.pop("prompt", "take")
    for n in range(count):
        rid = store.record_attempt(VideoRequest(f"{prompt} {n}", **request),
                                   created_by="ann@team.test" if n % 2 else "bob@team.test")
        store.mark_created(rid, VideoTask(f"video_s{rid}", TaskStatus.COMPLETED, video_url=f"https://cdn.test/{rid}"))
        ids.append(rid)
    return ids


def test_gallery_lists_finished_takes_newest_first_in_pages(database: Database) -> None:
    """Test the gallery: only finished takes, newest first, keyset pages, filters by text, ratio, board, rating
    and creator."""
    store, showcase = HistoryStore(database), Showcase(database)
    wide = finished(store, 30, prompt="fox")
    tall = finished(store, 5, prompt="heron", ratio="9:16")
    store.record_attempt(VideoRequest("still sending"))
    store.delete(wide[0])
    first = showcase.gallery(limit=24)
    second = showcase.gallery(limit=24, before_id=first[-1].record.id)
    assert [t.record.id for t in first + second] == sorted(wide[1:] + tall, reverse=True)
    assert [t.record.id for t in showcase.gallery(GalleryFilter(ratio="9:16"))] == tall[::-1]
    assert len(showcase.gallery(GalleryFilter(text="HERON 1"))) == 1
    assert len(showcase.gallery(GalleryFilter(created_by="ann@team.test"), limit=100)) == 17
    board = showcase.board_named("Pitch")
    showcase.add(board.id, [wide[5], tall[2]])
    assert {t.record.id for t in showcase.gallery(GalleryFilter(board_id=board.id))} == {wide[5], tall[2]}
    showcase.rate(wide[7], "ann", 5)
    showcase.rate(wide[7], "bob", 3)
    showcase.rate(wide[8], "ann", 2)
    assert [t.record.id for t in showcase.gallery(GalleryFilter(min_stars=4))] == [wide[7]]
    [take] = showcase.takes([wide[7]], rater="bob")
    assert (take.rating.average, take.rating.count, take.rating.mine) == (4.0, 2, 3)


def test_boards_order_prune_best_rename_delete(database: Database) -> None:
    """Test that a board keeps its order, can be reordered and pruned, marks a best take, is renamed and deleted
    (its takes stay in the history), and that a take can sit on several boards."""
    store, showcase = HistoryStore(database), Showcase(database)
    a, b, c, d = finished(store, 4)
    board = showcase.board_named("Spring pitch", created_by="ann@team.test")
    assert showcase.board_named("spring PITCH").id == board.id  # names are one per board, any case
    assert showcase.add(board.id, [a, b, c]) == 3 and showcase.add(board.id, [b, d]) == 1
    assert [t.record.id for t in showcase.items(board.id)] == [a, b, c, d]
    showcase.move(board.id, d, -2)
    showcase.move(board.id, a, 10)
    assert [t.record.id for t in showcase.items(board.id)] == [d, b, c, a]
    showcase.set_best(board.id, c)
    showcase.remove(board.id, c)
    assert showcase.board(board.id).best_record_id is None and showcase.board(board.id).size == 3
    other = showcase.board_named("Autumn")
    showcase.add(other.id, [b])
    assert [x.name for x in showcase.boards_of(b)] == ["Autumn", "Spring pitch"]
    with pytest.raises(BoardError, match="There is already a board called “Autumn”"):
        showcase.rename(board.id, "autumn")
    showcase.rename(board.id, "Spring pitch, final")
    token, _ = showcase.share(board.id)
    showcase.delete(board.id)
    assert showcase.board(board.id) is None and store.get(b) is not None
    assert showcase.resolve(token) is None  # a deleted board's links open nothing


def test_ratings_and_plain_comments(database: Database) -> None:
    """Test one rating per rater (rating again replaces it) and plain-text comments, trimmed and limited."""
    store, showcase = HistoryStore(database), Showcase(database)
    [take] = finished(store, 1)
    showcase.rate(take, "ann", 2)
    showcase.rate(take, "ann", 5)
    showcase.rate(take, "bob", 4)
    assert showcase.ratings([take])[take].average == 4.5
    with pytest.raises(ValidationError, match=r"Rating: choose from 1 to 5 stars\."):
        showcase.rate(take, "ann", 6)
    note = showcase.comment(take, "  Ann  ", "<b>Love</b> it\x07 — slower push-in?")
    assert (note.author, note.body) == ("Ann", "<b>Love</b> it — slower push-in?")  # stored as typed, as text
    with pytest.raises(ValidationError, match=r"Comment: is 1,001 characters long; keep it to 1,000\."):
        showcase.comment(take, "Ann", "x" * 1001)
    with pytest.raises(ValidationError, match=r"Your name: write something first\."):
        showcase.comment(take, " ", "nice")
    assert [c.body for c in showcase.comments(take)] == ["<b>Love</b> it — slower push-in?"]
    out = io.StringIO()
    store.write_csv(out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["rating"], row["ratings"], row["comments"]) == ("4.5", "2", "Ann: <b>Love</b> it — slower push-in?")


def test_a_boards_comments_are_those_posted_on_it_and_counted_alike(database: Database) -> None:
    """Test that a comment through a share link is on the link's board (whatever board is asked), one from a
    board's card on that board and one from a task's page on none; that with a board only its comments are listed
    and counted, and without one every comment."""
    store, showcase = HistoryStore(database), Showcase(database)
    [take] = finished(store, 1)
    first, second = showcase.board_named("Client A"), showcase.board_named("Client B")
    showcase.add(first.id, [take])
    showcase.add(second.id, [take])
    _, link_a = showcase.share(first.id)
    theirs = showcase.comment(take, "Dana", "From client A", share_link_id=link_a.id, board_id=second.id)
    internal = showcase.comment(take, "ann@team.test", "Client X hates this", created_by="ann@team.test")
    ours = showcase.comment(take, "bo@team.test", "On B", created_by="bo@team.test", board_id=second.id)
    assert [(c.id, c.board_id) for c in (theirs, internal, ours)] == [
        (theirs.id, first.id), (internal.id, None), (ours.id, second.id)]
    assert [c.id for c in showcase.comments(take)] == [ours.id, internal.id, theirs.id]
    assert [c.body for c in showcase.comments(take, board_id=second.id)] == ["On B"]
    assert [c.body for c in showcase.comments(take, board_id=first.id)] == ["From client A"]
    assert showcase.comment_counts([take]) == {take: 3}
    assert showcase.comment_counts([take], board_id=second.id) == {take: 1}
    assert showcase.comment_counts([take], board_id=999) == {} and showcase.comments(take, board_id=999) == []
    showcase.delete(second.id)  # the comment stays, on no board
    assert [(c.body, c.board_id) for c in showcase.comments(take)] == [
        ("On B", None), ("Client X hates this", None), ("From client A", first.id)]


def test_share_links_are_stored_as_hashes_and_can_end(database: Database) -> None:
    """Test that a share token is unguessable and never stored (only its hash), opens its board only, and stops
    working when revoked or expired."""
    store, showcase = HistoryStore(database), Showcase(database)
    board = showcase.board_named("Client review")
    showcase.add(board.id, finished(store, 2))
    token, link = showcase.share(board.id, created_by="ann@team.test")
    short, _brief = showcase.share(board.id, expires_in=0.2)
    assert len(token) >= 43 and token != short
    with database.read() as conn:
        stored = [r.token_hash for r in conn.execute(sa.select(share_links))]
    assert token_hash(token) in stored and token not in str(stored)
    assert showcase.resolve(token).board_id == board.id and showcase.resolve(token).state() == "active"
    assert showcase.resolve(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert showcase.resolve("") is None and showcase.resolve("x" * 500) is None
    time.sleep(0.3)
    assert showcase.resolve(short).state() == "expired"
    showcase.revoke(link.id)
    assert showcase.resolve(token).state() == "revoked"
    assert [x.state() for x in showcase.links(board.id)] == ["expired", "revoked"]


def test_a_burst_of_comments_through_one_link_is_slowed(database: Database) -> None:
    """Test that 200 comments fired at once through one share link are mostly refused with a wait, not stored;
    another link is not affected."""
    store, showcase = HistoryStore(database), Showcase(database)
    board = showcase.board_named("Spam target")
    [take] = finished(store, 1)
    showcase.add(board.id, [take])
    _, link = showcase.share(board.id)
    _, other = showcase.share(board.id)
    limiter = showcase.comment_limiter(link.id)
    refused = 0
    for n in range(200):
        try:
            showcase.comment(take, "bot", f"spam {n}", share_link_id=link.id, limiter=limiter)
        except ThrottledError as exc:
            refused += 1
            assert exc.wait_seconds > 0
    with database.read() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(comments)).scalar()
    assert stored <= 6 and refused >= 194
    showcase.comment(take, "Ann", "a real comment", share_link_id=other.id,
                     limiter=showcase.comment_limiter(other.id))


def test_a_link_is_checked_on_every_rating_and_comment(database: Database) -> None:
    """Test that a rating or comment through a share link is stored only while that link is active and its board
    holds the take: revoked, expired, deleted with its board, or a take from another board store nothing."""
    store, showcase = HistoryStore(database), Showcase(database)
    on_board, elsewhere = finished(store, 2)
    board = showcase.board_named("Client review")
    showcase.add(board.id, [on_board])
    _, link = showcase.share(board.id)
    _, brief = showcase.share(board.id, expires_in=0.2)
    showcase.rate(on_board, "visitor", 4, share_link_id=link.id)
    showcase.comment(on_board, "Dana", "lovely", share_link_id=link.id)
    with pytest.raises(LinkClosedError, match=r"That take is not on this board any more: nothing was saved\."):
        showcase.comment(elsewhere, "Dana", "sneaky", share_link_id=link.id)
    with pytest.raises(LinkClosedError, match="not on this board"):
        showcase.rate(elsewhere, "visitor", 1, share_link_id=link.id)
    time.sleep(0.3)
    with pytest.raises(LinkClosedError, match=r"This link has expired: nothing was saved\."):
        showcase.comment(on_board, "Dana", "late", share_link_id=brief.id)
    showcase.revoke(link.id)
    with pytest.raises(LinkClosedError, match=r"This link has been revoked: nothing was saved\.") as caught:
        showcase.comment(on_board, "Dana", "after the revoke", share_link_id=link.id,
                         limiter=showcase.comment_limiter(link.id))
    assert caught.value.hint == "Ask whoever sent it for a new one."
    with pytest.raises(LinkClosedError, match="revoked"):
        showcase.rate(on_board, "visitor", 1, share_link_id=link.id)
    assert [c.body for c in showcase.comments(on_board)] == ["lovely"] and showcase.comments(elsewhere) == []
    assert showcase.ratings([on_board, elsewhere]) == {on_board: Rating(4.0, 1)}
    _, last = showcase.share(board.id)
    showcase.delete(board.id)
    with pytest.raises(LinkClosedError, match="revoked"):
        showcase.rate(on_board, "visitor", 2, share_link_id=last.id)
    showcase.rate(on_board, "ann@team.test", 5)  # the team, in the app, needs no link


def test_a_share_link_gives_at_most_its_hourly_share_of_ratings(database: Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the per-link cap on ratings: past RATINGS_PER_HOUR_PER_LINK in an hour a rating through the link is
    refused with a wait and stores nothing (its rater's earlier rating stays); the team in the app is not capped;
    an hour later the link may rate again."""
    from starvideos import showcase as showcase_module

    monkeypatch.setattr(showcase_module, "RATINGS_PER_HOUR_PER_LINK", 3)
    clock = [1_000_000.0]
    store, showcase = HistoryStore(database), Showcase(database, clock=lambda: clock[0])
    [take] = finished(store, 1)
    board = showcase.board_named("Client review")
    showcase.add(board.id, [take])
    _, link = showcase.share(board.id)
    for n in range(3):
        showcase.rate(take, f"visitor:{n}", 5, share_link_id=link.id, limiter=showcase.rating_limiter(link.id))
    with pytest.raises(ThrottledError, match=r"^This link has given a lot of ratings in the last hour: nothing "
                                             r"was saved\.$") as caught:
        showcase.rate(take, "visitor:0", 1, share_link_id=link.id, limiter=showcase.rating_limiter(link.id))
    assert caught.value.hint == "Wait 1200 seconds and try again."
    assert showcase.ratings([take], rater="visitor:0") == {take: Rating(5.0, 3, 5)}
    showcase.rate(take, "ann@team.test", 1)
    clock[0] += 3600
    showcase.rate(take, "visitor:3", 1, share_link_id=link.id, limiter=showcase.rating_limiter(link.id))
    assert showcase.ratings([take]) == {take: Rating(3.4, 5)}


@contextmanager
def refusing_inserts(database: Database, table: str) -> Iterator[None]:
    """The database refuses every row added to ``table`` (a trigger), as a full disk or a failing server would."""
    postgres = database.engine.dialect.name == "postgresql"
    install = ([f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'no room left'; END $$",
                f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION refuse_{table}()"] if postgres else
               [f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'no room left'); END"])
    remove = ([f"DROP TRIGGER refuse_{table} ON {table}", f"DROP FUNCTION refuse_{table}()"] if postgres else
              [f"DROP TRIGGER refuse_{table}"])
    with database.write() as conn:
        for statement in install:
            conn.execute(sa.text(statement))
    try:
        yield
    finally:
        with database.write() as conn:
            for statement in remove:
                conn.execute(sa.text(statement))


def test_a_write_that_fails_spends_none_of_a_links_allowance(database: Database,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a comment or a rating through a share link that the database fails to store takes nothing from
    the link's allowance (its token is taken in the transaction that stores it): the link may still post its whole
    burst of comments and its hourly share of ratings afterwards, and no more."""
    from starvideos import showcase as showcase_module

    monkeypatch.setattr(showcase_module, "RATINGS_PER_HOUR_PER_LINK", 3)
    clock = [1_000_000.0]  # the limiters' clock stands still: nothing refills during the test
    store, showcase = HistoryStore(database), Showcase(database, clock=lambda: clock[0])
    [take] = finished(store, 1)
    board = showcase.board_named("Client review")
    showcase.add(board.id, [take])
    _, link = showcase.share(board.id)
    with refusing_inserts(database, "comments"), pytest.raises(sa.exc.DBAPIError, match="no room left"):
        showcase.comment(take, "Dana", "lost", share_link_id=link.id, limiter=showcase.comment_limiter(link.id))
    with refusing_inserts(database, "ratings"), pytest.raises(sa.exc.DBAPIError, match="no room left"):
        showcase.rate(take, "visitor:0", 4, share_link_id=link.id, limiter=showcase.rating_limiter(link.id))
    for n in range(5):  # the comment limiter's burst
        showcase.comment(take, "Dana", f"note {n}", share_link_id=link.id, limiter=showcase.comment_limiter(link.id))
    with pytest.raises(ThrottledError, match="coming too fast"):
        showcase.comment(take, "Dana", "one too many", share_link_id=link.id,
                         limiter=showcase.comment_limiter(link.id))
    for n in range(3):
        showcase.rate(take, f"visitor:{n}", 5, share_link_id=link.id, limiter=showcase.rating_limiter(link.id))
    with pytest.raises(ThrottledError, match="a lot of ratings"):
        showcase.rate(take, "visitor:3", 5, share_link_id=link.id, limiter=showcase.rating_limiter(link.id))
    assert sorted(c.body for c in showcase.comments(take)) == [f"note {n}" for n in range(5)]
    assert showcase.ratings([take]) == {take: Rating(5.0, 3)}


def test_board_posters_and_the_gallery_watchers_reads(database: Database) -> None:
    """Test the Boards list's strips (each board's first saved posters, in board order, at most four) and the
    reads the Gallery's watcher makes (which takes have posters, the newest ids)."""
    store, showcase = HistoryStore(database), Showcase(database)
    ids = finished(store, 6)
    media = MediaStore(database)
    media.claim("test", limit=10, lease_seconds=60)
    for record_id in ids[1:]:  # the first take's copy is still being made
        media.finish(record_id, "test", state="saved", video_key=f"v/{record_id}.mp4", poster_key=f"p/{record_id}.jpg")
    assert showcase.posters_ready(ids) == set(ids[1:]) and showcase.posters_ready([]) == set()
    big, small, empty = showcase.board_named("Big"), showcase.board_named("Small"), showcase.board_named("Empty")
    showcase.add(big.id, [ids[5], *ids[:5]])
    showcase.add(small.id, [ids[0], ids[2]])
    posters = showcase.board_posters([big.id, small.id, empty.id])
    assert posters == {big.id: [f"p/{i}.jpg" for i in (ids[5], ids[1], ids[2], ids[3])],
                       small.id: [f"p/{ids[2]}.jpg"], empty.id: []}
    store.delete(ids[1])
    assert showcase.board_posters([big.id])[big.id] == [f"p/{i}.jpg" for i in (ids[5], ids[2], ids[3], ids[4])]
    assert showcase.gallery_ids(limit=2) == [ids[5], ids[4]]
    assert showcase.gallery_ids(limit=2, before_id=ids[4]) == [ids[3], ids[2]]
