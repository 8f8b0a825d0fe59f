"""The benchmark cases. Each returns (candidate seconds, baseline seconds) lists, measured interleaved in one run."""

from __future__ import annotations

import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

from bench.seed import seed_tasks
from components.testing import fresh_backend, steady_router
from starvideos import HistoryStore, StarVideosClient, VideoRequest
from starvideos.client import USER_AGENT
from starvideos.poller import StatusPoller
from starvideos.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "bench" / "hello_app.py"
KEY = "bench-key"


@dataclass
class Case:
    id: str
    what: str
    baseline: str
    target: float
    unit: str
    run: Callable[[bool], tuple[list[float], list[float]]]
    """Takes ``quick``; returns candidate and baseline samples."""


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# B1 ----------------------------------------------------------------------------------------------------------------

def b1_client_overhead(quick: bool) -> tuple[list[float], list[float]]:
    pairs, reps = (100, 3) if quick else (500, 5)
    request = VideoRequest("A lighthouse in a storm, slow aerial orbit", duration=6)
    with SandboxServer(queued_seconds=60) as sandbox:
        client = StarVideosClient(sandbox.base_url, KEY)
        session = requests.Session()
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json",
                   "Accept": "application/json", "User-Agent": USER_AGENT}
        body = json.dumps(request.to_payload()).encode()
        create_url = f"{sandbox.base_url}/v1/starvideos/videos"

        def with_client() -> None:
            for _ in range(pairs):
                client.get_video(client.create_video(request).id)

        def bare() -> None:
            for _ in range(pairs):
                task_id = session.post(create_url, data=body, headers=headers, timeout=30).json()["id"]
                session.get(f"{create_url}/{task_id}", headers=headers, timeout=30).json()

        with_client()
        bare()  # warm both pools
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_time(bare))
            candidate.append(_time(with_client))
            sandbox.clear()
    return candidate, baseline


# B2 ----------------------------------------------------------------------------------------------------------------

def _seed(path: Path, rows: int) -> None:
    seed_tasks(f"sqlite:///{path}", rows)


@contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _apptest_history_render(path: Path) -> float:
    from streamlit.testing.v1 import AppTest
    with _env(STARVIDEOS_MODE="sandbox", STARVIDEOS_API_KEY="", STARVIDEOS_HISTORY_PATH=str(path),
              STARVIDEOS_SANDBOX_PORT="0"), steady_router(), fresh_backend():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.switch_page("pages/history.py").run()  # warm: the first render opens the store
        elapsed = _time(at.run)
        assert not at.exception and at.dataframe, "History did not render"
        return elapsed


def b2_history_at_scale(quick: bool) -> tuple[list[float], list[float]]:
    big_rows, reps = (20_000 if quick else 100_000), (3 if quick else 7)
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small.sqlite3", Path(tmp) / "big.sqlite3"
        _seed(small, 100)
        _seed(big, big_rows)
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_apptest_history_render(small))
            candidate.append(_apptest_history_render(big))
    return candidate, baseline


# B3 ----------------------------------------------------------------------------------------------------------------

def b3_parallel_lookups(quick: bool) -> tuple[list[float], list[float]]:
    reps = 3 if quick else 7
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(queued_seconds=3600) as sandbox:
        client = StarVideosClient(sandbox.base_url, KEY)
        store = HistoryStore(Path(tmp) / "h.sqlite3")
        ids = []
        for i in range(25):
            task = client.create_video(VideoRequest(f"task {i}"))
            store.mark_created(store.record_attempt(VideoRequest(f"task {i}")), task)
            ids.append(task.id)
        sandbox.lookup_delay = 0.3
        poller = StatusPoller(client, store)
        poller.refresh(ids, force=True)  # warm-up: the pool starts its threads on first use
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_time(lambda: poller.refresh(ids[:1], force=True)))
            candidate.append(_time(lambda: poller.refresh(ids, force=True)))
        poller.close()
    return candidate, baseline


# B4, B6: a real server -----------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(script: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(10)


def _wait_health(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                return
        except requests.RequestException:
            pass
        time.sleep(0.02)
    raise TimeoutError("server did not start")


@contextmanager
def _chromium() -> Iterator[object]:
    import shutil

    from playwright.sync_api import sync_playwright
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def _app_env(tmp: str) -> dict[str, str]:
    return {"STARVIDEOS_MODE": "sandbox", "STARVIDEOS_API_KEY": "", "STARVIDEOS_SANDBOX_PORT": "0",
            "STARVIDEOS_HISTORY_PATH": str(Path(tmp) / "h.sqlite3")}


def _cold_start(browser: object, script: Path, env: dict[str, str], ready: str) -> float:
    start = time.perf_counter()
    with _server(script, env) as (url, proc):
        _wait_health(url, proc)
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(url)
        page.wait_for_selector(ready, timeout=60_000)
        elapsed = time.perf_counter() - start
        page.close()
    return elapsed


def b4_cold_start(quick: bool) -> tuple[list[float], list[float]]:
    reps = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp, _chromium() as browser:
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_cold_start(browser, HELLO, {}, "text=Hello, StarVideos"))
            candidate.append(_cold_start(browser, ROOT / "app.py", _app_env(tmp), "button:has-text('Create video')"))
    return candidate, baseline


def b6_session_memory(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: MB per extra session with 10 sessions; baseline: the one-session server's RSS, for context."""
    sessions, reps = (4 if quick else 10), (1 if quick else 3)
    per_session, base_rss = [], []
    with tempfile.TemporaryDirectory() as tmp, _chromium() as browser:
        env = _app_env(tmp)
        for _ in range(reps):
            with _server(ROOT / "app.py", env) as (url, proc):
                _wait_health(url, proc)
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


# B17 ---------------------------------------------------------------------------------------------------------------

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


# B5 ----------------------------------------------------------------------------------------------------------------

def b5_create_rerun(quick: bool) -> tuple[list[float], list[float]]:
    from streamlit.testing.v1 import AppTest
    reps = 10 if quick else 30
    with tempfile.TemporaryDirectory() as tmp, _env(**_app_env(tmp)), steady_router(), fresh_backend():
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        hello = AppTest.from_file(str(HELLO), default_timeout=60).run()
        candidate, baseline = [], []
        for i in range(reps):
            hello.text_input(key="name").set_value(f"name {i}")
            baseline.append(_time(hello.run))
            app.text_area(key="form_prompt").set_value(f"A fox runs through snow, take {i}")
            candidate.append(_time(app.run))
            assert not app.exception
    return candidate, baseline


CASES = [
    Case("B1", "client create+get, 500 pairs, sandbox", "bare requests.Session, same bytes", 1.15, "s",
         b1_client_overhead),
    Case("B2", "History render (AppTest), 100,000 records", "same page, 100 records", 1.3, "s", b2_history_at_scale),
    Case("B3", "live refresh of 25 tasks, 300 ms lookups", "one lookup", 2.0, "s", b3_parallel_lookups),
    Case("B4", "streamlit run app.py → Create rendered in Chromium", "hello-world app", 1.5, "s", b4_cold_start),
    Case("B5", "Create rerun after a prompt change (AppTest)", "hello-world rerun", 3.0, "s", b5_create_rerun),
    Case("B6", "RSS per extra History session (10 sessions)", "1-session server RSS (MB, context)", 15.0, "MB",
         b6_session_memory),
    Case("B17", "export of 1,000,000 records (CSV, JSON): extra peak", "process RSS before (MB, context)", 64.0, "MB",
         b17_export_memory),
]


def summarise(case: Case, candidate: list[float], baseline: list[float]) -> dict[str, object]:
    med_c, med_b = statistics.median(candidate), statistics.median(baseline)
    if case.id == "B6":
        value, ratio_text = med_c, f"{med_c:.1f} MB/session"
    elif case.unit == "MB":
        value, ratio_text = max(candidate), f"{max(candidate):.1f} MB"
    else:
        value, ratio_text = med_c / med_b, f"{med_c / med_b:.2f}×"
    return {
        "id": case.id, "what": case.what, "baseline": case.baseline, "unit": case.unit,
        "candidate_median": round(med_c, 4), "candidate_spread": [round(min(candidate), 4), round(max(candidate), 4)],
        "baseline_median": round(med_b, 4), "baseline_spread": [round(min(baseline), 4), round(max(baseline), 4)],
        "samples": len(candidate), "value": round(value, 3), "shown": ratio_text, "target": case.target,
        "pass": value <= case.target,
    }
