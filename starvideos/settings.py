"""Settings from the environment, a ``.env`` file and (in the app) ``.streamlit/secrets.toml``.

Order, first wins: the real environment, then the ``secrets`` mapping, then ``.env``, then the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from dotenv import dotenv_values

from .errors import SettingsError
from .models import DEFAULT_MODELS

DEFAULT_BASE_URL = "https://zcbservice.aizfw.cn/kyyReactApiServer"
DEFAULT_STATUS_PATH = "/v1/starvideos/videos/{id}"
DEFAULT_HISTORY_PATH = "data/history.sqlite3"
SANDBOX_HISTORY_PATH = "data/sandbox-history.sqlite3"
MODES = ("auto", "live", "sandbox")

# Every setting the app reads, with its default and meaning: the README's table is generated from this.
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    "STARVIDEOS_API_KEY": ("(none)", "Bearer key for the live API. Without it, `auto` mode uses the sandbox."),
    "STARVIDEOS_MODE": ("auto", "`auto` (live when a key is set, else sandbox), `live` or `sandbox`."),
    "STARVIDEOS_BASE_URL": (DEFAULT_BASE_URL, "API base URL; a path prefix and trailing slash are fine."),
    "STARVIDEOS_STATUS_PATH": (DEFAULT_STATUS_PATH, "Status lookup path (undocumented upstream); must hold `{id}`."),
    "STARVIDEOS_MODELS": (",".join(DEFAULT_MODELS), "Comma-separated model names offered in the form."),
    "STARVIDEOS_HISTORY_PATH": (DEFAULT_HISTORY_PATH,
                                f"SQLite file of the task history (sandbox default: `{SANDBOX_HISTORY_PATH}`)."),
    "STARVIDEOS_CONNECT_TIMEOUT": ("5", "Seconds to wait for a connection."),
    "STARVIDEOS_READ_TIMEOUT": ("30", "Seconds to wait for an answer once connected."),
    "STARVIDEOS_POLL_INTERVAL": ("3", "Seconds between live status lookups on the History page."),
    "STARVIDEOS_SANDBOX_PORT": ("8765", "Port of the in-app sandbox; stable so stored sandbox URLs survive restarts "
                                        "(a free one is picked if it is taken; 0 always picks a free one)."),
    "STARVIDEOS_SANDBOX_SPEED": ("1", "Sandbox time scale: 2 makes simulated tasks finish twice as fast."),
    "STARVIDEOS_APP_PASSWORD": ("(none)", "Optional shared password; nothing renders until it is entered."),
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets are kept out of ``repr``."""

    api_key: str | None = field(default=None, repr=False)
    """Bearer key for the live API."""
    base_url: str = DEFAULT_BASE_URL
    """API base URL, possibly with a path prefix."""
    status_path: str = DEFAULT_STATUS_PATH
    """Path of the status lookup, with ``{id}`` where the task id goes."""
    models: tuple[str, ...] = DEFAULT_MODELS
    """Model names offered in the form and accepted by validation."""
    history_path: Path | None = None
    """SQLite file of the task history; None picks one per mode (see ``history_file``)."""
    mode: Literal["auto", "live", "sandbox"] = "auto"
    """Requested mode; see ``effective_mode``."""
    connect_timeout: float = 5.0
    """Seconds to wait for a connection."""
    read_timeout: float = 30.0
    """Seconds to wait for an answer."""
    poll_interval: float = 3.0
    """Seconds between live status lookups."""
    sandbox_port: int = 8765
    """Port of the in-app sandbox; 0 picks a free one."""
    sandbox_speed: float = 1.0
    """Time scale of simulated tasks."""
    app_password: str | None = field(default=None, repr=False)
    """Optional shared password gating the app."""

    @property
    def effective_mode(self) -> Literal["live", "sandbox", "setup"]:
        """``live`` or ``sandbox`` as the app will run; ``setup`` when live was asked for without a key."""
        if self.mode == "sandbox" or (self.mode == "auto" and not self.api_key):
            return "sandbox"
        return "live" if self.api_key else "setup"

    @property
    def history_file(self) -> Path:
        """The history file in use: simulated tasks never share a file with paid ones unless asked to."""
        if self.history_path is not None:
            return self.history_path
        return Path(SANDBOX_HISTORY_PATH if self.effective_mode == "sandbox" else DEFAULT_HISTORY_PATH)

    @property
    def api_host(self) -> str:
        """The host of ``base_url``, for showing which API is in use."""
        return urlsplit(self.base_url).netloc


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    secrets: Mapping[str, object] | None = None,
    dotenv_path: str | os.PathLike[str] = ".env",
) -> Settings:
    """Read settings. With ``environ`` given it is the whole source; otherwise the real environment wins over
    ``secrets`` (``.streamlit/secrets.toml``), which wins over the ``.env`` file."""
    if environ is None:
        merged: dict[str, str] = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
        merged.update({k: str(v) for k, v in (secrets or {}).items() if isinstance(v, (str, int, float))})
        merged.update(os.environ)
        environ = merged
    env = {k: v.strip() for k, v in environ.items() if k.startswith("STARVIDEOS_")}

    mode = env.get("STARVIDEOS_MODE") or "auto"
    if mode.lower() not in MODES:
        raise SettingsError(f"STARVIDEOS_MODE must be auto, live or sandbox (got {mode!r}).")
    base_url = env.get("STARVIDEOS_BASE_URL") or DEFAULT_BASE_URL
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"STARVIDEOS_BASE_URL must be an http(s) URL like {DEFAULT_BASE_URL} (got {base_url!r}).")
    status_path = env.get("STARVIDEOS_STATUS_PATH") or DEFAULT_STATUS_PATH
    if "{id}" not in status_path:
        raise SettingsError(f"STARVIDEOS_STATUS_PATH must contain {{id}} where the task id goes "
                            f"(got {status_path!r}).")
    models = tuple(m.strip() for m in (env.get("STARVIDEOS_MODELS") or "").split(",") if m.strip())
    return Settings(
        api_key=env.get("STARVIDEOS_API_KEY") or None,
        base_url=base_url,
        status_path=status_path,
        models=models or DEFAULT_MODELS,
        history_path=Path(env["STARVIDEOS_HISTORY_PATH"]) if env.get("STARVIDEOS_HISTORY_PATH") else None,
        mode=mode.lower(),  # type: ignore[arg-type]
        connect_timeout=_number(env, "STARVIDEOS_CONNECT_TIMEOUT", 5.0),
        read_timeout=_number(env, "STARVIDEOS_READ_TIMEOUT", 30.0),
        poll_interval=_number(env, "STARVIDEOS_POLL_INTERVAL", 3.0),
        sandbox_port=int(_number(env, "STARVIDEOS_SANDBOX_PORT", 8765, minimum=0)),
        sandbox_speed=_number(env, "STARVIDEOS_SANDBOX_SPEED", 1.0),
        app_password=env.get("STARVIDEOS_APP_PASSWORD") or None,
    )


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.01) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r}).") from None
    if not value >= minimum:
        raise SettingsError(f"{name} must be at least {minimum:g} (got {raw!r}).")
    return value
