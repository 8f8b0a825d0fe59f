"""Settings from the environment, a ``.env`` file and (in the app) ``.streamlit/secrets.toml``.

Order, first wins: the real environment, then the ``secrets`` mapping, then ``.env``, then the defaults. The app
reads the ``.env`` next to ``app.py``, wherever it is started from.

Each setting is declared once, as a field of ``Settings`` (its default, how a value is read, its line in README);
loading, ``SETTINGS_DOC`` and README's table are made from those declarations.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar
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
T = TypeVar("T")

Parse = Callable[[str, str], Any]
"""Turns a variable's value (its name, and the value stripped and never empty) into the field's value, or raises
``SettingsError`` naming the variable and the fix."""


def _text(name: str, raw: str) -> str:
    return raw


def _items(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _http_url(name: str, raw: str, example: str) -> str:
    if not _is_http(raw):
        raise SettingsError(f"{name} must be an http(s) URL{example} (got {raw!r}).")
    return raw


def _webhook(name: str, raw: str) -> str:
    if not _is_http(raw):
        raise SettingsError(f"{name} must be an http(s) URL, like a Slack incoming webhook's.")
    return raw


def _mode(name: str, raw: str) -> Literal["auto", "live", "sandbox"]:
    known = next((m for m in MODES if m == raw.lower()), None)
    if known is None:
        raise SettingsError(f"{name} must be auto, live or sandbox (got {raw!r}).")
    return known


def _status_path(name: str, raw: str) -> str:
    if "{id}" not in raw:
        raise SettingsError(f"{name} must contain {{id}} where the task id goes (got {raw!r}).")
    return raw


def _secret_key(name: str, raw: str) -> str:
    if len(raw) < 32:
        raise SettingsError(f"{name} must be at least 32 characters (a random one: "
                            "python -c 'import secrets; print(secrets.token_hex(32))').")
    return raw


def _log_level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)} (got {level!r}).")
    return level


def _database_url(name: str, url: str) -> str:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme.split("+", 1)[0] not in ("postgres", "postgresql", "sqlite"):
        shown = scheme or "no scheme"
        raise SettingsError(f"{name} must be a postgresql:// (or postgres://, sqlite:///) URL (got {shown}).")
    return url


def _storage_url(name: str, url: str) -> str:
    """A folder or ``s3://bucket/prefix``, checked with the other settings (nothing starts with one that can't work)."""
    if url.startswith("s3://"):
        if not url[len("s3://"):].partition("/")[0]:
            raise SettingsError(f"{name} {url!r} has no bucket: use s3://bucket/prefix.")
    elif "://" in url:
        raise SettingsError(f"{name} must be a folder or s3://bucket/prefix (got {url.split('://', 1)[0]}://…).")
    return url


def _proxies(name: str, raw: str) -> tuple[str, ...]:
    entries = _items(raw)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(f"{name} entries must be addresses or CIDR ranges, like 10.0.0.0/8 "
                                f"(got {entry!r}).") from None
    return entries


def _endpoints(name: str, raw: str) -> frozenset[tuple[str, int]]:
    found = set()
    for entry in _items(raw):
        host, sep, port = entry.rpartition(":")
        host = host.strip("[]").lower()
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"{name} entries must be host:port, like minio.internal:9000 (got {entry!r}).")
        found.add((host, int(port)))
    return frozenset(found)


def _number(name: str, raw: str, *, minimum: float = 0.01) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r}).") from None
    if not value >= minimum:
        raise SettingsError(f"{name} must be at least {minimum:g} (got {raw!r}).")
    return value


def _at_least(minimum: float) -> Parse:
    return lambda name, raw: _number(name, raw, minimum=minimum)


def _whole(minimum: float) -> Parse:
    return lambda name, raw: int(_number(name, raw, minimum=minimum))


def _flag(name: str, raw: str) -> bool:
    if raw.lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise SettingsError(f"{name} must be 1 or 0 (got {raw!r}).")
    return raw.lower() in ("1", "true", "yes", "on")


def setting(default: T, doc: str, parse: Parse | None = None, *, shown: str | None = None,
            secret: bool = False) -> T:
    """Declare one setting, once: ``STARVIDEOS_<FIELD NAME>`` sets it, ``default`` is its value when unset,
    ``parse`` reads a set value (plain text when omitted), ``doc`` and ``shown`` (the default as README shows it,
    when the value alone would not say it) make its row in README's table; a ``secret`` stays out of ``repr``."""
    meta = {"doc": doc, "parse": parse or _text, "shown": shown}
    return field(default=default, repr=not secret, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Everything configurable: each field is one ``STARVIDEOS_*`` variable, declared once below."""

    api_key: str | None = setting(
        None, "Bearer key for the live API. Without it, `auto` mode uses the sandbox.", secret=True)
    mode: Literal["auto", "live", "sandbox"] = setting(
        "auto", "`auto` (live when a key is set, else sandbox), `live` or `sandbox`.", _mode)
    base_url: str = setting(
        DEFAULT_BASE_URL, "API base URL; a path prefix and trailing slash are fine.",
        lambda n, v: _http_url(n, v, f" like {DEFAULT_BASE_URL}"))
    status_path: str = setting(
        DEFAULT_STATUS_PATH, "Status lookup path (undocumented upstream); must hold `{id}`.",
        _status_path)
    models: tuple[str, ...] = setting(
        DEFAULT_MODELS, "Comma-separated model names offered in the form.",
        lambda n, v: _items(v) or DEFAULT_MODELS)
    database_url: str | None = setting(
        None, "A PostgreSQL URL (`postgresql://…` or `postgres://…`) shared by every replica. Unset: the SQLite "
              "file below.", _database_url, secret=True)
    history_path: Path | None = setting(  # noqa: RUF009 - setting() returns a dataclasses.field
        None, f"SQLite file of the task history when no database URL is set (sandbox default: "
              f"`{SANDBOX_HISTORY_PATH}`).", lambda n, v: Path(v), shown=DEFAULT_HISTORY_PATH)
    """None picks one per mode (see ``history_file``)."""
    storage_url: str | None = setting(
        None, f"Where uploads and copies of finished videos go: a folder or `s3://bucket/prefix` (sandbox default: "
              f"`{SANDBOX_STORAGE_URL}`).", _storage_url, shown=DEFAULT_STORAGE_URL)
    """None picks one per mode (see ``storage``)."""
    upload_url_ttl: float = setting(
        86400.0, "Seconds an uploaded image's signed link stays valid (S3).", _at_least(60))
    max_video_mb: float = setting(
        500.0, "Largest finished video the app copies into storage, in MB.", _at_least(1))
    max_cut_seconds: float = setting(
        300.0, "Longest cut (a board or chain made into one video), in seconds; a longer one is refused before any "
               "work starts.", _at_least(1))
    connect_timeout: float = setting(5.0, "Seconds to wait for a connection.", _number)
    read_timeout: float = setting(30.0, "Seconds to wait for an answer once connected.", _number)
    poll_interval: float = setting(
        3.0, "Seconds between status lookups of each unfinished task.", _number)
    max_lookups_per_minute: float = setting(
        120.0, "Status lookups per minute for the whole deployment.", _at_least(1))
    max_creates_per_minute: float = setting(
        10.0, "Create requests per minute for the whole deployment; more wait in the queue.",
        _at_least(0.1))
    max_in_flight: int = setting(
        20, "Unfinished tasks at once; the queue waits while this many are running.",
        _whole(1))
    price_per_second: float | None = setting(
        None, "Price of one second of video, for cost estimates and usage.", _at_least(0))
    """None shows no prices."""
    currency: str = setting("USD", "Currency the price is in.")
    monthly_budget: float | None = setting(
        None, "Creates that would pass this spend in a calendar month are refused.",
        _at_least(0))
    allow_private_hosts: frozenset[tuple[str, int]] = setting(
        frozenset(), "Comma list of `host:port` private or loopback endpoints the app may fetch from (a self-hosted "
                     "bucket, a VPC gateway).", _endpoints)
    allowed_emails: tuple[str, ...] = setting(
        (), "With sign-in on: comma list of addresses and `@domain` entries that may enter (everyone signed in, when "
            "unset).", lambda n, v: tuple(e.lower() for e in _items(v)))
    trust_unverified_email: bool = setting(
        False, "With sign-in on: `1` admits addresses from a provider that sends no `email_verified` claim (Microsoft "
               "Entra ID, some self-hosted ones). Only if it verifies every address itself; one it marks unverified "
               "is refused anyway.", _flag)
    app_password: str | None = setting(
        None, "Optional shared password (when sign-in is off); nothing renders until it is entered.", secret=True)
    public_url: str | None = setting(
        None, "Host share links are built on, like `https://studio.example.com` (default: the host the browser "
              "used).", lambda n, v: _http_url(n, v, " like https://studio.example.com").rstrip("/"))
    sandbox_port: int = setting(
        8765, "Port of the in-app sandbox; stable so stored sandbox URLs survive restarts (a free one is picked if "
              "it is taken; 0 always picks a free one).", _whole(0))
    sandbox_speed: float = setting(
        1.0, "Sandbox time scale: 2 makes simulated tasks finish twice as fast.", _number)
    log_level: str = setting(
        "INFO", "Server log level of the app's own messages: DEBUG, INFO, WARNING or ERROR.",
        _log_level)
    secret_key: str | None = setting(
        None, "Signs media and export links and the session cookie (at least 32 characters). Unset, a random one is "
              "made and shared by every replica through the database.", _secret_key,
        shown="(made once, kept in the database)", secret=True)
    session_hours: float = setting(
        12.0, "Hours a browser stays in after the right password, until Sign out.",
        _at_least(0.1))
    trusted_proxies: tuple[str, ...] = setting(
        ("127.0.0.1", "::1"), "Comma list of proxy addresses (or CIDR ranges) whose `X-Forwarded-For` names the "
                              "real client, for the password throttle.", _proxies)
    media_url_ttl: float = setting(
        3600.0, "Seconds a link to a stored video or picture stays valid (up to twice that; a page drawn again gets "
                "a fresh one).", _at_least(30))
    metrics_token: str | None = setting(
        None, "Bearer token for `/metrics`; unset, only loopback may read it.", secret=True)
    notify_url: str | None = setting(
        None, "A Slack-compatible incoming webhook told when a task finishes and when a batch ends.",
        _webhook, secret=True)
    """Its path is a secret."""

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


def env_name(item: Field[Any]) -> str:
    """The variable that sets a ``Settings`` field."""
    return f"STARVIDEOS_{item.name.upper()}"


def shown_default(item: Field[Any]) -> str:
    """A field's default as README's table shows it."""
    if item.metadata["shown"] is not None:
        return str(item.metadata["shown"])
    value = item.default
    if value is None or value in ((), frozenset()):
        return "(none)"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, (tuple, frozenset)):
        return ",".join(str(v) for v in value)
    return str(value)


# Every setting the app reads, with its default and meaning, in README's order.
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    env_name(item): (shown_default(item), item.metadata["doc"]) for item in fields(Settings)}


def settings_table() -> str:
    """README's configuration table, made from the declarations (paste it there when a setting changes)."""
    rows = [f"| `{name}` | `{default}` | {doc} |" for name, (default, doc) in SETTINGS_DOC.items()]
    return "\n".join(["| Variable | Default | Meaning |", "|---|---|---|", *rows])


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    secrets: Mapping[str, object] | None = None,
    dotenv_path: str | os.PathLike[str] = ".env",
) -> Settings:
    """Read settings. With ``environ`` given it is the whole source; otherwise the real environment wins over
    ``secrets`` (``.streamlit/secrets.toml``), which wins over the ``.env`` file. Unset or empty: the default."""
    if environ is None:
        merged: dict[str, str] = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
        merged.update(_from_secrets(secrets or {}))
        merged.update(os.environ)
        environ = merged
    values: dict[str, Any] = {}
    for item in fields(Settings):
        name = env_name(item)
        raw = (environ.get(name) or "").strip()
        if raw:
            values[item.name] = item.metadata["parse"](name, raw)
    return Settings(**values)


def _from_secrets(secrets: Mapping[str, object]) -> dict[str, str]:
    """Top-level ``STARVIDEOS_*`` keys, and a ``[connections.starvideos]`` table's ``url`` as the database URL."""
    found = {k: str(v) for k, v in secrets.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    connections = secrets.get("connections")
    table = connections.get("starvideos") if isinstance(connections, Mapping) else None
    if isinstance(table, Mapping) and isinstance(table.get("url"), str):
        found.setdefault("STARVIDEOS_DATABASE_URL", table["url"])
    return found
