"""A paid task is never lost: saved before sending, id saved before any UI call, survives reruns."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

from components import runtime
from starvideos import StarVideosClient, VideoRequest
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import TaskStatus
from starvideos.sandbox import Fault, SandboxServer
from tests.apptest_support import new_app
from tests.conftest import DUMMY_KEY, run_in_threads
from tests.creates import create_now, unpaced_queue


def test_attempt_is_committed_before_the_post(sandbox: SandboxServer, db_url: str) -> None:
    """Test that, while the POST is in flight, another connection already sees the attempt committed."""
    store = HistoryStore(Database(db_url))
    client = StarVideosClient(sandbox.base_url, DUMMY_KEY)
    sandbox.inject(Fault(200, '{"id": "video_slow", "status": "queued"}', delay=1.0, method="POST"))
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("s", create_now(client, store, VideoRequest("x"))))
    worker.start()
    observer = HistoryStore(Database(db_url))
    seen_during = None
    while worker.is_alive() and seen_during is None:
        if sandbox.received("POST"):
            seen_during = [(r.status, r.task_id) for r in observer.list()]
    worker.join()
    assert seen_during == [(TaskStatus.SENDING, None)]
    assert [(r.status, r.task_id) for r in observer.list()] == [("queued", "video_slow")]


def test_interrupted_send_is_recorded_as_unknown(sandbox: SandboxServer, store: HistoryStore) -> None:
    """Test that an exception escaping mid-request (a rerun, a shutdown) leaves an outcome-unknown record."""
    client = StarVideosClient(sandbox.base_url, DUMMY_KEY)

    def interrupted(request: VideoRequest) -> None:
        raise KeyboardInterrupt

    client.create_video = interrupted  # type: ignore[method-assign]
    with contextlib.suppress(KeyboardInterrupt):
        create_now(client, store, VideoRequest("x"))
    assert [(r.status, r.error) for r in store.list()] == [
        ("outcome_unknown", "Interrupted while sending: the task may have been created.")]


def test_rerun_right_after_the_post_keeps_the_id(app_env: Path, monkeypatch: object) -> None:
    """Test that a rerun raised at the first UI call after the POST returns still leaves the id in the store."""
    at = new_app().run()
    sandbox = runtime.backend().sandbox
    at.text_area(key="form_prompt").set_value("interrupt me").run()
    original = DeltaGenerator._enqueue
    fired: list[bool] = []

    def enqueue(self: DeltaGenerator, *args: object, **kwargs: object) -> object:
        if sandbox.received("POST") and not fired:
            fired.append(True)
            raise RerunException(RerunData())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "_enqueue", enqueue)  # type: ignore[attr-defined]
    at.button(key="create_button").click().run()
    assert fired and not at.exception
    [record] = runtime.backend().store.list()
    assert record.task_id and record.status == "queued"
    assert len(sandbox.received("POST")) == 1


@pytest.mark.serial
def test_load_eight_threads_twenty_five_tasks_each(sandbox: SandboxServer, store: HistoryStore) -> None:
    """Test 8 threads creating 25 tasks each through one create queue: 200 records, 200 ids, no lock."""
    queue = unpaced_queue(StarVideosClient(sandbox.base_url, DUMMY_KEY), store)

    def work(n: int) -> None:
        for i in range(25):
            submission = queue.submit(VideoRequest(f"load {n}-{i}"), session_id=f"t{n}")
            assert submission.task is not None, submission.error

    try:
        assert run_in_threads(work, 8) == []
    finally:
        queue.close()
    rows = list(store.export_rows())
    assert len(rows) == 200 and len({r["task_id"] for r in rows}) == 200
    assert {r["status"] for r in rows} == {"queued"} and len(sandbox.received("POST")) == 200
