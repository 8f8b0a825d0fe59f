"""B20 (pinning a note until its frame's picture shows, against posting a comment) and B21 (a board with 500 notes
against the same board with none), measured in Chromium against a real `streamlit run` with the sandbox.

B21 times the board page in the browser, from the address until the script is idle, all fifty cards are drawn
with their notes' counts and every poster has loaded: that is what a person opening a board waits for, and it holds
everything the notes could slow (the page's reads, the cards it sends, the browser drawing them). An AppTest run
would time only the script, and say nothing about what reaches the browser.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.showcase import _board, _gallery_server
from bench.support import wait_idle
from starvideos.database import Database
from starvideos.schema import notes, task_media, tasks

BOARD_TAKES = 50
NOTES_PER_TAKE = 10


PATIENCE_MS = 300_000  # on a host busy with other work, a fifty-card board can take a minute to draw


def _open(page: object, url: str) -> None:
    page.goto(url, timeout=PATIENCE_MS)  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",  # type: ignore[attr-defined]
                           state="attached", timeout=PATIENCE_MS)


# B20 ---------------------------------------------------------------------------------------------------------------

def _take(root: Path) -> tuple[int, str]:
    """The take on the bench board (the one whose stored copy is a real clip): its record id and task id."""
    db = Database(f"sqlite:///{root / 'h.sqlite3'}")
    record_id, task_id = db.rows(sa.select(tasks.c.id, tasks.c.task_id)
                                 .join(task_media, task_media.c.record_id == tasks.c.id)
                                 .where(task_media.c.video_key != "videos/bench/video.mp4")
                                 .order_by(tasks.c.id).limit(1))[0]
    db.dispose()
    return int(record_id), str(task_id)


def _play_to(page: object, seconds: float) -> None:
    """Move the moment player's playhead, as dragging its scrubber does; back once the video shows that moment."""
    page.locator(".sv-video").evaluate(  # type: ignore[attr-defined]
        "(v, at) => new Promise((done) => { const go = () => { v.onseeked = () => done(); v.currentTime = at; };"
        " v.readyState >= 1 ? go() : v.addEventListener('loadedmetadata', go, { once: true }); })", seconds)


_RUNS = """() => { const app = document.querySelector('[data-testid=stApp]'); window.svRan = false;
  new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.svRan = true; })
    .observe(app, { attributes: true, attributeFilter: ['data-test-script-state'] }); }"""


def _settled(page: object, act: Callable[[], None]) -> None:
    """Do ``act`` (which causes a run) and return once that run is over: right after a key press the page still
    says it is idle, and a run still going would be counted in the next measurement."""
    page.evaluate(_RUNS)  # type: ignore[attr-defined]
    act()
    page.wait_for_function("() => window.svRan && document.querySelector('[data-testid=stApp]')"  # type: ignore[attr-defined]
                           ".getAttribute('data-test-script-state') === 'notRunning'", polling=5, timeout=PATIENCE_MS)


def _post_comment(page: object, record_id: int, body: str) -> float:
    """Seconds from pressing "Post comment" (its text typed) until the comment is listed."""
    box = page.locator(f".st-key-task_comments_{record_id}")  # type: ignore[attr-defined]
    box.get_by_label("Your name").fill("Carla")
    box.get_by_label("Comment").fill(body)
    started = time.perf_counter()
    box.get_by_role("button", name="Post comment").click()
    page.wait_for_function(  # type: ignore[attr-defined]
        "([key, body]) => (document.querySelector(key)?.innerText || '').includes(body)",
        arg=[f".st-key-task_comments_{record_id}", body], polling=5, timeout=PATIENCE_MS)
    return time.perf_counter() - started


def _pin_note(page: object, record_id: int, body: str, at: float) -> float:
    """Seconds from pressing "Note at …" (the note typed, the playhead at ``at``) until the note is listed with
    the picture of its frame loaded."""
    page.get_by_label("Note", exact=True).fill(body)  # type: ignore[attr-defined]
    _settled(page, lambda: page.get_by_label("Note", exact=True).press("Enter"))  # type: ignore[attr-defined]
    _play_to(page, at)
    pin = page.locator(".sv-action[data-action=pin]")  # type: ignore[attr-defined]
    started = time.perf_counter()
    pin.click()
    page.wait_for_function(  # type: ignore[attr-defined]
        "([list, body]) => [...document.querySelectorAll(list + ' [class*=st-key-task_noterow_]')].some((row) =>"
        " row.innerText.includes(body) && [...row.querySelectorAll('img')].some((i) => i.complete &&"
        " i.naturalWidth > 0))", arg=[f".st-key-task_notes_{record_id}", body], polling=5, timeout=PATIENCE_MS)
    return time.perf_counter() - started


def b20_note_pin(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: "Note at …" on a take's player until the note is listed with its frame's picture (made by the
    background NoteFrames worker from the stored copy); baseline: "Post comment" on the same take's page until the
    comment is listed. Interleaved on one page."""
    reps = 3 if quick else 9
    from bench.support import chromium

    with tempfile.TemporaryDirectory() as root, _gallery_server(Path(root), 24) as url, chromium() as browser:
        _board(Path(root), 1)
        record_id, task_id = _take(Path(root))
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()  # type: ignore[attr-defined]
        _open(page, f"{url}/history?task={task_id}")
        page.get_by_text("Notes at a moment").click()
        wait_idle(page)
        page.locator(f".st-key-task_note_name_{record_id}").get_by_label("Your name").fill("Carla")
        page.locator(f".st-key-task_note_name_{record_id}").get_by_label("Your name").press("Enter")
        wait_idle(page)
        page.locator(f".st-key-task_comments_{record_id}").get_by_text("Comments").first.click()
        _post_comment(page, record_id, "A first comment, unmeasured")  # both paths warm, as on a used server
        _pin_note(page, record_id, "A first note, unmeasured", 0.5)
        candidate, baseline = [], []
        for n in range(reps):
            baseline.append(_post_comment(page, record_id, f"Comment {n}: the light is too cold"))
            candidate.append(_pin_note(page, record_id, f"Note {n}: the fox turns here", 1.0 + 0.3 * n))
    return candidate, baseline


# B21 ---------------------------------------------------------------------------------------------------------------

def _board_of(root: Path, takes: int, *, with_notes: bool, name: str = "Client review") -> int:
    """A board of ``takes`` finished takes with stored copies and posters; with ``with_notes``, ten notes on
    each (pictures saved, a few resolved), as a board a client has been through looks. Returns its id."""
    from starvideos.showcase import Showcase

    db = Database(f"sqlite:///{root / 'h.sqlite3'}")
    ids = [row[0] for row in db.rows(sa.select(tasks.c.id).join(task_media, task_media.c.record_id == tasks.c.id)
                                     .where(task_media.c.state == "saved").order_by(tasks.c.id)
                                     .limit(takes))]
    showcase = Showcase(db)
    board = showcase.board_named(name)
    showcase.add(board.id, ids)
    if with_notes:
        now = time.time()
        rows = [{"record_id": rid, "board_id": board.id, "at_seconds": 0.4 * n + 0.1,
                 "body": f"Note {n} on take {rid}: the fox should turn left here", "author": "Carla",
                 "frame_state": "saved", "thumb_key": f"posters/p{n}.jpg", "frame_key": f"posters/p{n}.jpg",
                 "resolved_at": now if n % 4 == 0 else None, "resolved_by": "Team" if n % 4 == 0 else None,
                 "created_at": now - 600 + n} for rid in ids for n in range(NOTES_PER_TAKE)]
        with db.write() as conn:
            conn.execute(notes.insert(), rows)
    db.dispose()
    return board.id


def _board_ready(page: object, url: str, takes: int, counts: str) -> float:
    """Seconds from the board's address until the script is idle, every card is drawn (saying ``counts``: its
    notes' count) and every poster has loaded."""
    started = time.perf_counter()
    _open(page, url)
    page.wait_for_function(  # type: ignore[attr-defined]
        "([takes, counts]) => { const cards = document.querySelectorAll('[class*=st-key-card_board_]');"
        " const imgs = [...document.querySelectorAll('[class*=st-key-card_board_] [data-testid=stImage] img')];"
        " const labels = [...cards].filter((c) => c.innerText.includes(counts));"
        " return cards.length === takes && labels.length === takes && imgs.length >= takes"
        " && imgs.every((i) => i.complete && i.naturalWidth > 0); }", arg=[takes, counts], polling=10,
        timeout=PATIENCE_MS)
    return time.perf_counter() - started


def b21_board_with_notes(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: a board of 50 takes with 500 notes, opened in Chromium until drawn (see the module's docstring);
    baseline: the same board with no notes, on a second server with the same history. Interleaved. A quick run
    uses a board of 12 takes."""
    reps, takes = (3, 12) if quick else (9, BOARD_TAKES)
    from bench.support import chromium

    with tempfile.TemporaryDirectory() as bare_dir, tempfile.TemporaryDirectory() as noted_dir:
        bare_root, noted_root = Path(bare_dir), Path(noted_dir)
        with _gallery_server(bare_root, takes) as bare, _gallery_server(noted_root, takes) as noted, \
                chromium() as browser:
            bare_board = _board_of(bare_root, takes, with_notes=False)
            noted_board = _board_of(noted_root, takes, with_notes=True)
            bare_url, noted_url = f"{bare}/boards?board={bare_board}", f"{noted}/boards?board={noted_board}"
            return _interleaved(browser, reps, (noted_url, takes, "7 open, 3 resolved"), (bare_url, takes, ""))


# B24 ---------------------------------------------------------------------------------------------------------------

SMALL_BOARD = 5


def b24_board_draw(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: a board of 50 takes opened in Chromium until drawn (as B21, no notes); baseline: a board of 5
    takes of the same history on the same server. Interleaved. Each card's rating/comment form and In/Out inputs
    wait until the card asks for them, so the page's cost grows with its cards' pictures and buttons, not with fifty
    forms: the target is the 50-take board within 3× the 5-take one (10× the cards). A quick run uses 20 takes."""
    reps, takes = (3, 20) if quick else (7, BOARD_TAKES)
    from bench.support import chromium

    with tempfile.TemporaryDirectory() as root_dir:
        root = Path(root_dir)
        with _gallery_server(root, takes) as url, chromium() as browser:
            big = _board_of(root, takes, with_notes=False, name="Client meeting")
            small = _board_of(root, SMALL_BOARD, with_notes=False, name="Short list")
            big_url, small_url = f"{url}/boards?board={big}", f"{url}/boards?board={small}"
            return _interleaved(browser, reps, (big_url, takes, ""), (small_url, SMALL_BOARD, ""))


def _interleaved(browser: object, reps: int, candidate: tuple[str, int, str],
                 baseline: tuple[str, int, str]) -> tuple[list[float], list[float]]:
    """Each board (url, cards, notes label) opened once first, so the app's code is cached as after a first visit;
    then ``reps`` rounds, baseline then candidate, timed by ``_board_ready``."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()  # type: ignore[attr-defined]
    _board_ready(page, *baseline)
    _board_ready(page, *candidate)
    timed: tuple[list[float], list[float]] = ([], [])
    for _ in range(reps):
        timed[1].append(_board_ready(page, *baseline))
        timed[0].append(_board_ready(page, *candidate))
    return timed
