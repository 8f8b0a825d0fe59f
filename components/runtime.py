"""Per-process resources (settings, database, client, stores, background workers, sandbox) and per-session
identity (session id, signed-in user).

``st.cache_resource`` makes each resource exist once per server process, shared by every browser session; each is
thread-safe (see their classes). Nothing here connects to the database on creation: the status poller warms it up
in the background, and a page that needs it reports plainly when it cannot be used.
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from starvideos.access import GuessThrottle
from starvideos.client import StarVideosClient
from starvideos.errors import DatabaseError
from starvideos.probe import ProbeService
from starvideos.sandbox import SandboxServer
from starvideos.settings import Settings, load_settings

if TYPE_CHECKING:
    from starvideos.copier import MediaCopier, MediaStore
    from starvideos.database import Database
    from starvideos.estimates import Estimates
    from starvideos.history import HistoryStore
    from starvideos.poller import StatusPoller
    from starvideos.presets import PresetStore
    from starvideos.queue import CreateQueue
    from starvideos.showcase import Showcase
    from starvideos.storage import Storage
    from starvideos.uploads import UploadStore

log = logging.getLogger("starvideos.app")
APP_DIR = Path(__file__).resolve().parents[1]
SANDBOX_KEY = "sandbox-key-not-secret"  # the sandbox accepts any bearer token
# The data layer and its workers start a moment after the first page is drawn: the first paint never waits on
# SQLAlchemy, Alembic or a migration (B4), and a page that needs them earlier builds them at once.
WARM_UP_DELAY = 2.0
_STARTED: list[Backend] = []


@dataclass(frozen=True)
class DataLayer:
    """Everything that needs the database: the stores and the background workers."""

    database: Database
    store: HistoryStore
    poller: StatusPoller
    storage: Storage
    uploads: UploadStore
    media: MediaStore
    copier: MediaCopier
    showcase: Showcase
    estimates: Estimates
    queue: CreateQueue
    presets: PresetStore

    def close(self) -> None:
        self.poller.close()
        self.copier.close()
        self.queue.close()
        self.database.dispose()


class Backend:
    """Everything a page talks to. One per process; the data layer is built on first use (or by the warm-up)."""

    def __init__(self, settings: Settings, client: StarVideosClient, probes: ProbeService,
                 sandbox: SandboxServer | None) -> None:
        self.settings = settings
        self.client = client
        self.probes = probes
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._data: DataLayer | None = None
        self._warm_up = threading.Timer(WARM_UP_DELAY, self._warm)
        self._warm_up.daemon = True
        self._warm_up.start()

    def __repr__(self) -> str:
        return f"Backend(mode={self.settings.effective_mode!r}, client={self.client!r})"

    @property
    def data(self) -> DataLayer:
        with self._lock:
            if self._data is None:
                self._data = _data_layer(self.settings, self.client, self.fetch_allow)
            return self._data

    @property
    def database(self) -> Database:
        return self.data.database

    @property
    def store(self) -> HistoryStore:
        return self.data.store

    @property
    def poller(self) -> StatusPoller:
        return self.data.poller

    @property
    def storage(self) -> Storage:
        return self.data.storage

    @property
    def uploads(self) -> UploadStore:
        return self.data.uploads

    @property
    def media(self) -> MediaStore:
        return self.data.media

    @property
    def copier(self) -> MediaCopier:
        return self.data.copier

    @property
    def showcase(self) -> Showcase:
        return self.data.showcase

    @property
    def estimates(self) -> Estimates:
        return self.data.estimates

    @property
    def queue(self) -> CreateQueue:
        return self.data.queue

    @property
    def presets(self) -> PresetStore:
        return self.data.presets

    @property
    def uploads_possible(self) -> bool:
        """Uploads need a link the API can fetch: a bucket's signed link, or (sandbox) the sandbox's own."""
        return self.settings.storage.startswith("s3://") or self.sandbox is not None

    def upload_link(self, key: str) -> str | None:
        """A link the API can fetch for a stored upload, signed afresh (so an old task reused gets a live one)."""
        signed = self.storage.signed_url(key, self.settings.upload_url_ttl)
        if signed is not None:
            return signed
        return self.sandbox.file_url(key) if self.sandbox is not None else None

    @property
    def fetch_allow(self) -> frozenset[tuple[str, int]]:
        """Private endpoints the app may fetch from: the settings' list, and the sandbox's own address."""
        own = {("127.0.0.1", self.sandbox.port)} if self.sandbox is not None else set()
        return frozenset(self.settings.allow_private_hosts | own)

    def database_problem(self) -> DatabaseError | None:
        """None when the database can be used; otherwise the plain-language reason (it retries every few seconds)."""
        try:
            self.database.ensure_ready()
        except DatabaseError as exc:
            return exc
        return None

    def known_database_problem(self) -> DatabaseError | None:
        """The database's last failure, if one is known, without waiting for it (for pages that should not)."""
        return self._data.database.known_problem() if self._data is not None else None

    def _warm(self) -> None:
        try:
            self.data  # noqa: B018 - building it starts the poller, which opens and migrates the database
        except Exception:
            log.exception("the data layer could not be started")

    def close(self) -> None:
        self._warm_up.cancel()
        with self._lock:
            if self._data is not None:
                self._data.close()
        self.probes.close()
        if self.sandbox is not None:
            self.sandbox.stop()


def _data_layer(s: Settings, client: StarVideosClient, allow: frozenset[tuple[str, int]]) -> DataLayer:
    from starvideos.copier import MediaCopier, MediaStore
    from starvideos.database import Database
    from starvideos.estimates import Estimates
    from starvideos.history import HistoryStore
    from starvideos.limits import RateLimiter
    from starvideos.poller import StatusPoller
    from starvideos.presets import PresetStore
    from starvideos.queue import CreateQueue
    from starvideos.showcase import Showcase
    from starvideos.storage import open_storage
    from starvideos.uploads import UploadStore

    database = Database.from_settings(s)
    store = HistoryStore(database)
    budget = RateLimiter(database, "lookups", per_minute=s.max_lookups_per_minute,
                         burst=max(1.0, s.max_lookups_per_minute / 2))
    poller = StatusPoller(client, store, interval=s.poll_interval, budget=budget).start()
    storage = open_storage(s.storage)
    media = MediaStore(database)
    copier = MediaCopier(media, storage, allow=allow, max_video_mb=s.max_video_mb, connect_timeout=s.connect_timeout,
                         read_timeout=s.read_timeout).start()
    estimates = Estimates(database, price_per_second=s.price_per_second, currency=s.currency,
                          monthly_budget=s.monthly_budget)
    queue = CreateQueue(database, store, client, per_minute=s.max_creates_per_minute, max_in_flight=s.max_in_flight,
                        estimates=estimates).start()
    return DataLayer(database, store, poller, storage, UploadStore(database, storage), media, copier,
                     Showcase(database), estimates, queue, PresetStore(database))


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Settings, read once per process: environment > .streamlit/secrets.toml > .env next to app.py > defaults."""
    secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    loaded = load_settings(secrets=secrets, dotenv_path=APP_DIR / ".env")
    _configure_logging(loaded)
    return loaded


@st.cache_resource(show_spinner=False)
def backend() -> Backend:
    s = settings()
    sandbox = None
    if s.effective_mode == "sandbox":
        timing = {"queued_seconds": 3 / s.sandbox_speed, "processing_seconds": 6 / s.sandbox_speed}
        # With local storage the sandbox serves its files, as a bucket's signed links would be served.
        files = None if s.storage.startswith("s3://") else Path(s.storage)
        try:
            sandbox = SandboxServer(s.sandbox_port, files=files, **timing).start()
        except OSError:  # the stable port is taken (another app instance): any free port will do
            sandbox = SandboxServer(0, files=files, **timing).start()
        client = StarVideosClient(sandbox.base_url, SANDBOX_KEY, timeout=(s.connect_timeout, s.read_timeout),
                                  models=s.models)
    else:
        assert s.api_key, "setup mode has no backend"
        client = StarVideosClient(s.base_url, s.api_key, status_path=s.status_path, models=s.models,
                                  timeout=(s.connect_timeout, s.read_timeout))
    allow = s.allow_private_hosts | ({("127.0.0.1", sandbox.port)} if sandbox else set())
    # A reference image gets at most 15 seconds (less when the API's own read timeout is shorter).
    probes = ProbeService(allow=allow, total_timeout=min(15.0, max(1.0, s.read_timeout)))
    created = Backend(s, client, probes, sandbox)
    _STARTED.append(created)
    return created


@st.cache_resource(show_spinner=False)
def auth_configured() -> bool:
    """True when ``[auth]`` is set in secrets.toml: the app then requires sign-in (st.login). Read once."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:
        return False


@st.cache_resource(show_spinner=False)
def guess_throttle() -> GuessThrottle:
    """One per process: wrong passwords are slowed down across every session."""
    return GuessThrottle()


def reset() -> None:
    """Forget every cached resource, stopping what they started (for tests and benchmarks running the app
    in-process, where one test's sandbox and workers must not leak into the next)."""
    st.cache_resource.clear()
    st.cache_data.clear()
    while _STARTED:
        _STARTED.pop().close()


def session_id() -> str:
    """A random id for this browser session, for the "This session only" filter."""
    if "session_id" not in st.session_state:
        st.session_state.session_id = uuid.uuid4().hex
    return st.session_state.session_id


def signin_configured() -> bool:
    return auth_configured()


def current_user() -> str | None:
    """The signed-in email, or None without sign-in."""
    if not signin_configured():
        return None
    user = st.user
    return str(user.get("email")).lower() if user.get("is_logged_in") and user.get("email") else None


def _configure_logging(s: Settings) -> None:
    logger = logging.getLogger("starvideos")
    logger.setLevel(s.log_level)
    if not any(getattr(h, "_starvideos", False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._starvideos = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    secrets = [v for v in (s.api_key, s.app_password) if v]
    for handler in logger.handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, _Redact)]
        handler.addFilter(_Redact(secrets))
    logger.propagate = False


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (the server's log, or a test's capture), not the one at start."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class _Redact(logging.Filter):
    """Belt and braces: even if a message carried a secret, the log line would not."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            text = record.getMessage()
            if any(secret in text for secret in self._secrets):
                for secret in self._secrets:
                    text = text.replace(secret, "***")
                record.msg, record.args = text, None
        return True
