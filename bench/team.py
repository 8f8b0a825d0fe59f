"""B7 (History on PostgreSQL at a million records) and B8 (status lookups with three replicas on one database)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter

from bench.seed import seed_tasks
from bench.support import KEY, ROOT, apptest_render, chromium, server, wait_health, wait_idle
from starvideos.client import StarVideosClient
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from starvideos.sandbox import SandboxServer
from starvideos.sandbox.postgres import LocalPostgres


def b7_history_on_postgres(quick: bool) -> tuple[list[float], list[float]]:
    rows, reps = (100_000 if quick else 1_000_000), (3 if quick else 7)
    with LocalPostgres() as pg:
        small, big = pg.create_database("small"), pg.create_database("big")
        seed_tasks(small, 100)
        seed_tasks(big, rows)
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(apptest_render("pages/history.py", STARVIDEOS_DATABASE_URL=small))
            candidate.append(apptest_render("pages/history.py", STARVIDEOS_DATABASE_URL=big))
    return candidate, baseline


def _lookups_per_task_minute(replicas: int, window: float, pg: LocalPostgres, name: str) -> float:
    url = pg.create_database(name)
    with SandboxServer(queued_seconds=3600) as api, chromium() as browser, contextlib.ExitStack() as stack:
        client = StarVideosClient(api.base_url, KEY)
        store = HistoryStore(Database(url))
        for i in range(5):  # 5 tasks × 20 lookups a minute: under the 120-a-minute budget, so it never binds
            task = client.create_video(VideoRequest(f"replica task {i}"))
            store.mark_created(store.record_attempt(VideoRequest(f"replica task {i}")), task)
        env = {"STARVIDEOS_MODE": "live", "STARVIDEOS_API_KEY": KEY, "STARVIDEOS_BASE_URL": api.base_url,
               "STARVIDEOS_DATABASE_URL": url}
        for _ in range(replicas):
            address, proc = stack.enter_context(server(ROOT / "app.py", env))
            wait_health(address, proc)
            page = browser.new_page()  # type: ignore[attr-defined]
            page.goto(f"{address}/history")
            wait_idle(page)
            page.wait_for_selector("[data-testid=stDataFrame]", timeout=60_000)
        time.sleep(5)  # every replica's poller and History fragment are running
        api.clear()
        time.sleep(window)
        counts = Counter(r.path.rsplit("/", 1)[-1] for r in api.received("GET"))
        store.close()
    return sum(counts.values()) / 5 / (window / 60)


def b8_lookups_across_replicas(quick: bool) -> tuple[list[float], list[float]]:
    window, reps = (15.0 if quick else 30.0), (1 if quick else 3)
    candidate, baseline = [], []
    with LocalPostgres() as pg:
        for rep in range(reps):
            baseline.append(_lookups_per_task_minute(1, window, pg, f"one_{rep}"))
            candidate.append(_lookups_per_task_minute(3, window, pg, f"three_{rep}"))
    return candidate, baseline
