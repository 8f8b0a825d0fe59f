"""E2E fixtures: `streamlit run app.py` as a real server, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from starvideos.settings import SETTINGS_DOC
from tests.conftest import empty_history

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-results"
# An expectation waits as long as an action may (the pages' 30 s): on a loaded 2-core machine one rerun can take
# longer than Playwright's 5-second default, and a wait for a state bounds only how long a failure takes to show.
expect.set_options(timeout=30_000)
# --in-process-gpu: with no GPU, a separate GPU process only composites in software and ships every frame to the
# browser process; in-process, three creates and a walk through History, Gallery and Boards took about 12 % less of
# Chromium's CPU.
# What Playwright itself turns off (its list as of 1.65; Chromium keeps only the last --disable-features it is given,
# so the list is repeated whole), and the address bar's suggestion popup: headless Chromium still builds it as a page
# of its own, which took a tenth of the browser tests' CPU.
PLAYWRIGHT_DISABLED = ("AimEnabled,AvoidCorsURLLoaderRestartOnRedirect,AvoidUnnecessaryBeforeUnloadCheckSync,"
                       "DestroyProfileOnBrowserClose,HttpsFirstBalancedModeAutoEnable,HttpsUpgrades,LensOverlay,"
                       "MediaRouter,NetworkTimeServiceQuerying,OptimizationHints,PaintHolding,PreconnectToSearch,"
                       "TcpPortRandomizationWin,ThirdPartyStoragePartitioning")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--in-process-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required",
                 f"--disable-features={PLAYWRIGHT_DISABLED},WebUIOmniboxPopup,WebUIOmniboxAimPopup"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _home_port() -> int:
    """A port below the ephemeral range (so no outgoing connection is handed it between two tests) for this test
    process's app servers: one address for the whole run lets the shared browser keep Streamlit's scripts cached."""
    for port in random.sample(range(20_000, 30_000), 200):
        if _bindable(port):
            return port
    return free_port()


class _ForkServer:
    """This test process's `tests.e2e.forkserver`, started on first use: servers forked from it skip the imports
    every `streamlit run` pays (about a CPU-second each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def ask(self, request: dict) -> dict:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = subprocess.Popen([sys.executable, "-m", "tests.e2e.forkserver"], cwd=ROOT,
                                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        assert answer, "the fork server ended"
        return json.loads(answer)

    def close(self) -> None:
        """End it (its input ends) and wait for it, so it never outlives the test process."""
        with self._lock:
            if self._process is not None and self._process.stdin is not None:
                self._process.stdin.close()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:  # seen once at a single-process run's exit; cause not found yet
                    self._process.kill()
                    self._process.wait()


_FORKS = _ForkServer()
atexit.register(_FORKS.close)


class ForkedServer:
    """A server forked by the fork server, with the part of ``subprocess.Popen`` the tests use."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.returncode: int | None = None
        self.pid: int = _FORKS.ask({"start": {"argv": argv, "env": env, "cwd": str(ROOT), "log": str(log)}})["pid"]

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = _FORKS.ask({"status": self.pid})["code"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
            time.sleep(0.05)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


HOME_PORT = _home_port()
_LIVE_PORTS: set[int] = set()
_PORTS_LOCK = threading.Lock()


@dataclass
class AppServer:
    """A running `streamlit run app.py`, its sandbox port and its history file."""

    history: Path
    sandbox_port: int
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    """Extra `streamlit run` options, like `--secrets.files`."""
    port: int = 0
    process: ForkedServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def start(self) -> AppServer:
        with _PORTS_LOCK:  # replicas start side by side: only one of them may take the run's own address
            if not self.port:  # the run's own address when it is free (a test's first server), else any
                self.port = HOME_PORT if HOME_PORT not in _LIVE_PORTS and _bindable(HOME_PORT) else free_port()
            _LIVE_PORTS.add(self.port)
        cleared = dict.fromkeys(SETTINGS_DOC, "")  # set, even if empty: they win over a developer's .env
        env = {**os.environ, **cleared, "STARVIDEOS_MODE": "sandbox", "STARVIDEOS_API_KEY": "",
               "STARVIDEOS_HISTORY_PATH": str(self.history), "STARVIDEOS_SANDBOX_PORT": str(self.sandbox_port),
               "STARVIDEOS_STORAGE_URL": str(self.history.parent / "media"),
               # Simulated tasks finish in about a second, looked up twice a second: a test waits for what it
               # checks, never for a slow provider (a test that needs a task in flight slows it down itself).
               "STARVIDEOS_SANDBOX_SPEED": "10", "STARVIDEOS_POLL_INTERVAL": "0.5", **self.env}
        self.process = ForkedServer(
            ["run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             # No test edits the app's sources while it runs; watching them re-scans every loaded module's path
             # for each new session: a first visit to a page cost the server nearly twice the CPU with it on.
             "--server.fileWatcherType", "none", *self.args],
            env, self.history.parent / f"streamlit-{self.port}.log")
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
        with _PORTS_LOCK:
            _LIVE_PORTS.discard(self.port)

    def sandbox_requests(self) -> list[dict]:
        return requests.get(f"{self.sandbox_url}/_sandbox/requests", timeout=5).json()


@pytest.fixture
def make_server(tmp_path: Path, migrated_history: Path) -> Iterator[type]:
    servers: list[AppServer] = []
    # An empty history at the newest schema, as the app's first start would make it (the migrations themselves are
    # tested on their own).
    history = empty_history(migrated_history, tmp_path / "history.sqlite3")

    def make(*, args: list[str] | None = None, port: int = 0, **env: str) -> AppServer:
        server = AppServer(history=history, sandbox_port=free_port(), env=env, args=args or [], port=port)
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


class _SharedContext:
    """The browser profile every test's ``page`` opens in, emptied of cookies and site storage before each test.
    Streamlit's scripts (about 2 s of CPU to fetch and compile in a fresh profile) stay cached in it, so a test pays
    for its own page, not for loading the front end again. A second person is ``new_page``: a profile of its own."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.context: BrowserContext | None = None

    def _closed(self, _: BrowserContext) -> None:
        self.context = None  # a test closed it (a person closing the browser); the next test gets a new one

    def open_page(self) -> Page:
        """A page in the profile, which holds no cookies, permissions or site storage (a draft kept in localStorage
        belongs to the address, which every test shares)."""
        if self.context is None:
            self.context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
            self.context.on("close", self._closed)
        self.context.clear_cookies()
        self.context.clear_permissions()
        page = self.context.new_page()
        cdp = self.context.new_cdp_session(page)
        cdp.send("Storage.clearDataForOrigin", {
            "origin": f"http://127.0.0.1:{HOME_PORT}",
            "storageTypes": "local_storage,session_storage,indexeddb,cache_storage,service_workers"})
        cdp.detach()
        return page


@pytest.fixture(scope="session")
def _shared_context(browser: Browser) -> Iterator[_SharedContext]:
    shared = _SharedContext(browser)
    yield shared
    if shared.context is not None:
        shared.context.close()


@pytest.fixture
def page(_shared_context: _SharedContext) -> Iterator[Page]:
    pg = _shared_context.open_page()
    pg.set_default_timeout(30_000)
    yield pg
    if _shared_context.context is not None:  # unless the test closed it
        for opened in _shared_context.context.pages:
            opened.close()  # stops its videos and live parts (and any tab it opened) before the next test


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


def result_task_id(page: Page, prompt: str) -> str:
    """The task id on Create's result card once it shows ``prompt`` as created, read after the run drawing it has
    finished: until then the card can still hold the elements drawn in its place by the run before (the task made
    before, with its id). The prompt must differ from the card's before: seeing it is what shows the run began."""
    result = page.locator(".st-key-create_result")
    expect(result.get_by_text(prompt, exact=True)).to_be_visible()
    expect(result.get_by_text("Task created.")).to_be_visible()
    wait_idle(page)
    return result.locator("code").inner_text().strip()


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
    """With UPDATE_SCREENSHOTS=1, save the README's screenshot ``name`` (docs/screenshots/, and test-results/). A
    whole page drawn for a picture nobody looks at costs the browser seconds of CPU (the Showcase files' three: 124
    → 116 CPU-s), so other runs skip it."""
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
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
