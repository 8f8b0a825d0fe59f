"""End to end, for a team: sign-in against a real OpenID Connect provider on loopback, and three replicas of the
app sharing one PostgreSQL database (one history, one lookup per task per interval)."""

from __future__ import annotations

import itertools
import re
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from playwright.sync_api import Browser, Page, expect

from starvideos.history import HistoryStore
from starvideos.sandbox import SandboxServer
from starvideos.sandbox.postgres import LocalPostgres
from tests.conftest import DUMMY_KEY
from tests.e2e.conftest import AppServer, free_port, wait_idle
from tests.e2e.test_app_e2e import create_task, table_rows

pytestmark = pytest.mark.e2e


@pytest.fixture
def oidc() -> Iterator[str]:
    """A real OpenID Connect provider on 127.0.0.1: its sign-in form takes any subject, used as the email."""
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def secrets_file(tmp_path: Path, app_port: int, issuer: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "e2e-cookie-secret-not-for-production-0123456789"
client_id = "starvideos-studio"
client_secret = "e2e-client-secret"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
""")
    return path


def provider_user(issuer: str, sub: str, **claims: object) -> None:
    """Give the provider's user ``sub`` these claims (the mock's own admin route); by default only ``email``."""
    response = requests.put(f"{issuer}/users/{quote(sub, safe='@')}", json=claims, timeout=5)
    assert response.status_code == 204, response.text


def sign_in(page: Page, server: AppServer, email: str) -> None:
    page.goto(server.url)
    wait_idle(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name=sub]")
    page.fill("input[name=sub]", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(rf"^{re.escape(server.url)}"))
    wait_idle(page)


def test_sign_in_create_see_your_email_and_sign_out(make_server: type, browser: Browser, oidc: str,
                                                    tmp_path: Path) -> None:
    """Test sign-in end to end: nothing but "Sign in" at first; a listed address signs in through the provider,
    creates a task and sees its email on it; an address outside the allow-list is refused; sign out."""
    port = free_port()
    server: AppServer = make_server(port=port, args=["--secrets.files", str(secrets_file(tmp_path, port, oidc))],
                                    STARVIDEOS_ALLOWED_EMAILS="@team.test")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{server.url}/history")
    wait_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("[data-testid=stSidebarNav]")).to_have_count(0)

    provider_user(oidc, "ann@team.test", email="ann@team.test", email_verified=True)
    sign_in(page, server, "ann@team.test")
    expect(page.get_by_text("Signed in as ann@team.test")).to_be_visible()
    task_id = create_task(page, "Text to video", "Ann signs her lighthouse")
    page.goto(f"{server.url}/history")
    wait_idle(page)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stDataFrame] table td').length >= 8")
    [row] = table_rows(page)
    assert row[3] == "ann@team.test" and row[-1] == task_id
    assert HistoryStore(server.history).get_by_task_id(task_id).created_by == "ann@team.test"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(rf"^{re.escape(oidc)}/oauth2/end_session"))  # the provider ends its session too
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(rf"^{re.escape(server.url)}"))
    wait_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    context.close()

    outsider = browser.new_context().new_page()
    provider_user(oidc, "mallory@elsewhere.test", email="mallory@elsewhere.test", email_verified=True)
    sign_in(outsider, server, "mallory@elsewhere.test")
    expect(outsider.get_by_text("Not allowed.")).to_be_visible()
    expect(outsider.get_by_text(re.compile(r"^mallory@elsewhere\.test is not on this app's list\."))).to_be_visible()
    expect(outsider.get_by_role("button", name="Sign out")).to_be_visible()
    expect(outsider.locator("textarea")).to_have_count(0)


@pytest.mark.parametrize(("sub", "claims"), [
    ("ceo@example.com", {"email": "ceo@example.com", "email_verified": False}),
    ("ceo-unsaid@example.com", {"email": "ceo@example.com"}),
    ("mallory@evil.test@example.com", {"email": "mallory@evil.test@example.com", "email_verified": True}),
], ids=["unverified", "verification not said", "two @"])
def test_an_unverified_or_doubled_address_is_refused_after_a_real_sign_in(make_server: type, browser: Browser,
                                                                         oidc: str, tmp_path: Path, sub: str,
                                                                         claims: dict) -> None:
    """Test that with STARVIDEOS_ALLOWED_EMAILS=@example.com, a real provider's identity token for ceo@example.com
    with email_verified false (or without the claim), or for mallory@evil.test@example.com, gets "Not allowed" and
    "Sign out", nothing of the app, even on a deep link; a verified ann@example.com gets in."""
    port = free_port()
    server: AppServer = make_server(port=port, args=["--secrets.files", str(secrets_file(tmp_path, port, oidc))],
                                    STARVIDEOS_ALLOWED_EMAILS="@example.com")
    provider_user(oidc, sub, **claims)
    page = browser.new_context().new_page()
    sign_in(page, server, sub)
    expect(page.get_by_text(re.compile(r"^Not allowed\."))).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{server.url}/history")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Not allowed\."))).to_be_visible()
    wait_idle(page)  # "Not allowed" is drawn by the deep link's run: once it has ended, nothing else comes
    for app_part in ("textarea", "[data-testid=stDataFrame]", "[data-testid=stSidebarNav]"):
        expect(page.locator(app_part)).to_have_count(0)
    page.context.close()

    provider_user(oidc, "ann@example.com", email="ann@example.com", email_verified=True)
    member = browser.new_context().new_page()
    sign_in(member, server, "ann@example.com")
    expect(member.get_by_text("Signed in as ann@example.com")).to_be_visible()
    member.context.close()


def lookup_times(api: SandboxServer) -> dict[str, list[float]]:
    """When each task was looked up, per task id, in order."""
    times: dict[str, list[float]] = {}
    for request in api.received("GET"):
        times.setdefault(request.path.rsplit("/", 1)[-1], []).append(request.at)
    return times


@pytest.fixture(scope="module")
def shared_postgres() -> Iterator[LocalPostgres]:
    with LocalPostgres() as server:
        yield server


def test_three_replicas_share_history_and_lookups(make_server: type, browser: Browser,
                                                  shared_postgres: LocalPostgres) -> None:
    """Test that three `streamlit run` replicas on one PostgreSQL show the same history at once, and that with
    History open on each, every task is looked up once per interval for the whole deployment, not once per
    replica."""
    url = shared_postgres.create_database("three_replicas")
    with SandboxServer(queued_seconds=3600) as api:  # one provider for all three; tasks stay unfinished
        env = {"STARVIDEOS_MODE": "live", "STARVIDEOS_API_KEY": DUMMY_KEY, "STARVIDEOS_BASE_URL": api.base_url,
               "STARVIDEOS_DATABASE_URL": url, "STARVIDEOS_POLL_INTERVAL": "1"}
        with ThreadPoolExecutor(3) as starting:  # side by side: each start waits mostly on its own imports
            replicas: list[AppServer] = list(starting.map(lambda _: make_server(**env), range(3)))
        pages = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in replicas]
        pages[0].goto(replicas[0].url)
        wait_idle(pages[0])
        made = [create_task(pages[0], "Text to video", f"Replica take {n}") for n in range(2)]
        for page, replica in zip(pages, replicas, strict=True):
            page.goto(f"{replica.url}/history")
            wait_idle(page)
        for page in pages:  # the same history on every replica, at once
            page.wait_for_function("() => document.querySelectorAll('[data-testid=stDataFrame] table td').length >= 14")
            assert sorted(row[-1] for row in table_rows(page)) == sorted(made)
        api.clear()
        deadline = time.monotonic() + 60
        while set(lookup_times(api)) != set(made) or min(len(t) for t in lookup_times(api).values()) < 4:
            assert time.monotonic() < deadline, "the tasks are not followed"  # and still followed, again and again
            time.sleep(0.1)
        # Between them the replicas look a task up once per interval (1 s): each lookup sets when the next is due
        # for the whole deployment. Three replicas each on their own clock would leave gaps of a third of that. The
        # times are arrivals at the API, and one request delayed by a loaded machine shortens the gap after it, so
        # the typical gap is judged (the schedule itself is tested on a fake clock in test_poller).
        gaps = {task: [b - a for a, b in itertools.pairwise(times)] for task, times in lookup_times(api).items()}
        assert statistics.median(gap for times in gaps.values() for gap in times) >= 0.75, gaps
        for page in pages:
            page.context.close()
