"""B11 (Gallery at 10,000 takes), B12 (what the Gallery's first page costs the browser) and B13 (Present's Next),
measured in Chromium against a real `streamlit run`."""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from PIL import Image, ImageDraw

from bench.seed import seed_tasks
from bench.support import ROOT, chromium, sandbox_env, server, wait_health, wait_idle
from starvideos.database import Database

POSTERS = 24
_MEDIA_SQL = """
INSERT INTO task_media (record_id, state, source_url, video_key, poster_key, size, attempts, due_at, updated_at)
SELECT id, 'saved', video_url, 'videos/bench/video.mp4', 'posters/p' || (id % :posters) || '.jpg', 1000, 0, 0, 0
FROM tasks WHERE status = 'completed'
"""


def _library(root: Path, takes: int) -> dict[str, str]:
    """A history with ``takes`` finished takes (and some others), each with a stored poster; returns the env."""
    media = root / "media"
    (media / "posters").mkdir(parents=True)
    for n in range(POSTERS):
        image = Image.new("RGB", (480, 270), (40 + n * 8, 90, 200 - n * 6))
        ImageDraw.Draw(image).ellipse((180, 80, 300, 200), fill=(240, 240, 250))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, optimize=True, progressive=True)
        (media / "posters" / f"p{n}.jpg").write_bytes(out.getvalue())
    url = f"sqlite:///{root / 'h.sqlite3'}"
    seed_tasks(url, takes * 5 // 3)  # three in five are finished
    db = Database(url)
    with db.write() as conn:
        conn.execute(sa.text(_MEDIA_SQL), {"posters": POSTERS})
    db.dispose()
    return {**sandbox_env(root), "STARVIDEOS_STORAGE_URL": str(media)}


@contextmanager
def _gallery_server(root: Path, takes: int) -> Iterator[str]:
    env = _library(root, takes)
    with server(ROOT / "app.py", env) as (url, proc):
        wait_health(url, proc)
        yield url


def _posters_loaded(page: object, url: str) -> float:
    started = time.perf_counter()
    page.goto(f"{url}/gallery")  # type: ignore[attr-defined]
    page.wait_for_function("() => { const imgs = [...document.querySelectorAll('[data-testid=stImage] img')];"  # type: ignore[attr-defined]
                           " return imgs.length >= 24 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
                           timeout=60_000)
    return time.perf_counter() - started


def b11_gallery_at_scale(quick: bool) -> tuple[list[float], list[float]]:
    reps = 3 if quick else 7
    big = 2_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as big_dir, \
            _gallery_server(Path(small_dir), 24) as small, _gallery_server(Path(big_dir), big) as large, \
            chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        page = context.new_page()
        _posters_loaded(page, small)  # the app's own code is in the browser's cache from here on, as for a user
        _posters_loaded(page, large)
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_posters_loaded(page, small))
            candidate.append(_posters_loaded(page, large))
        context.close()
    return candidate, baseline


def b12_gallery_bytes(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: MB the browser fetched for the Gallery's first page (10,000 takes) once it knows the app (its
    code cached, as for any user after a first visit); baseline: MB of a first-ever visit, for context."""
    reps = 1 if quick else 3
    with tempfile.TemporaryDirectory() as root, _gallery_server(Path(root), 2_000 if quick else 10_000) as url, \
            chromium() as browser:
        fetched, first = [], []
        for _ in range(reps):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
            page = context.new_page()
            cold = _bytes_for(page, f"{url}/boards")  # a first visit to another page: the app's code arrives
            warm = _bytes_for(page, f"{url}/gallery")
            first.append(cold / 2**20)
            fetched.append(warm / 2**20)
            context.close()
    return fetched, first


def _bytes_for(page: object, url: str) -> int:
    cdp = page.context.new_cdp_session(page)  # type: ignore[attr-defined]
    cdp.send("Network.enable")
    total = [0]
    cdp.on("Network.loadingFinished", lambda event: total.__setitem__(0, total[0] + event["encodedDataLength"]))
    cdp.on("Network.webSocketFrameReceived",
           lambda event: total.__setitem__(0, total[0] + len(event["response"]["payloadData"])))
    page.goto(url)  # type: ignore[attr-defined]
    wait_idle(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"  # type: ignore[attr-defined]
                           ".every(i => i.complete)", timeout=60_000)
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    cdp.detach()
    return total[0]


# The stage's video lives in its player's shadow root; for a moment the outgoing take's video is there too.
_STAGE_VIDEOS = ("[...document.querySelectorAll('.st-key-present_stage *')].flatMap("
                 "(el) => el.shadowRoot ? [...el.shadowRoot.querySelectorAll('video')] : [])")


def _stage_src(page: object) -> str:
    return str(page.evaluate(f"() => {_STAGE_VIDEOS}.map((v) => v.currentSrc).join(' ')"))  # type: ignore[attr-defined]


def _playing(page: object, previous: str) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        f"(previous) => {{ const vs = {_STAGE_VIDEOS};"
        " return vs.length === 1 && vs[0].currentSrc && vs[0].currentSrc !== previous && vs[0].currentTime > 0; }",
        arg=previous, timeout=30_000, polling=5)


def b13_present_next(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: "Next" in Present until the next video is playing; baseline: a hello-world app's button rerun
    until its new text shows."""
    reps = 5 if quick else 15
    with tempfile.TemporaryDirectory() as root, _gallery_server(Path(root), 24) as url, chromium() as browser, \
            server(ROOT / "bench" / "hello_counter_app.py", {}) as (hello, hello_proc):
        wait_health(hello, hello_proc)
        _board(Path(root), reps + 2)
        # One window each, brought to the front in turn: a hidden tab's timers and frames are throttled.
        present = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()  # type: ignore[attr-defined]
        counter = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()  # type: ignore[attr-defined]
        present.goto(f"{url}/present?board=1")
        wait_idle(present)
        counter.goto(hello)
        wait_idle(counter)
        candidate, baseline = [], []
        for n in range(reps):
            counter.bring_to_front()
            started = time.perf_counter()
            counter.get_by_role("button", name="Next").click()
            counter.wait_for_function("(n) => document.body.innerText.includes('Take ' + n)", arg=n + 1, polling=5)
            baseline.append(time.perf_counter() - started)
            present.bring_to_front()
            previous = _stage_src(present)
            started = time.perf_counter()
            present.keyboard.press("ArrowRight")
            _playing(present, previous)
            candidate.append(time.perf_counter() - started)
    return candidate, baseline


def _board(root: Path, size: int) -> None:
    """A board of ``size`` takes whose stored videos are real, distinct clips."""
    from starvideos.sandbox.clips import render
    from starvideos.showcase import Showcase

    db = Database(f"sqlite:///{root / 'h.sqlite3'}")
    ids = [row[0] for row in db.rows(sa.select(sa.text("id")).select_from(sa.text("tasks"))
                                     .where(sa.text("status = 'completed'")).limit(size))]
    with db.write() as conn:
        for record_id in ids:
            key = f"videos/{record_id}/video.mp4"
            path = root / "media" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render(f"video_starvideos_{record_id:013d}c00000000", f"Take {record_id}", "16:9"))
            conn.execute(sa.text("UPDATE task_media SET video_key = :key WHERE record_id = :id"),
                         {"key": key, "id": record_id})
    showcase = Showcase(db)
    board = showcase.board_named("Bench")
    showcase.add(board.id, ids)
    db.dispose()
