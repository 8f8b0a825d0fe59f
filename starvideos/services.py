"""Everything the app runs on, wired once per process from ``Settings``: the client (and the sandbox it talks to in
sandbox mode), reference-image checks, and the data layer (database, stores, storage) with its background workers.

UI-free: the Streamlit pages and the server's routes both use one ``Services``. Nothing here connects to the
database when made; ``start`` builds the whole data layer first and only then starts the workers, so a broken
setting never leaves a worker running against half a data layer, and a failure is remembered (pages report it in
plain words instead of building everything again on each visit).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .client import StarVideosClient
from .errors import StarVideosError
from .probe import ProbeService
from .sandbox import SandboxServer
from .settings import Settings
from .telemetry import TELEMETRY

if TYPE_CHECKING:
    from .copier import MediaCopier
    from .copies import MediaStore
    from .cut_builder import CutBuilder
    from .cuts import CutStore
    from .database import Database
    from .estimates import Estimates
    from .history import HistoryStore
    from .note_frames import NoteFrames
    from .notifications import Notifier
    from .poller import StatusPoller
    from .presets import PresetStore
    from .queue import CreateQueue
    from .review import Review
    from .showcase import Showcase
    from .signing import Signer
    from .storage import Storage
    from .uploads import UploadStore
    from .workers import Heartbeats

log = logging.getLogger(__name__)
SANDBOX_KEY = "sandbox-key-not-secret"  # the sandbox accepts any bearer token
STORAGE_CHECK_SECONDS = 5.0
NOTIFICATION_POSTER_TTL = 7 * 86400.0


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
    heartbeats: Heartbeats
    notifier: Notifier | None
    """Only with ``STARVIDEOS_NOTIFY_URL``."""
    cuts: CutStore
    cut_builder: CutBuilder
    review: Review
    note_frames: NoteFrames

    def start_workers(self) -> None:
        self.poller.start()
        self.copier.start()
        self.queue.start()
        self.cut_builder.start()
        self.note_frames.start()
        if self.notifier is not None:
            self.notifier.start()

    def workers(self) -> dict[str, bool]:
        """Each background worker, and whether its loop is running."""
        running = {"status_poller": self.poller.alive, "media_copier": self.copier.alive,
                   "create_queue": self.queue.alive, "cut_builder": self.cut_builder.alive,
                   "note_frames": self.note_frames.alive}
        if self.notifier is not None:
            running["notifier"] = self.notifier.worker.alive
        return running

    def close(self) -> None:
        if self.notifier is not None:
            self.notifier.close()
        self.poller.close()
        self.cut_builder.close()
        self.note_frames.close()
        self.copier.close()
        self.queue.close()
        self.database.dispose()


class Services:
    """Everything a page or a route talks to. One per process; thread-safe."""

    def __init__(self, settings: Settings, client: StarVideosClient, probes: ProbeService,
                 sandbox: SandboxServer | None) -> None:
        self.settings = settings
        self.client = client
        self.probes = probes
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._data: DataLayer | None = None
        self._failure: StarVideosError | None = None
        self._signer: Signer | None = None
        self._closed = False
        self._storage_ok_at = -STORAGE_CHECK_SECONDS

    @classmethod
    def from_settings(cls, s: Settings) -> Services:
        """The client and its sandbox (sandbox mode), and the image checks; the data layer waits for ``start``."""
        sandbox = None
        if s.effective_mode == "sandbox":
            # With local storage the sandbox serves its files, as a bucket's signed links would be served.
            files = None if s.storage.startswith("s3://") else Path(s.storage)
            sandbox_on = partial(SandboxServer, files=files, queued_seconds=3 / s.sandbox_speed,
                                 processing_seconds=6 / s.sandbox_speed)
            try:
                sandbox = sandbox_on(s.sandbox_port).start()
            except OSError:  # the stable port is taken (another app instance): any free port will do
                sandbox = sandbox_on(0).start()
            client = StarVideosClient(sandbox.base_url, SANDBOX_KEY, timeout=(s.connect_timeout, s.read_timeout),
                                      models=s.models, observe=TELEMETRY.api_call)
        elif s.api_key:
            client = StarVideosClient(s.base_url, s.api_key, status_path=s.status_path, models=s.models,
                                      timeout=(s.connect_timeout, s.read_timeout), observe=TELEMETRY.api_call)
        else:
            raise StarVideosError("Live mode needs STARVIDEOS_API_KEY.", hint="Set the key, then restart the app.")
        allow = s.allow_private_hosts | ({("127.0.0.1", sandbox.port)} if sandbox else set())
        # A reference image gets at most 15 seconds (less when the API's own read timeout is shorter).
        probes = ProbeService(allow=allow, total_timeout=min(15.0, max(1.0, s.read_timeout)))
        return cls(s, client, probes, sandbox)

    def __repr__(self) -> str:
        return f"Services(mode={self.settings.effective_mode!r}, client={self.client!r})"

    # The data layer ---------------------------------------------------------------------------------------------

    def start(self) -> Services:
        """Build the data layer and start its workers (once; later calls do nothing). A failure is remembered and
        raised again; the database itself is opened and migrated by the first worker tick or page that needs it."""
        self.data  # noqa: B018 - building it starts the workers
        return self

    @property
    def data(self) -> DataLayer:
        with self._lock:
            if self._closed:
                raise StarVideosError("The app is shutting down.")
            if self._failure is not None:
                raise self._failure
            if self._data is None:
                try:
                    data = _build_data_layer(self.settings, self.client, self.fetch_allow, self._poster_link)
                except StarVideosError as exc:
                    log.error("the data layer could not be built: %s %s", exc.message, exc.hint)
                    self._failure = exc
                    raise
                data.start_workers()
                self._data = data
            return self._data

    @property
    def started(self) -> bool:
        return self._data is not None

    def problem(self) -> StarVideosError | None:
        """None when the data layer can be used; otherwise the plain-language reason (storage or database). A
        database that is down is tried again every few seconds; a setting that cannot work waits for a restart."""
        try:
            self.database.ensure_ready()
        except StarVideosError as exc:
            return exc
        return None

    database_problem = problem  # the pages' older name

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
    def cuts(self) -> CutStore:
        return self.data.cuts

    @property
    def cut_builder(self) -> CutBuilder:
        return self.data.cut_builder

    @property
    def review(self) -> Review:
        return self.data.review

    @property
    def note_frames(self) -> NoteFrames:
        return self.data.note_frames

    @property
    def signer(self) -> Signer:
        """Signs and checks media links, session cookies and export links with the deployment's secret."""
        if self._signer is None:
            from .signing import Signer, deployment_secret

            secret = self.settings.secret_key or deployment_secret(self.database)
            self._signer = Signer(secret)
        return self._signer

    def _poster_link(self, key: str) -> str | None:
        """A week-long link to a poster, for a chat message (which shows it long after the page that made it)."""
        if not self.settings.public_url:
            return None
        return self.settings.public_url + self.signer.media_path(key, ttl=NOTIFICATION_POSTER_TTL)

    # Links the API can fetch -----------------------------------------------------------------------------------

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

    def readiness(self) -> dict[str, object]:
        """What a load balancer asks before sending traffic: the database reachable and at the newest schema,
        storage writable, every worker running. ``ready`` is the verdict; each check says what failed, in words."""
        checks: dict[str, object] = {}
        try:
            data = self.data
            data.database.ensure_ready()
            data.database.ping()
            checks["database"] = "ok"
        except StarVideosError as exc:
            checks["database"] = exc.message
            return {"ready": False, "checks": checks}
        try:
            self._storage_check(data.storage)
            checks["storage"] = "ok"
        except StarVideosError as exc:
            checks["storage"] = exc.message
        workers = data.workers()
        checks["workers"] = {name: "running" if alive else "stopped" for name, alive in workers.items()}
        ready = checks["storage"] == "ok" and all(workers.values())
        return {"ready": ready, "checks": checks}

    def gauges(self) -> dict[str, dict[str, int]]:
        """What waits and where things stand, for ``/metrics``: tasks by status (kept counts, so one small read at
        any size), copies, notifications and cuts by state."""
        import sqlalchemy as sa

        from . import copies, cuts
        from . import notifications as outbox
        from .schema import cuts as cut_rows
        from .schema import notifications, task_media

        data = self.data
        waiting_copies = data.database.rows(sa.select(task_media.c.state, sa.func.count()).where(
            task_media.c.state.in_((copies.PENDING, copies.SAVING, copies.FAILED))).group_by(task_media.c.state))
        waiting_messages = data.database.rows(sa.select(notifications.c.state, sa.func.count()).where(
            notifications.c.state.in_((outbox.PENDING, outbox.FAILED))).group_by(notifications.c.state))
        waiting_cuts = data.database.rows(sa.select(cut_rows.c.state, sa.func.count()).where(
            cut_rows.c.state.in_((cuts.PENDING, cuts.BUILDING, cuts.FAILED))).group_by(cut_rows.c.state))
        return {"tasks": data.store.counts_by_status(), "copies": {str(s): int(n) for s, n in waiting_copies},
                "notifications": {str(s): int(n) for s, n in waiting_messages},
                "cuts": {str(s): int(n) for s, n in waiting_cuts}}

    def _storage_check(self, storage: Storage) -> None:
        # A bucket round trip per probe would be the slowest part of /readyz: a success holds for a few seconds.
        now = time.monotonic()
        if now - self._storage_ok_at < STORAGE_CHECK_SECONDS:
            return
        storage.check()
        self._storage_ok_at = now

    # Shutdown -----------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the workers (their leases are released, a copy in flight leaves no partial file), the image checks
        and the sandbox. Safe to call twice."""
        with self._lock:
            self._closed = True
            data, self._data = self._data, None
        if data is not None:
            data.close()
        self.probes.close()
        if self.sandbox is not None:
            self.sandbox.stop()


def _build_data_layer(s: Settings, client: StarVideosClient, allow: frozenset[tuple[str, int]],
                      poster_link: Callable[[str], str | None]) -> DataLayer:
    """Every store and worker, none started: storage first (a bad URL fails before anything else exists)."""
    from .copier import MediaCopier
    from .copies import MediaStore
    from .cut_builder import CutBuilder
    from .cuts import CutStore
    from .database import Database
    from .estimates import Estimates
    from .history import HistoryStore
    from .limits import RateLimiter
    from .note_frames import NoteFrames
    from .notifications import Notifier, Outbox
    from .poller import StatusPoller
    from .presets import PresetStore
    from .queue import CreateQueue
    from .review import Review
    from .showcase import Showcase
    from .storage import open_storage
    from .uploads import UploadStore
    from .workers import Heartbeats

    storage = open_storage(s.storage)
    database = Database.from_settings(s)
    heartbeats = Heartbeats(database)
    outbox = Outbox(database)
    store = HistoryStore(database, outbox=outbox if s.notify_url else None)
    budget = RateLimiter(database, "lookups", per_minute=s.max_lookups_per_minute,
                         burst=max(1.0, s.max_lookups_per_minute / 2))
    poller = StatusPoller(client, store, interval=s.poll_interval, budget=budget, heartbeats=heartbeats)
    media = MediaStore(database)
    copier = MediaCopier(media, storage, allow=allow, max_video_mb=s.max_video_mb, connect_timeout=s.connect_timeout,
                         read_timeout=s.read_timeout, heartbeats=heartbeats)
    store.copy_queued = copier.worker.wake
    estimates = Estimates(database, price_per_second=s.price_per_second, currency=s.currency,
                          monthly_budget=s.monthly_budget)
    queue = CreateQueue(database, store, client, per_minute=s.max_creates_per_minute, max_in_flight=s.max_in_flight,
                        estimates=estimates, heartbeats=heartbeats)
    notifier = (Notifier(outbox, s.notify_url, public_url=s.public_url, poster_link=poster_link,
                         heartbeats=heartbeats) if s.notify_url else None)
    cuts = CutStore(database, storage, outbox=outbox if s.notify_url else None, max_seconds=s.max_cut_seconds)
    cut_builder = CutBuilder(cuts, storage, heartbeats=heartbeats)
    review = Review(database, outbox=outbox if s.notify_url else None)
    return DataLayer(database, store, poller, storage, UploadStore(database, storage), media, copier,
                     Showcase(database), estimates, queue, PresetStore(database), heartbeats, notifier, cuts,
                     cut_builder, review, NoteFrames(review, storage, heartbeats=heartbeats))
