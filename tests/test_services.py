"""The process's services: the data layer built whole before any worker starts, a failure remembered (not rebuilt
on every visit), and a storage problem shown like a database problem."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from components import runtime
from starvideos.errors import StorageError
from starvideos.services import Services
from starvideos.settings import load_settings
from tests.apptest_support import new_app, plain

WORKER_THREADS = {"status-poller", "media-copier", "create-queue"}


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in WORKER_THREADS and t.is_alive()]


def test_a_data_layer_that_cannot_be_built_starts_no_worker_and_is_not_rebuilt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that when storage cannot be opened, no worker starts, and three more uses report the same problem without
    building anything again (the report saw one more status poller per page access)."""
    calls: list[str] = []

    def broken(url: str) -> None:
        calls.append(url)
        raise StorageError("The bucket is gone.", hint="Fix STARVIDEOS_STORAGE_URL, then restart the app.")

    monkeypatch.setattr("starvideos.storage.open_storage", broken)
    before = len(worker_threads())
    services = Services.from_settings(load_settings({
        "STARVIDEOS_MODE": "sandbox", "STARVIDEOS_SANDBOX_PORT": "0",
        "STARVIDEOS_HISTORY_PATH": str(tmp_path / "h.sqlite3"), "STARVIDEOS_STORAGE_URL": str(tmp_path / "m")}))
    try:
        for _ in range(3):
            with pytest.raises(StorageError, match=r"The bucket is gone\."):
                services.start()
            problem = services.problem()
            assert isinstance(problem, StorageError) and problem.hint.startswith("Fix STARVIDEOS_STORAGE_URL")
        assert len(calls) == 1
        assert len(worker_threads()) == before and not services.started
    finally:
        services.close()


def test_an_unusable_storage_setting_is_a_plain_message_and_starts_nothing(app_env: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the report's case: STARVIDEOS_STORAGE_URL=ftp://x is refused with the other settings, with a message
    naming it, on every page access, and no worker is ever started."""
    monkeypatch.setenv("STARVIDEOS_STORAGE_URL", "ftp://x")
    before = len(worker_threads())
    for _ in range(3):
        at = new_app().run()
        assert not at.exception
        message = plain(at.error[0].value)
        assert "STARVIDEOS_STORAGE_URL must be a folder or s3://bucket/prefix (got ftp://…)." in message
        runtime.reset()
    assert len(worker_threads()) == before


def test_the_workers_start_once_the_data_layer_is_whole(app_env: Path) -> None:
    """Test that starting the services twice starts each worker once, and that the history wakes the copier."""
    services = runtime.backend()
    before = len(worker_threads())
    services.start()
    services.start()
    assert len(worker_threads()) == before + 3
    assert all(services.data.workers().values())
    # A task completed by this process's poller is copied at once, not at the copier's next look.
    assert services.data.store.copy_queued == services.data.copier.worker.wake
    runtime.reset()
    assert len(worker_threads()) == before
