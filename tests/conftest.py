"""Shared fixtures: a real sandbox on loopback, a client pointed at it, and history stores on real databases: a
SQLite file and a PostgreSQL server the test session starts itself (one parametrized fixture, so every store test
runs on both)."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from starvideos import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.sandbox import SandboxServer
from starvideos.sandbox.postgres import LocalPostgres

DUMMY_KEY = "sk-test-0123456789abcdef-DUMMY"
_NAMES = itertools.count()


def run_in_threads(work: Callable[[int], None], count: int) -> list[BaseException]:
    """Run ``work(n)`` for n in range(count), all threads released at once; return what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def wrapped(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Chromium tests run last: their session-wide browser keeps an event loop on the main thread, which in-process
    servers started by other tests must not meet."""
    items.sort(key=lambda item: "/e2e/" in item.nodeid or item.nodeid.startswith("e2e/"))

@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(queued_seconds=0.2, processing_seconds=0.3) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sandbox: SandboxServer, sleeps: list[float]) -> Iterator[StarVideosClient]:
    """A client whose back-off sleeps are recorded instead of slept, so retry tests are instant and exact."""
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY, timeout=(2.0, 2.0), sleep=sleeps.append)
    yield c
    c.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server for the whole session, with a migrated template database to copy from."""
    server = LocalPostgres().start()
    template = Database(server.create_database("migrated_template"))
    template.ensure_ready()
    template.dispose()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server, a real HTTP server on 127.0.0.1 (nothing in-process is patched)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, with the standard AWS settings pointing at the S3 server; returns its s3:// URL."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret-key-0123",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    import boto3

    bucket = f"studio-{next(_NAMES)}"
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/media"


@pytest.fixture(params=["local", "s3"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A storage location: a real folder, or a bucket on the S3 server."""
    if request.param == "local":
        return str(tmp_path / "media")
    return str(request.getfixturevalue("s3_bucket"))


@pytest.fixture(scope="session")
def migrated_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty history file at the newest schema, made once per test process: a test that needs an empty history
    copies it (a file copy) instead of running every migration again (a tenth of a second or more each)."""
    path = tmp_path_factory.mktemp("migrated") / "history.sqlite3"
    template = Database(f"sqlite:///{path}")
    template.ensure_ready()
    template.dispose()
    return path


def empty_history(template: Path, path: Path) -> Path:
    """``path``, now an empty history file at the newest schema (a copy of ``template``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL database, each copied from a migrated
    template."""
    if request.param == "sqlite":
        path = empty_history(request.getfixturevalue("migrated_history"), tmp_path / "history.sqlite3")
        return f"sqlite:///{path}"
    server: LocalPostgres = request.getfixturevalue("postgres")
    return server.create_database(f"test_{next(_NAMES)}", template="migrated_template")


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def store(database: Database) -> Iterator[HistoryStore]:
    yield HistoryStore(database)


pytest_plugins = ["tests.apptest_support"]
