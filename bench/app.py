"""B2, B4, B5, B6, B17: the app itself, on the embedded SQLite default."""

from __future__ import annotations

import gc
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.seed import seed_tasks
from bench.support import (
    CLEAR,
    HELLO,
    ROOT,
    apptest_render,
    chromium,
    environment,
    interleaved_reruns,
    sandbox_env,
    server,
    steady_backend,
    wait_health,
)
from components.testing import fresh_backend, steady_router


def _seed(path: Path, rows: int) -> None:
    seed_tasks(f"sqlite:///{path}", rows)


def b2_history_at_scale(quick: bool) -> tuple[list[float], list[float]]:
    big_rows, reps = (20_000 if quick else 100_000), (3 if quick else 7)
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small.sqlite3", Path(tmp) / "big.sqlite3"
        _seed(small, 100)
        _seed(big, big_rows)
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(apptest_render("pages/history.py", STARVIDEOS_HISTORY_PATH=str(small)))
            candidate.append(apptest_render("pages/history.py", STARVIDEOS_HISTORY_PATH=str(big)))
    return candidate, baseline


def _cold_start(browser: object, script: Path, env: dict[str, str], ready: str) -> float:
    start = time.perf_counter()
    with server(script, env) as (url, proc):
        wait_health(url, proc)
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(url)
        page.wait_for_selector(ready, timeout=60_000)
        elapsed = time.perf_counter() - start
        page.close()
    return elapsed


def b4_cold_start(quick: bool) -> tuple[list[float], list[float]]:
    reps = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_cold_start(browser, HELLO, {}, "text=Hello, StarVideos"))
            candidate.append(_cold_start(browser, ROOT / "app.py", sandbox_env(tmp), "button:has-text('Create video')"))
    return candidate, baseline


def b6_session_memory(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: MB per extra session with 10 sessions; baseline: the one-session server's RSS, for context."""
    sessions, reps = (4 if quick else 10), (1 if quick else 3)
    per_session, base_rss = [], []
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        env = sandbox_env(tmp)
        for _ in range(reps):
            with server(ROOT / "app.py", env) as (url, proc):
                wait_health(url, proc)
                pages = []
                for n in range(sessions):
                    context = browser.new_context()  # type: ignore[attr-defined]
                    page = context.new_page()
                    page.goto(f"{url}/history")
                    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)
                    page.wait_for_selector("text=No tasks yet", timeout=60_000)
                    pages.append(context)
                    if n == 0:
                        time.sleep(2)  # let the first session's fragment tick settle
                        gc.collect()
                        one = psutil.Process(proc.pid).memory_info().rss
                time.sleep(3)  # every session's fragment has ticked at least once
                many = psutil.Process(proc.pid).memory_info().rss
                per_session.append((many - one) / (sessions - 1) / 2**20)
                base_rss.append(one / 2**20)
                for context in pages:
                    context.close()
    return per_session, base_rss


_EXPORT_CHILD = """
import os, sys, tempfile, threading, time
sys.path.insert(0, sys.argv[1])
from starvideos.history import HistoryStore
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page / 2**20
store = HistoryStore(sys.argv[2])
store.count(); store.list(limit=5)
before, peak, done = rss(), [0.0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)
sampler = threading.Thread(target=sample); sampler.start()
with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as out:
    rows = store.write_csv(out) if sys.argv[3] == "csv" else store.write_json(out)
    size = out.tell()
done.set(); sampler.join()
print(rows, size, before, max(0.0, peak[0] - before))
"""


def b17_export_memory(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: extra peak MB of one export (CSV, then JSON) of 1,000,000 records, in a fresh process; baseline:
    that process's RSS before exporting, for context."""
    rows = 100_000 if quick else 1_000_000
    extra, before = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.sqlite3"
        _seed(path, rows)
        for kind in ("csv", "json"):
            out = subprocess.run([sys.executable, "-c", _EXPORT_CHILD, str(ROOT), str(path), kind],
                                 capture_output=True, text=True, timeout=900, check=True).stdout.split()
            assert int(out[0]) == rows, out
            before.append(float(out[2]))
            extra.append(float(out[3]))
    return extra, before


def b5_create_rerun(quick: bool) -> tuple[list[float], list[float]]:
    from streamlit.testing.v1 import AppTest
    reps = 10 if quick else 30
    with tempfile.TemporaryDirectory() as tmp, environment(**{**CLEAR, **sandbox_env(tmp)}), steady_router(), \
            fresh_backend():
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        steady_backend()

        def check() -> None:
            assert not app.exception

        return interleaved_reruns(app, reps, check)


