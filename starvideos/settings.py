"""Settings from the environment, a ``.env`` file and (in the app) ``.streamlit/secrets.toml``.

Order, first wins: the real environment, then the ``secrets`` mapping, then ``.env``, then the defaults. The app
reads the ``.env`` next to ``app.py``, wherever it is started from.
"""

from __future__ import annotations

import ipaddress
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
DEFAULT_STORAGE_URL = "data/media"
SANDBOX_STORAGE_URL = "data/sandbox-media"
MODES: tuple[Literal["auto", "live", "sandbox"], ...] = ("auto", "live", "sandbox")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Every setting the app reads, with its default and meaning: the README's table is generated from this.
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    "STARVIDEOS_API_KEY": ("(none)", "Bearer key for the live API. Without it, `auto` mode uses the sandbox."),
    "STARVIDEOS_MODE": ("auto", "`auto` (live when a key is set, else sandbox), `live` or `sandbox`."),
    "STARVIDEOS_BASE_URL": (DEFAULT_BASE_URL, "API base URL; a path prefix and trailing slash are fine."),
    "STARVIDEOS_STATUS_PATH": (DEFAULT_STATUS_PATH, "Status lookup path (undocumented upstream); must hold `{id}`."),
    "STARVIDEOS_MODELS": (",".join(DEFAULT_MODELS), "Comma-separated model names offered in the form."),
    "STARVIDEOS_DATABASE_URL": ("(none)", "A PostgreSQL URL (`postgresql://…` or `postgres://…`) shared by every "
                                          "replica. Unset: the SQLite file below."),
    "STARVIDEOS_HISTORY_PATH": (DEFAULT_HISTORY_PATH,
                                f"SQLite file of the task history when no database URL is set (sandbox default: "
                                f"`{SANDBOX_HISTORY_PATH}`)."),
    "STARVIDEOS_STORAGE_URL": (DEFAULT_STORAGE_URL, "Where uploads and copies of finished videos go: a folder or "
                                                    "`s3://bucket/prefix` (sandbox default: "
                                                    f"`{SANDBOX_STORAGE_URL}`)."),
    "STARVIDEOS_UPLOAD_URL_TTL": ("86400", "Seconds an uploaded image's signed link stays valid (S3)."),
    "STARVIDEOS_MAX_VIDEO_MB": ("500", "Largest finished video the app copies into storage, in MB."),
    "STARVIDEOS_CONNECT_TIMEOUT": ("5", "Seconds to wait for a connection."),
    "STARVIDEOS_READ_TIMEOUT": ("30", "Seconds to wait for an answer once connected."),
    "STARVIDEOS_POLL_INTERVAL": ("3", "Seconds between status lookups of each unfinished task."),
    "STARVIDEOS_MAX_LOOKUPS_PER_MINUTE": ("120", "Status lookups per minute for the whole deployment."),
    "STARVIDEOS_MAX_CREATES_PER_MINUTE": ("10", "Create requests per minute for the whole deployment; more wait in "
                                                "the queue."),
    "STARVIDEOS_MAX_IN_FLIGHT": ("20", "Unfinished tasks at once; the queue waits while this many are running."),
    "STARVIDEOS_PRICE_PER_SECOND": ("(none)", "Price of one second of video, for cost estimates and usage."),
    "STARVIDEOS_CURRENCY": ("USD", "Currency the price is in."),
    "STARVIDEOS_MONTHLY_BUDGET": ("(none)", "Creates that would pass this spend in a calendar month are refused."),
    "STARVIDEOS_ALLOW_PRIVATE_HOSTS": ("(none)", "Comma list of `host:port` private or loopback endpoints the app "
                                                 "may fetch from (a self-hosted bucket, a VPC gateway)."),
    "STARVIDEOS_ALLOWED_EMAILS": ("(none)", "With sign-in on: comma list of addresses and `@domain` entries that "
                                            "may enter (everyone signed in, when unset)."),
    "STARVIDEOS_TRUST_UNVERIFIED_EMAIL": ("0", "With sign-in on: `1` admits addresses from a provider that sends no "
                                               "`email_verified` claim (Microsoft Entra ID, some self-hosted ones). "
                                               "Only if it verifies every address itself; one it marks unverified "
                                               "is refused anyway."),
    "STARVIDEOS_APP_PASSWORD": ("(none)", "Optional shared password (when sign-in is off); nothing renders until "
                                          "it is entered."),
    "STARVIDEOS_PUBLIC_URL": ("(none)", "Host share links are built on, like `https://studio.example.com` "
                                        "(default: the host the browser used)."),
    "STARVIDEOS_SANDBOX_PORT": ("8765", "Port of the in-app sandbox; stable so stored sandbox URLs survive restarts "
                                        "(a free one is picked if it is taken; 0 always picks a free one)."),
    "STARVIDEOS_SANDBOX_SPEED": ("1", "Sandbox time scale: 2 makes simulated tasks finish twice as fast."),
    "STARVIDEOS_LOG_LEVEL": ("INFO", "Server log level of the app's own messages: DEBUG, INFO, WARNING or ERROR."),
    "STARVIDEOS_SECRET_KEY": ("(made once, kept in the database)",
                              "Signs media and export links and the session cookie (at least 32 characters). Unset, "
                              "a random one is made and shared by every replica through the database."),
    "STARVIDEOS_SESSION_HOURS": ("12", "Hours a browser stays in after the right password, until Sign out."),
    "STARVIDEOS_TRUSTED_PROXIES": ("127.0.0.1,::1", "Comma list of proxy addresses (or CIDR ranges) whose "
                                                   "`X-Forwarded-For` names the real client, for the password "
                                                   "throttle."),
    "STARVIDEOS_MEDIA_URL_TTL": ("3600", "Seconds a link to a stored video or picture stays valid (up to twice "
                                         "that; a page drawn again gets a fresh one)."),
    "STARVIDEOS_METRICS_TOKEN": ("(none)", "Bearer token for `/metrics`; unset, only loopback may read it."),
    "STARVIDEOS_NOTIFY_URL": ("(none)", "A Slack-compatible incoming webhook told when a task finishes and when a "
                                        "batch ends."),
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
    database_url: str | None = field(default=None, repr=False)
    """SQLAlchemy URL of a shared database; None uses the SQLite file (see ``history_file``)."""
    history_path: Path | None = None
    """SQLite file of the task history; None picks one per mode (see ``history_file``)."""
    storage_url: str | None = None
    """A folder or ``s3://bucket/prefix``; None picks one per mode (see ``storage``)."""
    upload_url_ttl: float = 86400.0
    """Seconds a signed upload link stays valid."""
    max_video_mb: float = 500.0
    """Largest video copied into storage."""
    mode: Literal["auto", "live", "sandbox"] = "auto"
    """Requested mode; see ``effective_mode``."""
    connect_timeout: float = 5.0
    """Seconds to wait for a connection."""
    read_timeout: float = 30.0
    """Seconds to wait for an answer."""
    poll_interval: float = 3.0
    """Seconds between status lookups of one unfinished task."""
    max_lookups_per_minute: float = 120.0
    """Status lookups per minute for the whole deployment."""
    max_creates_per_minute: float = 10.0
    """Create requests per minute for the whole deployment."""
    max_in_flight: int = 20
    """Unfinished tasks at once before the queue waits."""
    price_per_second: float | None = None
    """Price of one second of video, for estimates; None shows no prices."""
    currency: str = "USD"
    """Currency of ``price_per_second``."""
    monthly_budget: float | None = None
    """Spend per calendar month past which creates are refused."""
    allow_private_hosts: frozenset[tuple[str, int]] = frozenset()
    """``(host, port)`` private or loopback endpoints the app may fetch from."""
    allowed_emails: tuple[str, ...] = ()
    """Addresses and ``@domain`` entries allowed in when sign-in is on; empty allows everyone signed in."""
    trust_unverified_email: bool = False
    """Admit addresses whose provider sends no ``email_verified`` claim (one that says false is refused anyway)."""
    app_password: str | None = field(default=None, repr=False)
    """Optional shared password gating the app."""
    public_url: str | None = None
    """Base URL share links are built on."""
    sandbox_port: int = 8765
    """Port of the in-app sandbox; 0 picks a free one."""
    sandbox_speed: float = 1.0
    """Time scale of simulated tasks."""
    log_level: str = "INFO"
    """Level of the ``starvideos`` loggers."""
    secret_key: str | None = field(default=None, repr=False)
    """Signs media and export links and session cookies; None uses one kept in the database."""
    session_hours: float = 12.0
    """Hours a browser stays signed in after the right password."""
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    """Addresses or CIDR ranges of proxies whose ``X-Forwarded-For`` is believed."""
    media_url_ttl: float = 3600.0
    """Seconds a signed media link stays valid (up to twice this)."""
    metrics_token: str | None = field(default=None, repr=False)
    """Bearer token for ``/metrics``; None opens it to loopback only."""
    notify_url: str | None = field(default=None, repr=False)
    """Slack-compatible incoming webhook for notifications (its path is a secret)."""

    @property
    def effective_mode(self) -> Literal["live", "sandbox", "setup"]:
        """``live`` or ``sandbox`` as the app will run; ``setup`` when live was asked for without a key."""
        if self.mode == "sandbox" or (self.mode == "auto" and not self.api_key):
            return "sandbox"
        return "live" if self.api_key else "setup"

    @property
    def history_file(self) -> Path:
        """The SQLite file in use: simulated tasks never share a file with paid ones unless asked to."""
        if self.history_path is not None:
            return self.history_path
        return Path(SANDBOX_HISTORY_PATH if self.effective_mode == "sandbox" else DEFAULT_HISTORY_PATH)

    @property
    def storage(self) -> str:
        """The storage location in use: the sandbox keeps its own, like its history."""
        if self.storage_url:
            return self.storage_url
        return SANDBOX_STORAGE_URL if self.effective_mode == "sandbox" else DEFAULT_STORAGE_URL

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
        merged.update(_from_secrets(secrets or {}))
        merged.update(os.environ)
        environ = merged
    env = {k: v.strip() for k, v in environ.items() if k.startswith("STARVIDEOS_")}

    mode = env.get("STARVIDEOS_MODE") or "auto"
    known_mode = next((m for m in MODES if m == mode.lower()), None)
    if known_mode is None:
        raise SettingsError(f"STARVIDEOS_MODE must be auto, live or sandbox (got {mode!r}).")
    base_url = env.get("STARVIDEOS_BASE_URL") or DEFAULT_BASE_URL
    if not _is_http(base_url):
        raise SettingsError(f"STARVIDEOS_BASE_URL must be an http(s) URL like {DEFAULT_BASE_URL} (got {base_url!r}).")
    status_path = env.get("STARVIDEOS_STATUS_PATH") or DEFAULT_STATUS_PATH
    if "{id}" not in status_path:
        raise SettingsError(f"STARVIDEOS_STATUS_PATH must contain {{id}} where the task id goes "
                            f"(got {status_path!r}).")
    public_url = env.get("STARVIDEOS_PUBLIC_URL") or None
    if public_url and not _is_http(public_url):
        raise SettingsError(f"STARVIDEOS_PUBLIC_URL must be an http(s) URL like https://studio.example.com "
                            f"(got {public_url!r}).")
    secret_key = env.get("STARVIDEOS_SECRET_KEY") or None
    if secret_key is not None and len(secret_key) < 32:
        raise SettingsError("STARVIDEOS_SECRET_KEY must be at least 32 characters (a random one: "
                            "python -c 'import secrets; print(secrets.token_hex(32))').")
    notify_url = env.get("STARVIDEOS_NOTIFY_URL") or None
    if notify_url and not _is_http(notify_url):
        raise SettingsError("STARVIDEOS_NOTIFY_URL must be an http(s) URL, like a Slack incoming webhook's.")
    _check_storage_url(env.get("STARVIDEOS_STORAGE_URL") or "")
    log_level = (env.get("STARVIDEOS_LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"STARVIDEOS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {log_level!r}).")
    return Settings(
        api_key=env.get("STARVIDEOS_API_KEY") or None,
        base_url=base_url,
        status_path=status_path,
        models=_list(env, "STARVIDEOS_MODELS") or DEFAULT_MODELS,
        database_url=_database_url(env.get("STARVIDEOS_DATABASE_URL") or None),
        history_path=Path(env["STARVIDEOS_HISTORY_PATH"]) if env.get("STARVIDEOS_HISTORY_PATH") else None,
        storage_url=env.get("STARVIDEOS_STORAGE_URL") or None,
        upload_url_ttl=_number(env, "STARVIDEOS_UPLOAD_URL_TTL", 86400.0, minimum=60),
        max_video_mb=_number(env, "STARVIDEOS_MAX_VIDEO_MB", 500.0, minimum=1),
        mode=known_mode,
        connect_timeout=_number(env, "STARVIDEOS_CONNECT_TIMEOUT", 5.0),
        read_timeout=_number(env, "STARVIDEOS_READ_TIMEOUT", 30.0),
        poll_interval=_number(env, "STARVIDEOS_POLL_INTERVAL", 3.0),
        max_lookups_per_minute=_number(env, "STARVIDEOS_MAX_LOOKUPS_PER_MINUTE", 120.0, minimum=1),
        max_creates_per_minute=_number(env, "STARVIDEOS_MAX_CREATES_PER_MINUTE", 10.0, minimum=0.1),
        max_in_flight=int(_number(env, "STARVIDEOS_MAX_IN_FLIGHT", 20, minimum=1)),
        price_per_second=_optional_number(env, "STARVIDEOS_PRICE_PER_SECOND"),
        currency=env.get("STARVIDEOS_CURRENCY") or "USD",
        monthly_budget=_optional_number(env, "STARVIDEOS_MONTHLY_BUDGET"),
        allow_private_hosts=_endpoints(env.get("STARVIDEOS_ALLOW_PRIVATE_HOSTS") or ""),
        allowed_emails=tuple(e.lower() for e in _list(env, "STARVIDEOS_ALLOWED_EMAILS")),
        trust_unverified_email=_flag(env, "STARVIDEOS_TRUST_UNVERIFIED_EMAIL"),
        app_password=env.get("STARVIDEOS_APP_PASSWORD") or None,
        public_url=public_url.rstrip("/") if public_url else None,
        sandbox_port=int(_number(env, "STARVIDEOS_SANDBOX_PORT", 8765, minimum=0)),
        sandbox_speed=_number(env, "STARVIDEOS_SANDBOX_SPEED", 1.0),
        log_level=log_level,
        secret_key=secret_key,
        session_hours=_number(env, "STARVIDEOS_SESSION_HOURS", 12.0, minimum=0.1),
        trusted_proxies=_proxies(env.get("STARVIDEOS_TRUSTED_PROXIES")),
        media_url_ttl=_number(env, "STARVIDEOS_MEDIA_URL_TTL", 3600.0, minimum=30),
        metrics_token=env.get("STARVIDEOS_METRICS_TOKEN") or None,
        notify_url=notify_url,
    )


def _from_secrets(secrets: Mapping[str, object]) -> dict[str, str]:
    """Top-level ``STARVIDEOS_*`` keys, and a ``[connections.starvideos]`` table's ``url`` as the database URL."""
    found = {k: str(v) for k, v in secrets.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    connections = secrets.get("connections")
    table = connections.get("starvideos") if isinstance(connections, Mapping) else None
    if isinstance(table, Mapping) and isinstance(table.get("url"), str):
        found.setdefault("STARVIDEOS_DATABASE_URL", table["url"])
    return found


def _database_url(url: str | None) -> str | None:
    if url is None:
        return None
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme.split("+", 1)[0] not in ("postgres", "postgresql", "sqlite"):
        shown = scheme or "no scheme"
        raise SettingsError(f"STARVIDEOS_DATABASE_URL must be a postgresql:// (or postgres://, sqlite:///) URL "
                            f"(got {shown}).")
    return url


def _check_storage_url(url: str) -> None:
    """A folder or ``s3://bucket/prefix``, checked with the other settings (nothing starts with one that can't work)."""
    if not url:
        return
    if url.startswith("s3://"):
        if not url[len("s3://"):].partition("/")[0]:
            raise SettingsError(f"STARVIDEOS_STORAGE_URL {url!r} has no bucket: use s3://bucket/prefix.")
        return
    if "://" in url:
        raise SettingsError(f"STARVIDEOS_STORAGE_URL must be a folder or s3://bucket/prefix "
                            f"(got {url.split('://', 1)[0]}://…).")


def _proxies(raw: str | None) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return ("127.0.0.1", "::1")
    entries = tuple(e.strip() for e in raw.split(",") if e.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(f"STARVIDEOS_TRUSTED_PROXIES entries must be addresses or CIDR ranges, like "
                                f"10.0.0.0/8 (got {entry!r}).") from None
    return entries


def _endpoints(raw: str) -> frozenset[tuple[str, int]]:
    found = set()
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        host, sep, port = entry.rpartition(":")
        host = host.strip("[]").lower()
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"STARVIDEOS_ALLOW_PRIVATE_HOSTS entries must be host:port, like minio.internal:9000 "
                                f"(got {entry!r}).")
        found.add((host, int(port)))
    return frozenset(found)


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in (env.get(name) or "").split(",") if item.strip())


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


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


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "0").lower()
    if raw not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise SettingsError(f"{name} must be 1 or 0 (got {env[name]!r}).")
    return raw in ("1", "true", "yes", "on")


def _optional_number(env: Mapping[str, str], name: str) -> float | None:
    return _number(env, name, 0.0, minimum=0) if env.get(name) else None
