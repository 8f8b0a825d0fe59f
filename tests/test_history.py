"""The history store on real SQLite files: attempts before sending, outcomes, filters, concurrency, durability."""

from __future__ import annotations

import csv
import io
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from starvideos import HistoryFilter, HistoryStore, TaskStatus, VideoRequest, VideoTask
from starvideos.history import OUTCOME_UNKNOWN, REJECTED, SENDING
from tests.conftest import run_in_threads

ROOT = Path(__file__).resolve().parents[1]


def test_schema_is_versioned_and_durable(store: HistoryStore) -> None:
    """Test that the schema has a user_version and the connection uses WAL with synchronous=FULL."""
    assert store.schema_version == 2
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    indexes = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"tasks_status", "tasks_mode", "tasks_session", "tasks_params"} <= indexes


def test_reopen_does_not_migrate_twice(tmp_path: Path) -> None:
    """Test that opening an existing file keeps its rows and version."""
    path = tmp_path / "h.sqlite3"
    first = HistoryStore(path)
    first.record_attempt(VideoRequest("cat"))
    first.close()
    again = HistoryStore(path)
    assert again.schema_version == 2 and again.count() == 1


def test_attempt_lifecycle(store: HistoryStore) -> None:
    """Test that an attempt is stored before sending and then settled with the task, its updates and video."""
    request = VideoRequest("  a cat  ", duration=7, ratio="9:16", images=("https://e.com/a.png",))
    rid = store.record_attempt(request, session_id="s1")
    row = store.get(rid)
    assert row is not None
    assert (row.status, row.task_id, row.prompt, row.mode, row.images, row.session_id) == (
        SENDING, None, "a cat", "image", ["https://e.com/a.png"], "s1")
    store.mark_created(rid, VideoTask("video_1", TaskStatus.QUEUED, created=1774836724, raw={"id": "video_1"}))
    assert store.get(rid).status == "queued" and store.get(rid).remote_created == 1774836724
    assert store.update_task(VideoTask("video_1", TaskStatus.COMPLETED, video_url="https://e.com/v.mp4",
                                       raw={"id": "video_1", "status": "completed"}))
    final = store.get_by_task_id("video_1")
    assert final is not None and final.id == rid
    assert (final.status, final.video_url, final.raw) == ("completed", "https://e.com/v.mp4",
                                                           {"id": "video_1", "status": "completed"})
    assert not final.is_live and final.request() == VideoRequest("a cat", "starvideos_v3", 7, "9:16",
                                                                  ("https://e.com/a.png",))
    assert store.update_task(VideoTask("nope", TaskStatus.FAILED)) is False


def test_rejected_unknown_and_attach(store: HistoryStore) -> None:
    """Test that rejected and unknown outcomes keep the request and error; an id can be attached later."""
    a = store.record_attempt(VideoRequest("a"))
    b = store.record_attempt(VideoRequest("b"))
    store.mark_rejected(a, "HTTP 400 Bad Request: nope")
    store.mark_unknown(b, "timed out")
    assert (store.get(a).status, store.get(a).error) == (REJECTED, "HTTP 400 Bad Request: nope")
    assert (store.get(b).status, store.get(b).error, store.get(b).is_live) == (OUTCOME_UNKNOWN, "timed out", False)
    store.attach_task_id(b, " video_found ")
    row = store.get(b)
    assert (row.task_id, row.status, row.error, row.is_live) == ("video_found", "unknown", None, True)
    assert [r.task_id for r in store.live()] == ["video_found"]


def test_filters_pagination_and_count(store: HistoryStore) -> None:
    """Test SQL-side filters (status, mode, text, session) and keyset pagination, newest first."""
    for i in range(30):
        images = () if i % 3 == 0 else ("https://e.com/a.png",) if i % 3 == 1 else ("https://e.com/a.png",) * 2
        rid = store.record_attempt(VideoRequest(f"prompt {i} {'dog' if i % 2 else 'cat'}", images=images),
                                   session_id="me" if i < 10 else "other")
        store.mark_created(rid, VideoTask(f"video_{i}", TaskStatus.COMPLETED if i % 5 == 0 else TaskStatus.QUEUED))
    page1 = store.list(limit=12)
    page2 = store.list(limit=12, before_id=page1[-1].id)
    page3 = store.list(limit=12, before_id=page2[-1].id)
    ids = [r.id for r in page1 + page2 + page3]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 30 and len(page3) == 6
    assert store.count(HistoryFilter(statuses=["completed"])) == 6
    assert store.count(HistoryFilter(modes=["first_last"])) == 10
    assert store.count(HistoryFilter(text="dog")) == 15
    assert store.count(HistoryFilter(text="video_2")) == 11  # task id matches too: 2, 20-29
    assert store.count(HistoryFilter(session_id="me")) == 10
    assert store.count(HistoryFilter(statuses=["queued"], modes=["text"], text="cat", session_id="other")) == 3
    assert store.count(HistoryFilter(text="100%_")) == 0  # LIKE wildcards are escaped


def test_kept_counts_match_a_real_count(store: HistoryStore) -> None:
    """Test that the trigger-kept counts equal COUNT(*) after inserts, status changes and deletes."""
    ids = [store.record_attempt(VideoRequest(f"c{i}")) for i in range(12)]
    for i, rid in enumerate(ids[:8]):
        store.mark_created(rid, VideoTask(f"video_c{i}", TaskStatus.QUEUED))
    store.update_task(VideoTask("video_c0", TaskStatus.COMPLETED))
    store.update_task(VideoTask("video_c0", TaskStatus.COMPLETED))  # same status again: no double count
    store.mark_rejected(ids[8], "no")
    store.mark_unknown(ids[9], "?")
    store.delete(ids[1])
    store.delete(ids[10])
    for statuses in [(), ("queued",), ("completed", "sending"), ("rejected", "outcome_unknown", "failed")]:
        rows = store._conn.execute("SELECT status FROM tasks").fetchall()  # the real rows, not the kept counts
        expected = sum(1 for (status,) in rows if not statuses or status in statuses)
        assert store.count(HistoryFilter(statuses=statuses)) == expected, statuses
    assert store.count() == 10


def test_migration_from_v1_keeps_rows_and_counts(tmp_path: Path) -> None:
    """Test that a version-1 file with rows is migrated to version 2 with correct counts."""
    from starvideos.history import _MIGRATIONS
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in _MIGRATIONS[0]:
            db.execute(statement)
        db.executemany(
            "INSERT INTO tasks (task_id, status, attempted_at, updated_at, prompt, model, duration, ratio, mode,"
            " params_hash) VALUES (?, ?, 0, 0, 'p', 'starvideos_v3', 5, '16:9', 'text', 'h')",
            [("a", "completed"), ("b", "completed"), (None, "rejected")])
        db.execute("PRAGMA user_version = 1")
    store = HistoryStore(path)
    assert store.schema_version == 2
    assert (store.count(), store.count(HistoryFilter(statuses=["completed"]))) == (3, 2)
    store.record_attempt(VideoRequest("new"))
    assert store.count() == 4


def test_recent_duplicate(store: HistoryStore) -> None:
    """Test that the same parameters within the window are found, rejected attempts and other params are not."""
    request = VideoRequest("cat", duration=6)
    assert store.recent_duplicate(request) is None
    rid = store.record_attempt(request)
    assert store.recent_duplicate(VideoRequest(" cat ", duration=6)).id == rid
    assert store.recent_duplicate(VideoRequest("cat", duration=7)) is None
    assert store.recent_duplicate(request, within_seconds=-1) is None
    store.mark_rejected(rid, "bad")
    assert store.recent_duplicate(request) is None


def test_delete(store: HistoryStore) -> None:
    """Test that delete removes exactly one record."""
    a, b = store.record_attempt(VideoRequest("a")), store.record_attempt(VideoRequest("b"))
    assert store.delete(a) is True and store.delete(a) is False
    assert [r.id for r in store.list()] == [b]


def test_exports(store: HistoryStore) -> None:
    """Test CSV and JSON exports of the filtered history, with spreadsheet formulas neutralised."""
    rid = store.record_attempt(VideoRequest("=HYPERLINK(\"x\")", images=("https://e.com/a.png",)))
    store.mark_created(rid, VideoTask("video_1", TaskStatus.QUEUED))
    store.record_attempt(VideoRequest("plain"))
    rows = list(csv.DictReader(io.StringIO(store.export_csv(HistoryFilter(modes=["image"])))))
    assert len(rows) == 1
    assert rows[0]["prompt"] == "'=HYPERLINK(\"x\")" and rows[0]["task_id"] == "video_1"
    assert rows[0]["images"] == "https://e.com/a.png" and "raw" not in rows[0]
    data = json.loads(store.export_json())
    assert [d["prompt"] for d in data] == ["plain", "=HYPERLINK(\"x\")"]


def test_twenty_threads_write_at_once(store: HistoryStore) -> None:
    """Test that 20 threads recording and settling attempts at once lose nothing."""
    def work(n: int) -> None:
        for i in range(25):
            rid = store.record_attempt(VideoRequest(f"t{n}-{i}"), session_id=f"s{n}")
            store.mark_created(rid, VideoTask(f"video_{n}_{i}", TaskStatus.QUEUED))

    assert run_in_threads(work, 20) == []
    assert store.count() == 500 and store.count(HistoryFilter(statuses=["queued"])) == 500
    assert store.count(HistoryFilter(session_id="s7")) == 25


def test_two_processes_share_the_file(tmp_path: Path) -> None:
    """Test that a second connection (another process's view) sees committed rows and can write too."""
    path = tmp_path / "h.sqlite3"
    a, b = HistoryStore(path), HistoryStore(path)
    a.record_attempt(VideoRequest("from a"))
    b.record_attempt(VideoRequest("from b"))
    assert [r.prompt for r in a.list()] == ["from b", "from a"]


CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from starvideos import HistoryStore, VideoRequest, VideoTask, TaskStatus
store = HistoryStore({path!r})
for i in range(50):
    rid = store.record_attempt(VideoRequest(f"killed {{i}}"))
    store.mark_created(rid, VideoTask(f"video_k{{i}}", TaskStatus.QUEUED))
print("committed", flush=True)
store.record_attempt(VideoRequest("in flight"))
time.sleep(60)
"""


def test_sigkill_after_commit_loses_nothing(tmp_path: Path) -> None:
    """Test that rows committed by a process killed with SIGKILL are all there on reopen."""
    path = tmp_path / "h.sqlite3"
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), path=str(path))],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "committed"
        deadline = time.monotonic() + 10
        while HistoryStore(path).count() < 51 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    store = HistoryStore(path)
    assert store.count() == 51
    assert {r.task_id for r in store.list(limit=100) if r.task_id} == {f"video_k{i}" for i in range(50)}
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
