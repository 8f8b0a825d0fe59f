"""Shared fixtures: a real sandbox on loopback, a client pointed at it, a history store in a temp file."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from starvideos import HistoryStore, StarVideosClient
from starvideos.sandbox import SandboxServer

DUMMY_KEY = "sk-test-0123456789abcdef-DUMMY"


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


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    s = HistoryStore(tmp_path / "history.sqlite3")
    yield s
    s.close()


pytest_plugins = ["tests.apptest_support"]
