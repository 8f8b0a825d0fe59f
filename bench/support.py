"""What every benchmark shares: timing, environment, a real `streamlit run` server, Chromium, AppTest renders."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import text as sa_text

from components.testing import fresh_backend, steady_router
from starvideos.settings import SETTINGS_DOC

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "bench" / "hello_app.py"
KEY = "bench-key"
CLEAR = dict.fromkeys(SETTINGS_DOC, "")  # set, even if empty: they win over a developer's .env


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@contextmanager
def environment(**values: str) -> Iterator[None]:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(script: Path, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **CLEAR, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(10)


def wait_health(url: str, proc: subprocess.Popen[bytes]) -> None:
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
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"])
        try:
            yield browser
        finally:
            browser.close()


def sandbox_env(tmp: str | Path) -> dict[str, str]:
    return {"STARVIDEOS_MODE": "sandbox", "STARVIDEOS_API_KEY": "", "STARVIDEOS_SANDBOX_PORT": "0",
            "STARVIDEOS_HISTORY_PATH": str(Path(tmp) / "h.sqlite3"),
            "STARVIDEOS_STORAGE_URL": str(Path(tmp) / "media")}


def wait_idle(page: object) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]",  # type: ignore[attr-defined]
                           state="attached", timeout=60_000)


def apptest_render(page: str, **env: str) -> float:
    """Seconds for one warm AppTest rerun of ``page`` (its first render opens the store)."""
    from streamlit.testing.v1 import AppTest

    with environment(**{**CLEAR, "STARVIDEOS_MODE": "sandbox", "STARVIDEOS_SANDBOX_PORT": "0", **env}), \
            steady_router(), fresh_backend():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.switch_page(page).run()
        elapsed = timed(at.run)
        assert not at.exception, at.exception
        return elapsed


def steady_backend() -> None:
    """Start the app's data layer and let its background work settle, as on a server that has been up a while: its
    warm-up (a timer two seconds after the first visit) would otherwise land in the middle of the measurements."""
    from components import runtime

    backend = runtime.backend()
    backend.data  # noqa: B018 - builds the data layer, starting the poller, copier and queue
    backend.database.scalar(sa_text("SELECT 1"))
    time.sleep(1.0)


def interleaved_reruns(app: object, reps: int, check: Callable[[], None]) -> tuple[list[float], list[float]]:
    """Rerun ``app`` after a prompt change and a hello-world app after a text change, alternately, ``reps`` times;
    ``check`` runs after each app rerun (outside the timing)."""
    from streamlit.testing.v1 import AppTest

    hello = AppTest.from_file(str(HELLO), default_timeout=60).run()
    candidate, baseline = [], []
    for i in range(reps):
        hello.text_input(key="name").set_value(f"name {i}")
        baseline.append(timed(hello.run))
        app.text_area(key="form_prompt").set_value(f"A fox runs through snow, take {i}")  # type: ignore[attr-defined]
        candidate.append(timed(app.run))  # type: ignore[attr-defined]
        check()
    return candidate, baseline
