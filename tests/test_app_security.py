"""AppTest: password gate, setup page, settings errors, and the API key never reaching the page or the disk."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import runtime
from starvideos.access import GuessThrottle
from starvideos.history import HistoryFilter
from starvideos.sandbox import SandboxServer
from tests.apptest_support import new_app, plain, texts
from tests.conftest import DUMMY_KEY


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_password_gate(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that nothing renders or can be sent before the password (not even the page list); it is compared and
    never kept."""
    monkeypatch.setenv("STARVIDEOS_APP_PASSWORD", "correct horse")
    at = new_app().run()
    assert [t.label for t in at.text_input] == ["Password"]
    assert not at.button and not at.radio and not at.text_area and not at.sidebar.children
    assert [e.value for e in at.main if hasattr(e, "value")] == ["StarVideos Studio", ""]
    at.text_input(key="password_input").set_value("wrong").run()
    assert at.error[0].value == "That password is not right." and not at.text_area
    at.text_input(key="password_input").set_value("correct horse").run()
    assert not at.exception and at.text_area(key="form_prompt").label == "Prompt"
    assert at.session_state["password_input"] == ""
    assert "correct horse" not in repr(at.session_state)


def test_wrong_passwords_are_slowed_down(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that after three wrong passwords the gate says how long to wait, and judges nothing meanwhile, not
    even the right password."""
    monkeypatch.setenv("STARVIDEOS_APP_PASSWORD", "correct horse")
    clock = FakeClock()
    throttle = GuessThrottle(clock=clock)
    monkeypatch.setattr(runtime, "guess_throttle", lambda: throttle)
    at = new_app().run()
    for _ in range(4):
        at.text_input(key="password_input").set_value("wrong").run()
        assert at.error[0].value == "That password is not right."
    at.text_input(key="password_input").set_value("correct horse").run()
    assert at.warning[0].value == "Too many wrong passwords. Wait 2 seconds." and not at.text_area
    clock.now += 1.9
    at.text_input(key="password_input").set_value("correct horse").run()
    assert at.warning[0].value == "Too many wrong passwords. Wait 1 second." and not at.text_area
    clock.now += 0.2
    at.text_input(key="password_input").set_value("correct horse").run()
    assert at.text_area(key="form_prompt").label == "Prompt"


def test_live_without_key_shows_setup(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that live mode without a key shows exactly what to put where, and nothing else."""
    monkeypatch.setenv("STARVIDEOS_MODE", "live")
    at = new_app().run()
    assert not at.exception
    assert at.title[0].value == "Set up the live API"
    assert "STARVIDEOS_API_KEY=your-key-here" in [c.value for c in at.code]
    assert at.sidebar.warning[0].value == "**Setup needed**: live mode without an API key."


def test_bad_setting_is_a_plain_message(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a bad setting shows a message naming the variable, with no exception."""
    monkeypatch.setenv("STARVIDEOS_MODE", "production")
    at = new_app().run()
    assert not at.exception
    assert "STARVIDEOS_MODE must be auto, live or sandbox" in plain(at.error[0].value)


@pytest.fixture
def live_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The app in live mode with a dummy key, pointed at a sandbox standing in for the real API."""
    with SandboxServer(queued_seconds=0.1, processing_seconds=0.1, path_prefix="/kyyReactApiServer") as api:
        monkeypatch.setenv("STARVIDEOS_MODE", "live")
        monkeypatch.setenv("STARVIDEOS_API_KEY", DUMMY_KEY)
        monkeypatch.setenv("STARVIDEOS_BASE_URL", api.base_url + "/kyyReactApiServer/")
        yield api


def test_live_mode_sidebar_and_key_never_exposed(live_app: SandboxServer, app_env: Path) -> None:
    """Test live mode end to end: the key is sent to the API only, never shown, stored or exported."""
    at = new_app().run()
    assert at.sidebar.info[0].value == f"**Live** · 127.0.0.1:{live_app.port}"
    assert [c.value.rsplit("\n\n", 1)[-1] for c in at.sidebar.caption] == ["API key: configured"]
    at.text_area(key="form_prompt").set_value("live cat").run()
    at.button(key="create_button").click().run()
    assert not at.exception
    [sent] = live_app.received("POST")
    assert sent.headers["Authorization"] == f"Bearer {DUMMY_KEY}"
    assert sent.path == "/kyyReactApiServer/v1/starvideos/videos"
    pages = [texts(at)]
    task_id = runtime.backend().store.list()[0].task_id
    at.query_params["task"] = task_id
    at.switch_page("pages/history.py").run()
    pages.append(texts(at))
    at.query_params.clear()
    at.switch_page("pages/history.py").run()
    pages.append(texts(at))
    store = runtime.backend().store
    exports = io.StringIO()  # what the export route streams
    store.write_csv(exports, HistoryFilter())
    store.write_json(exports, HistoryFilter())
    exports = exports.getvalue()
    state = repr(at.session_state)
    db = Path(app_env / "history.sqlite3")
    dump = "\n".join(sqlite3.connect(db).iterdump())
    for where, text in {"page": "\n".join(pages), "exports": exports, "session state": state, "database": dump,
                        "backend repr": repr(runtime.backend())}.items():
        assert DUMMY_KEY not in text, f"API key found in {where}"
    assert task_id in exports


def test_error_echoing_the_key_is_redacted_on_the_page(live_app: SandboxServer) -> None:
    """Test that an API error echoing the key shows it redacted."""
    from starvideos.sandbox import Fault
    live_app.inject(Fault(401, json.dumps({"error": f"key {DUMMY_KEY} is revoked"}), method="POST"))
    at = new_app().run()
    at.text_area(key="form_prompt").set_value("x").run()
    at.button(key="create_button").click().run()
    assert "key \\*\\*\\* is revoked" in at.error[0].value
    assert DUMMY_KEY not in texts(at)
    assert DUMMY_KEY not in runtime.backend().store.list()[0].error


def test_config_toml_hardening() -> None:
    """Test that the shipped config hides error details and keeps XSRF protection and CORS on."""
    import tomllib
    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["enableXsrfProtection"] is True and config["server"]["enableCORS"] is True


def test_secrets_are_gitignored() -> None:
    """Test that .env, secrets.toml and databases are ignored by git."""
    ignore = (Path(__file__).parents[1] / ".gitignore").read_text().splitlines()
    for pattern in (".env", ".streamlit/secrets.toml", "*.sqlite3", "data/"):
        assert pattern in ignore


