"""B14 (a batch at the set pace, no duplicates), B15 (SIGKILL mid-batch, then restart: the rest sent exactly once)
and B16 (a Create rerun with the prompt builder and variants open)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.support import CLEAR, KEY, ROOT, environment, interleaved_reruns, sandbox_env, steady_backend
from components.testing import fresh_backend, steady_router
from starvideos.client import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from starvideos.queue import CreateQueue
from starvideos.sandbox import SandboxServer

# One app process's queue worker, on its own: what `streamlit run app.py` runs in the background.
WORKER = """
import sys, time
from starvideos.client import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.queue import CreateQueue
db = Database(sys.argv[1])
client = StarVideosClient(sys.argv[2], sys.argv[3])
CreateQueue(db, HistoryStore(db), client, per_minute=float(sys.argv[4]), max_in_flight=20).start()
while True:
    time.sleep(1)
"""


def _posts(api: SandboxServer) -> list[tuple[float, str]]:
    return sorted((r.at, r.body["prompt"]) for r in api.received("POST") if isinstance(r.body, dict))


def _finish_tasks(api: SandboxServer, store: HistoryStore, client: StarVideosClient) -> None:
    """Stand in for the poller: settle created tasks so the in-flight limit reflects finished work."""
    for record in store.live(limit=100):
        if record.task_id:
            store.update_task(client.get_video(record.task_id))


def _run_batch(items: int, per_minute: float) -> tuple[float, int]:
    """Creates per minute achieved for ``items`` queued at ``per_minute``, and how many prompts went out twice."""
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(queued_seconds=0.2, processing_seconds=0.2) as api:
        db = Database(f"sqlite:///{Path(tmp) / 'queue.sqlite3'}")
        store = HistoryStore(db)
        client = StarVideosClient(api.base_url, KEY)
        queue = CreateQueue(db, store, client, per_minute=per_minute, max_in_flight=20)
        queue.enqueue([VideoRequest(f"paced {i}") for i in range(items)], name="bench", source="csv")
        queue.start()
        deadline = time.monotonic() + items * 60 / per_minute * 1.5 + 30
        while len(api.received("POST")) < items:
            assert time.monotonic() < deadline, "the batch did not go out in time"
            _finish_tasks(api, store, client)
            time.sleep(0.2)
        queue.close()
        posts = _posts(api)
        db.dispose()
    burst = queue.pacer.burst
    # After the saved-up burst, tokens arrive at the pace: (items - burst) creates over the span since the first.
    span = posts[-1][0] - posts[0][0]
    rate = (items - burst) / span * 60 if span > 0 else float("inf")
    duplicates = sum(n - 1 for n in Counter(p for _, p in posts).values())
    return rate, duplicates


def b14_batch_pace(quick: bool) -> tuple[list[float], list[float]]:
    items, per_minute = (40, 480.0) if quick else (200, 60.0)
    rate, duplicates = _run_batch(items, per_minute)
    # A duplicate is a failure whatever the pace: it is paid twice.
    return [rate if duplicates == 0 else float("inf")], [per_minute]


def _worker(url: str, api: SandboxServer, per_minute: float, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WORKER, url, api.base_url, KEY, str(per_minute)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def b15_kill_and_restart(quick: bool) -> tuple[list[float], list[float]]:
    """Sent-once ratio of the items still waiting at a SIGKILL: 1.0 when each went out exactly once."""
    items, per_minute = (40, 600.0) if quick else (120, 600.0)
    candidate = []
    for rep in range(1 if quick else 3):
        with tempfile.TemporaryDirectory() as tmp, SandboxServer(queued_seconds=0.2, processing_seconds=0.2) as api:
            url = f"sqlite:///{Path(tmp) / 'queue.sqlite3'}"
            db = Database(url)
            store = HistoryStore(db)
            client = StarVideosClient(api.base_url, KEY)
            CreateQueue(db, store, client, per_minute=per_minute).enqueue(
                [VideoRequest(f"item {rep}-{i}") for i in range(items)], name="bench", source="csv")
            worker = _worker(url, api, per_minute, Path(tmp) / "worker.log")
            while len(api.received("POST")) < items // 3:
                assert worker.poll() is None, "the worker died"
                _finish_tasks(api, store, client)
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            statuses = {r.prompt: r.status for r in store.list(limit=items)}
            waiting = {p for p, s in statuses.items() if s == "pending"}
            before = Counter(p for _, p in _posts(api))
            worker = _worker(url, api, per_minute, Path(tmp) / "worker.log")  # the restart: no click, no visit
            deadline = time.monotonic() + 120
            while not waiting <= {p for _, p in _posts(api)}:
                assert time.monotonic() < deadline, "the waiting items were not sent after the restart"
                _finish_tasks(api, store, client)
                time.sleep(0.1)
            time.sleep(1.0)  # a window in which a wrong worker would send something twice
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            after = Counter(p for _, p in _posts(api)) - before
            sent_once = sum(1 for p in waiting if after[p] == 1)
            wrong = sum(after.values()) - sent_once + sum(n - 1 for n in (before + after).values() if n > 1)
            candidate.append(float("inf") if wrong else sent_once / len(waiting))
            db.dispose()
    return candidate, [1.0] * len(candidate)


def b16_create_rerun_with_craft(quick: bool) -> tuple[list[float], list[float]]:
    from streamlit.testing.v1 import AppTest
    reps = 10 if quick else 30
    with tempfile.TemporaryDirectory() as tmp, environment(**{**CLEAR, **sandbox_env(tmp),
                                                               "STARVIDEOS_PRICE_PER_SECOND": "0.05"}), \
            steady_router(), fresh_backend():
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        app.session_state["builder_panel"] = True
        app.session_state["variants_on"] = True
        app.run()
        assert app.text_input(key="builder_subject")
        ratios, durations = [next(p for p in app.pills if p.label == label) for label in ("Ratios",
                                                                                           "Durations (seconds)")]
        ratios.set_value(["16:9", "9:16"])
        durations.set_value([5, 10])
        app.run()
        steady_backend()

        def check() -> None:
            assert not app.exception and "4 tasks" in " ".join(c.value for c in app.caption)

        return interleaved_reruns(app, reps, check)
