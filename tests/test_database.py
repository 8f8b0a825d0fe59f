"""The database layer: URLs, migrations (the shipped schema-v2 file upgrades in place; a newer database is refused),
the declared tables matching what the migrations build, and plain errors when the database cannot be used."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from starvideos import schema
from starvideos.database import Database, normalize_url
from starvideos.errors import DatabaseError, DatabaseVersionError
from starvideos.history import HistoryFilter, HistoryStore, params_hash
from starvideos.models import VideoRequest
from starvideos.sandbox import SandboxServer
from starvideos.sandbox.postgres import LocalPostgres
from starvideos.schema import HEAD, boards, comments, metadata, share_links, tasks
from tests.conftest import DUMMY_KEY
from tests.creates import create_now

# The schema-v2 file as SQL (a database is never committed): loaded into a fresh file for each upgrade test.
FIXTURE = Path(__file__).parent / "fixtures" / "history-v2.sql"


@pytest.mark.parametrize(("url", "normalized"), [
    ("postgres://u:p@db.example.com:5432/app", "postgresql+psycopg://u:p@db.example.com:5432/app"),
    ("postgresql://u@h/app?sslmode=require", "postgresql+psycopg://u@h/app?sslmode=require"),
    ("postgresql+psycopg://u@h/app", "postgresql+psycopg://u@h/app"),
    ("sqlite:///data/x.sqlite3", "sqlite:///data/x.sqlite3"),
])
def test_hosting_provider_urls_use_psycopg3(url: str, normalized: str) -> None:
    """Test that postgres:// and postgresql:// URLs (as hosts hand them out) map to the psycopg 3 driver."""
    assert normalize_url(url) == normalized


def test_password_never_shown() -> None:
    """Test that the database's description (used in messages and the sidebar) hides the password."""
    db = Database("postgres://studio:hunter2@db.example.com:5432/app")
    assert db.describe() == "postgresql://studio@db.example.com:5432/app"
    assert "hunter2" not in db.where


def test_schema_v2_file_upgrades_in_place_with_every_row(tmp_path: Path) -> None:
    """Test that a history file made by the schema-v2 app is upgraded in place: every row and value kept, counts
    right, duplicates still noticed, and new rows get new ids."""
    path = tmp_path / "history.sqlite3"
    with closing(sqlite3.connect(path)) as made:
        made.executescript(FIXTURE.read_text(encoding="utf-8"))
    with sqlite3.connect(path) as old:
        before = [tuple(r) for r in old.execute(
            "SELECT id, task_id, status, session_id, attempted_at, updated_at, prompt, model, duration, ratio,"
            " images, mode, error, video_url, remote_created FROM tasks ORDER BY id")]
    store = HistoryStore(path)
    after = sorted(store.list(limit=100), key=lambda r: r.id)
    assert len(after) == len(before) == 6
    for old_row, record in zip(before, after, strict=True):
        (rid, task_id, status, session, attempted, updated, prompt, model, duration, ratio, images, mode, error,
         video_url, remote_created) = old_row
        assert (record.id, record.task_id, record.status, record.session_id) == (rid, task_id, status, session)
        assert (record.attempted_at, record.updated_at) == (attempted, updated)
        assert (record.prompt, record.model, record.duration, record.ratio, record.mode) == (
            prompt, model, duration, ratio, mode)
        assert record.images == json.loads(images)
        assert (record.error, record.video_url, record.remote_created) == (error, video_url, remote_created)
    assert store.counts_by_status() == {"completed": 1, "failed": 1, "outcome_unknown": 1, "processing": 1,
                                        "rejected": 1, "sending": 1}
    completed = store.get(1)
    assert completed.raw["status"] == "completed" and completed.finished_at == completed.updated_at
    with store.db.read() as conn:
        stored_hash = conn.execute(sa.text("SELECT params_hash FROM tasks WHERE id = 2")).scalar()
    assert stored_hash == params_hash(store.get(2).request)
    assert store.recent_duplicate(store.get(2).request, within_seconds=10**10).id == 2
    assert store.record_attempt(VideoRequest("after the upgrade")) == 7
    assert store.count(HistoryFilter(text="lighthouse")) == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 100
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD
        assert "tasks_v2" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_newer_alembic_database_is_refused_unchanged(tmp_path: Path) -> None:
    """Test that a database at a revision this app does not know is refused, with a plain message, untouched."""
    path = tmp_path / "newer.sqlite3"
    HistoryStore(path).record_attempt(VideoRequest("kept"))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    digest = _digest(path)
    with pytest.raises(DatabaseVersionError) as info:
        HistoryStore(path).count()
    assert info.value.message == (f"The database at STARVIDEOS_HISTORY_PATH ({path}) was written by a newer version "
                                  f"of StarVideos Studio (schema 9999; this app knows up to {HEAD}). It was not "
                                  "changed.")
    assert _digest(path) == digest


def test_newer_legacy_file_is_refused(tmp_path: Path) -> None:
    """Test that a pre-Alembic file with a schema number past 2 is refused, never downgraded."""
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, images TEXT)")
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(DatabaseVersionError, match=r"newer version of StarVideos Studio \(schema 7\)"):
        HistoryStore(path).count()


def test_folder_that_cannot_be_created(tmp_path: Path) -> None:
    """Test that a history path under a file (so its folder cannot exist) says which setting and what to do."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DatabaseError) as info:
        HistoryStore(blocker / "sub" / "h.sqlite3").count()
    assert info.value.message.startswith(f"The history file STARVIDEOS_HISTORY_PATH ({blocker}/sub/h.sqlite3) "
                                         f"cannot be used: its folder {blocker}/sub cannot be created")
    assert "Point STARVIDEOS_HISTORY_PATH at a file in a folder the app may write" in info.value.hint


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    """Test that a file that is not SQLite is reported as such, and left as it was."""
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are my notes, not a database " * 100)
    digest = _digest(path)
    with pytest.raises(DatabaseError) as info:
        HistoryStore(path).count()
    assert "cannot be used: it is not a SQLite database (file is not a database)" in info.value.message
    assert _digest(path) == digest


def test_declared_tables_match_what_the_migrations_build(database: Database) -> None:
    """Test that the migrations build exactly the tables declared in schema.py (on both databases)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    database.ensure_ready()
    with database.read() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
        if database.dialect == "sqlite":
            # SQLAlchemy does not read ON DELETE back from a column added by ALTER TABLE; SQLite itself does.
            assert sorted(tuple(r)[2:7] for r in conn.exec_driver_sql("PRAGMA foreign_key_list(tasks)")) == [
                ("batches", "batch_id", "id", "NO ACTION", "SET NULL"),
                ("notes", "note_id", "id", "NO ACTION", "SET NULL"),
                ("presets", "preset_id", "id", "NO ACTION", "SET NULL"),
                ("tasks", "parent_id", "id", "NO ACTION", "SET NULL")]
            assert ("boards", "board_id", "id", "NO ACTION", "SET NULL") in [
                tuple(r)[2:7] for r in conn.exec_driver_sql("PRAGMA foreign_key_list(comments)")]
            added = [[("tasks", "parent_id")], [("tasks", "batch_id")], [("tasks", "note_id")],
                     [("tasks", "preset_id")], [("comments", "board_id")]]
            differences = [d for d in differences if not (d[0] in ("add_fk", "remove_fk") and [
                (d[1].table.name, c.name) for c in d[1].columns] in added)]
    assert differences == []


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_upgrade_puts_comments_made_through_a_link_on_its_board(dialect: str, tmp_path: Path,
                                                                      request: pytest.FixtureRequest) -> None:
    """Test that upgrading a database from 0008 puts each comment made through a share link on that link's board
    (so its holders keep seeing it), and leaves one made in the app on none."""
    from alembic import command
    from alembic.config import Config

    url = (f"sqlite:///{tmp_path / 'at-0008.sqlite3'}" if dialect == "sqlite"
           else request.getfixturevalue("postgres").create_database("comments_at_0008"))
    old = Database(url)
    with old.engine.connect() as conn, conn.begin():
        config = Config()
        config.set_main_option("script_location", str(Path(schema.__file__).parent / "migrations"))
        config.attributes["connection"] = conn
        command.upgrade(config, "0008")
        take = conn.execute(tasks.insert().values(
            status="completed", request={}, params_hash="h", prompt="p", mode="text", ratio="16:9", duration=5,
            attempted_at=1.0, updated_at=1.0).returning(tasks.c.id)).scalar_one()
        first, second = (conn.execute(boards.insert().values(name=n, name_key=n, created_at=1.0, updated_at=1.0)
                                      .returning(boards.c.id)).scalar_one() for n in ("a", "b"))
        link_a, link_b = (conn.execute(share_links.insert().values(board_id=b, token_hash=str(b) * 64, created_at=1.0)
                                       .returning(share_links.c.id)).scalar_one() for b in (first, second))
        for author, link_id in (("Dana", link_b), ("Eve", link_a), ("Ann", None)):
            conn.execute(sa.text("INSERT INTO comments (record_id, author, body, share_link_id, created_at) "
                                 "VALUES (:take, :author, 'words', :link, 1.0)"),
                         {"take": take, "author": author, "link": link_id})
    old.dispose()
    upgraded = Database(url)
    try:
        assert sorted(upgraded.rows(sa.select(comments.c.author, comments.c.board_id))) == [
            ("Ann", None), ("Dana", second), ("Eve", first)]
        assert upgraded.scalar(sa.text("SELECT version_num FROM alembic_version")) == HEAD
    finally:
        upgraded.dispose()


def test_concurrent_first_starts_migrate_once(postgres: LocalPostgres) -> None:
    """Test that replicas starting together on an empty PostgreSQL database all come up, migrating once."""
    url = postgres.create_database("fresh_concurrent")
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait()
            HistoryStore(Database(url)).record_attempt(VideoRequest("hello"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert HistoryStore(Database(url)).count() == 4


def test_unreachable_server_is_a_plain_message_and_nothing_is_sent(tmp_path: Path) -> None:
    """Test that a database nobody listens on is reported in plain words, quickly, and no create is sent."""
    url = "postgresql://studio:hunter2@127.0.0.1:9/app"  # the discard port: connection refused
    store = HistoryStore(Database(url))
    with SandboxServer() as sandbox:
        from starvideos import StarVideosClient

        started = time.monotonic()
        submission = create_now(StarVideosClient(sandbox.base_url, DUMMY_KEY), store, VideoRequest("paid work"))
        assert time.monotonic() - started < 10
        assert sandbox.received() == []
    assert submission.record_id is None and isinstance(submission.error, DatabaseError)
    assert submission.error.message.startswith("The database at postgresql://studio@127.0.0.1:9/app cannot be "
                                               "reached: ")
    assert "hunter2" not in submission.error.message + submission.error.hint


def test_server_stopped_mid_session_refuses_create_then_recovers(postgres: LocalPostgres) -> None:
    """Test that when PostgreSQL stops mid-session no create is sent (its attempt could not be recorded), and
    that the app works again when it is back, without a restart."""
    url = postgres.create_database("stopped_mid_session", template="migrated_template")
    store = HistoryStore(Database(url))
    with SandboxServer() as sandbox:
        from starvideos import StarVideosClient

        client = StarVideosClient(sandbox.base_url, DUMMY_KEY)
        assert create_now(client, store, VideoRequest("before")).task is not None
        postgres.pause()
        try:
            down = create_now(client, store, VideoRequest("while down"))
            assert down.record_id is None and isinstance(down.error, DatabaseError)
            assert "cannot be reached" in down.error.message
            assert len(sandbox.received("POST")) == 1
        finally:
            postgres.resume()
        after = create_now(client, store, VideoRequest("after"))
        assert after.task is not None and len(sandbox.received("POST")) == 2
    assert [r.prompt for r in store.list()] == ["after", "before"]
