"""Settings: defaults, .env loading without overriding the environment, and clear errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from starvideos import SettingsError, load_settings
from starvideos.settings import DEFAULT_BASE_URL


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
