"""E2E fixtures: `streamlit run app.py` as a real server, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from starvideos.settings import SETTINGS_DOC

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results"
# An expectation waits as long as an action may (the pages' 30 s): on a loaded 2-core machine one rerun can take
# longer than Playwright's 5-second default, and a wait for a state bounds only how long a failure takes to show.
expect.set_options(timeout=30_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A running `streamlit run app.py`, its sandbox port and its history file."""

    history: Path
    sandbox_port: int
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    """Extra `streamlit run` options, like `--secrets.files`."""
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def start(self) -> AppServer:
        self.port = self.port or free_port()
        cleared = dict.fromkeys(SETTINGS_DOC, "")  # set, even if empty: they win over a developer's .env
        env = {**os.environ, **cleared, "STARVIDEOS_MODE": "sandbox", "STARVIDEOS_API_KEY": "",
               "STARVIDEOS_HISTORY_PATH": str(self.history), "STARVIDEOS_SANDBOX_PORT": str(self.sandbox_port),
               "STARVIDEOS_STORAGE_URL": str(self.history.parent / "media"),
               # Simulated tasks finish in about a second, looked up twice a second: a test waits for what it
               # checks, never for a slow provider (a test that needs a task in flight slows it down itself).
               "STARVIDEOS_SANDBOX_SPEED": "10", "STARVIDEOS_POLL_INTERVAL": "0.5", **self.env}
        log = (self.history.parent / f"streamlit-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             *self.args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "streamlit exited during start-up"
            try:
                if requests.get(f"{self.url}/_stcore/health", timeout=1).text == "ok":
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError("streamlit did not become healthy")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(10)

    def sandbox_requests(self) -> list[dict]:
        return requests.get(f"{self.sandbox_url}/_sandbox/requests", timeout=5).json()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[type]:
    servers: list[AppServer] = []

    def make(*, args: list[str] | None = None, port: int = 0, **env: str) -> AppServer:
        server = AppServer(history=tmp_path / "history.sqlite3", sandbox_port=free_port(), env=env, args=args or [],
                           port=port)
        servers.append(server)
        return server.start()

    yield make  # type: ignore[misc]
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """``new_page(**context_options)``: a page in a fresh browser of its own (cookies, storage), as a second person
    has. Each is closed when the test ends, so no page left playing a video slows the tests after it."""
    contexts: list[BrowserContext] = []

    def make(**options: object) -> Page:
        context = browser.new_context(**options)  # type: ignore[arg-type]
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        return pg

    yield make
    for context in contexts:
        context.close()


def wait_idle(page: Page) -> None:
    """Wait until the script has finished running (Streamlit's own e2e helper does the same)."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached")
    page.wait_for_timeout(100)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached")


def wait_settled(page: Page, quiet: float = 0.5, timeout: float = 30.0) -> None:
    """Wait until the app has not run for ``quiet`` seconds. A live part that settles (a cut made, a vote revealed)
    reruns the whole page once, and a click sent while that rerun is being asked for is lost: Streamlit keeps the
    newer request's page. A person clicks a moment later; a test that clicks the instant a result appears waits
    for the page to be still first."""
    idle = "[data-testid=stApp][data-test-script-state=notRunning]"
    deadline = time.monotonic() + timeout
    still_since = time.monotonic()
    while time.monotonic() - still_since < quiet:
        assert time.monotonic() < deadline, "the app never settled"
        if page.locator(idle).count() == 0:
            still_since = time.monotonic()
        time.sleep(0.05)


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot to test-results/ (and to docs/screenshots/ with UPDATE_SCREENSHOTS=1, for the README)."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(SHOTS / name, target / name)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for a condition outside the page (a row, a request the sandbox saw), checking every 50 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def stage_played_past(page: Page, record_id: int, seconds: float, timeout: float = 30.0) -> Locator:
    """Wait until Present's stage has played the take ``record_id`` past ``seconds``; returns its video. It is the
    take's own player (inside its shadow root: Playwright's locators reach it, ``document.querySelector`` does not),
    and the outgoing take's video lingers for a moment, so the take is named."""
    video = page.locator(f".st-key-present_stage .st-key-present_player_{record_id} video")
    wait_until(lambda: video.evaluate_all("(vs, s) => vs.length === 1 && vs[0].currentTime > s", seconds), timeout)
    return video
