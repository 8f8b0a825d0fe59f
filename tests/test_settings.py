"""Settings: defaults, .env loading without overriding the environment, and clear errors naming the variable."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from starvideos import SettingsError, load_settings
from starvideos.settings import DEFAULT_BASE_URL, SETTINGS_DOC, Settings, env_name


def test_defaults() -> None:
    """Test that an empty environment gives the documented defaults and sandbox mode."""
    s = load_settings({})
    assert (s.base_url, s.status_path, s.models, s.history_file, s.mode) == (
        DEFAULT_BASE_URL, "/v1/starvideos/videos/{id}", ("starvideos_v3",), Path("data/sandbox-history.sqlite3"),
        "auto")
    assert s.effective_mode == "sandbox"
    assert load_settings({"STARVIDEOS_API_KEY": "k"}).history_file == Path("data/history.sqlite3")
    assert load_settings({"STARVIDEOS_HISTORY_PATH": "/tmp/h.db"}).history_file == Path("/tmp/h.db")


@pytest.mark.parametrize(("env", "mode"), [
    ({"STARVIDEOS_API_KEY": "k"}, "live"),
    ({"STARVIDEOS_API_KEY": "k", "STARVIDEOS_MODE": "sandbox"}, "sandbox"),
    ({"STARVIDEOS_MODE": "live"}, "setup"),
    ({"STARVIDEOS_MODE": "LIVE", "STARVIDEOS_API_KEY": "k"}, "live"),
])
def test_effective_mode(env: dict[str, str], mode: str) -> None:
    """Test that auto picks live with a key, sandbox without; live without a key needs setup."""
    assert load_settings(env).effective_mode == mode


@pytest.mark.parametrize(("env", "message"), [
    ({"STARVIDEOS_MODE": "prod"}, "STARVIDEOS_MODE must be auto, live or sandbox (got 'prod')."),
    ({"STARVIDEOS_BASE_URL": "zcbservice.aizfw.cn"}, "STARVIDEOS_BASE_URL must be an http(s) URL"),
    ({"STARVIDEOS_STATUS_PATH": "/v1/videos"}, "STARVIDEOS_STATUS_PATH must contain {id}"),
    ({"STARVIDEOS_READ_TIMEOUT": "soon"}, "STARVIDEOS_READ_TIMEOUT must be a number (got 'soon')."),
    ({"STARVIDEOS_POLL_INTERVAL": "0"}, "STARVIDEOS_POLL_INTERVAL must be at least 0.01 (got '0')."),
])
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    """Test that each bad value raises SettingsError naming the variable."""
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert str(info.value).startswith(message)


def test_models_list_and_key_hidden_from_repr() -> None:
    """Test that the models list is parsed and the key and password never appear in repr."""
    s = load_settings({"STARVIDEOS_MODELS": " a , b,,", "STARVIDEOS_API_KEY": "sk-secret",
                       "STARVIDEOS_APP_PASSWORD": "pw-secret"})
    assert s.models == ("a", "b")
    assert "sk-secret" not in repr(s) and "pw-secret" not in repr(s)


def test_order_environment_then_secrets_then_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that the real environment wins over secrets.toml, which wins over .env; .env fills the rest."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("STARVIDEOS_BASE_URL=http://from-dotenv.test\nSTARVIDEOS_MODELS=m_dotenv\n"
                      "STARVIDEOS_READ_TIMEOUT=11\n")
    monkeypatch.setenv("STARVIDEOS_BASE_URL", "http://from-env.test")
    secrets = {"STARVIDEOS_BASE_URL": "http://from-secrets.test", "STARVIDEOS_MODELS": "m_secrets"}
    s = load_settings(secrets=secrets, dotenv_path=dotenv)
    assert (s.base_url, s.models, s.read_timeout) == ("http://from-env.test", ("m_secrets",), 11.0)
    import os
    assert "STARVIDEOS_READ_TIMEOUT" not in os.environ  # .env is read, not written into the process


def test_team_settings_defaults_and_parsing() -> None:
    """Test the team, storage, pacing and cost settings: defaults, and their parsed forms."""
    s = load_settings({})
    assert (s.database_url, s.storage, s.max_lookups_per_minute, s.max_creates_per_minute, s.max_in_flight) == (
        None, "data/sandbox-media", 120.0, 10.0, 20)
    assert (s.upload_url_ttl, s.max_video_mb, s.price_per_second, s.currency, s.monthly_budget) == (
        86400.0, 500.0, None, "USD", None)
    assert s.max_cut_seconds == 300.0
    assert load_settings({"STARVIDEOS_MAX_CUT_SECONDS": "90"}).max_cut_seconds == 90.0
    assert load_settings({"STARVIDEOS_API_KEY": "k"}).storage == "data/media"
    s = load_settings({"STARVIDEOS_ALLOW_PRIVATE_HOSTS": "minio.internal:9000, 10.0.0.5:443,[::1]:8080",
                       "STARVIDEOS_ALLOWED_EMAILS": "Ann@Team.test, @example.com",
                       "STARVIDEOS_PUBLIC_URL": "https://studio.example.com/", "STARVIDEOS_PRICE_PER_SECOND": "0.05",
                       "STARVIDEOS_MONTHLY_BUDGET": "200", "STARVIDEOS_DATABASE_URL": "postgres://u:p@db/app"})
    assert s.allow_private_hosts == {("minio.internal", 9000), ("10.0.0.5", 443), ("::1", 8080)}
    assert s.allowed_emails == ("ann@team.test", "@example.com")
    assert (s.public_url, s.price_per_second, s.monthly_budget) == ("https://studio.example.com", 0.05, 200.0)
    assert s.database_url == "postgres://u:p@db/app" and "u:p@db" not in repr(s)


@pytest.mark.parametrize(("env", "message"), [
    ({"STARVIDEOS_ALLOW_PRIVATE_HOSTS": "minio.internal"},
     "STARVIDEOS_ALLOW_PRIVATE_HOSTS entries must be host:port, like minio.internal:9000 (got 'minio.internal')."),
    ({"STARVIDEOS_ALLOW_PRIVATE_HOSTS": "a:99999"}, "STARVIDEOS_ALLOW_PRIVATE_HOSTS entries must be host:port"),
    ({"STARVIDEOS_DATABASE_URL": "mysql://db/app"},
     "STARVIDEOS_DATABASE_URL must be a postgresql:// (or postgres://, sqlite:///) URL (got mysql)."),
    ({"STARVIDEOS_PUBLIC_URL": "studio.example.com"}, "STARVIDEOS_PUBLIC_URL must be an http(s) URL"),
    ({"STARVIDEOS_MAX_IN_FLIGHT": "0"}, "STARVIDEOS_MAX_IN_FLIGHT must be at least 1 (got '0')."),
    ({"STARVIDEOS_MAX_CUT_SECONDS": "five minutes"}, "STARVIDEOS_MAX_CUT_SECONDS must be a number (got 'five "
                                                     "minutes')."),
    ({"STARVIDEOS_LOG_LEVEL": "loud"}, "STARVIDEOS_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
])
def test_bad_team_values_name_the_variable(env: dict[str, str], message: str) -> None:
    """Test that each bad team setting raises SettingsError naming the variable and the fix."""
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert str(info.value).startswith(message)


def test_database_url_from_a_connections_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test that secrets.toml's [connections.starvideos] url is the database URL (Streamlit's own style)."""
    monkeypatch.delenv("STARVIDEOS_DATABASE_URL", raising=False)
    s = load_settings(secrets={"connections": {"starvideos": {"url": "postgresql://u@db/app"}}},
                      dotenv_path=tmp_path / "none.env")
    assert s.database_url == "postgresql://u@db/app"


def test_dotenv_is_read_next_to_app_py(tmp_path: Path) -> None:
    """Test that `streamlit run some/dir/app.py` started from elsewhere reads the .env next to app.py."""
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "elsewhere").mkdir()
    app_copy = tmp_path / "studio"
    shutil.copytree(root, app_copy, ignore=shutil.ignore_patterns(".git", "data", "test-results", "__pycache__",
                                                                   "docs", ".env"))
    (app_copy / ".env").write_text("STARVIDEOS_MODELS=from_dotenv_next_to_app\n")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); "
              "from components import runtime; print(runtime.settings().models)")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("STARVIDEOS_")}
    out = subprocess.run([sys.executable, "-c", script, str(app_copy)], cwd=tmp_path / "elsewhere", env=env,
                         capture_output=True, text=True, timeout=60)
    assert "('from_dotenv_next_to_app',)" in out.stdout, out.stderr


def test_every_setting_is_declared_once() -> None:
    """Test that every Settings field is one declared setting, with one variable, one README row, and one default
    that the dataclass, loading and README agree on."""
    names = [env_name(item) for item in fields(Settings)]
    assert names == list(SETTINGS_DOC) and len(set(names)) == len(names)
    assert all(item.metadata["doc"] and callable(item.metadata["parse"]) for item in fields(Settings))
    assert load_settings({}) == Settings()
    for item in fields(Settings):
        shown, _doc = SETTINGS_DOC[env_name(item)]
        if item.metadata["shown"] is None and shown != "(none)":
            # README's default, set explicitly, means what leaving the variable unset means.
            assert getattr(load_settings({env_name(item): shown}), item.name) == item.default, item.name
