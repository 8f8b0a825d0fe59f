"""The deployment's database: one SQLAlchemy engine, its dialect's quirks, migrations at start-up, plain errors.

SQLite (a file next to the app, the embedded default) or PostgreSQL (``STARVIDEOS_DATABASE_URL``, shared by every
replica). This module and the migration files are the only places that know which one is in use.

SQLite keeps today's guarantees: WAL, ``synchronous=FULL`` (a commit survives a SIGKILL or power loss), a busy
timeout, and ``BEGIN IMMEDIATE`` for writes so concurrent writers queue instead of failing half-way. PostgreSQL gets
a pre-pinged pool (a restarted server is noticed, not reported as an error to the first user) and short connect
timeouts (an unreachable server is reported in seconds, not minutes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url

from . import schema
from .errors import DatabaseError, DatabaseVersionError

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Held while migrating, so replicas starting together migrate one at a time (PostgreSQL).
_MIGRATION_LOCK_KEY = 7_204_112_233
# The last schema-v2 file of the app before Alembic; newer numbers mean a newer app wrote the file.
_LEGACY_USER_VERSIONS = (1, 2)
_ALEMBIC_USER_VERSION = 100


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (as hosting providers hand them out) use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Database:
    """One engine per process, shared by every session and worker thread. Thread-safe.

    ``where`` names the setting and location for messages (never a password). Nothing connects until first use;
    ``ensure_ready`` migrates once, and a failure is remembered for a couple of seconds so a page full of reads
    reports the problem once instead of waiting on a dead server for each.
    """

    def __init__(self, url: str, *, where: str | None = None, retry_seconds: float = 2.0) -> None:
        self.url: URL = make_url(normalize_url(url))
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise DatabaseError(f"Unsupported database {self.dialect!r}: use PostgreSQL or SQLite.")
        self.where = where or self.describe()
        self._retry_seconds = retry_seconds
        self._ready = False
        self._failure: tuple[float, DatabaseError] | None = None
        self._lock = threading.Lock()
        self.engine = self._create_engine()

    @classmethod
    def for_sqlite(cls, path: str | Path, *, setting: str = "STARVIDEOS_HISTORY_PATH") -> Database:
        return cls(f"sqlite:///{Path(path)}", where=f"{setting} ({Path(path)})")

    @classmethod
    def from_settings(cls, settings: Any) -> Database:
        if settings.database_url:
            db = cls(settings.database_url)
            db.where = f"STARVIDEOS_DATABASE_URL ({db.describe()})"
            return db
        return cls.for_sqlite(settings.history_file)

    def describe(self) -> str:
        """The location without a password, for messages and the sidebar."""
        if self.dialect == "sqlite":
            return self.url.database or ":memory:"
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True).replace(":***@", "@")

    # Engine ------------------------------------------------------------------------------------------------------

    def _create_engine(self) -> sa.Engine:
        if self.dialect == "sqlite":
            engine = sa.create_engine(self.url, pool_size=8, max_overflow=32, pool_timeout=30,
                                      connect_args={"timeout": 10, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return sa.create_engine(self.url, pool_size=5, max_overflow=20, pool_pre_ping=True, pool_recycle=1800,
                                connect_args={"connect_timeout": 5, "application_name": "starvideos-studio"})

    def dispose(self) -> None:
        self.engine.dispose()

    # Readiness and migrations -----------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        """Create or upgrade the schema once per process; raise ``DatabaseError`` in plain words when it can't."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return  # type: ignore[unreachable]  # another thread may have set it while this one waited
            if self._failure and time.monotonic() - self._failure[0] < self._retry_seconds:
                raise self._failure[1]
            try:
                self._prepare_location()
                self._migrate()
            except DatabaseError as exc:
                self._failure = (time.monotonic(), exc)
                raise
            except sa.exc.SQLAlchemyError as exc:
                problem = self.problem(exc)
                self._failure = (time.monotonic(), problem)
                raise problem from exc
            self._failure = None
            self._ready = True
            log.info("database ready: %s", self.where)

    def known_problem(self) -> DatabaseError | None:
        """The last failure to open the database, if any, without trying again (never blocks)."""
        failure = self._failure
        return failure[1] if failure and not self._ready else None

    def problem(self, exc: BaseException) -> DatabaseError:
        """A plain-language error for a driver error: which setting points where, and what to do."""
        reason = _reason(exc)
        if self.dialect == "sqlite":
            return DatabaseError(f"The history file {self.where} cannot be used: {reason}.",
                                 hint="Point STARVIDEOS_HISTORY_PATH at a writable file (its folder must exist or "
                                      "be creatable), or set STARVIDEOS_DATABASE_URL. Nothing was sent.")
        return DatabaseError(f"The database at {self.where} cannot be reached: {reason}.",
                             hint="Check that the server is running and that the URL, user and password are "
                                  "right. Nothing was sent.")

    def _prepare_location(self) -> None:
        if self.dialect != "sqlite" or self.url.database in (None, "", ":memory:"):
            return
        path = Path(self.url.database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"The history file {self.where} cannot be used: its folder {path.parent} cannot be created "
                f"({exc.strerror or type(exc).__name__}).",
                hint="Point STARVIDEOS_HISTORY_PATH at a file in a folder the app may write, or set "
                     "STARVIDEOS_DATABASE_URL. Nothing was sent.") from None

    def _migrate(self) -> None:
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                revision = _current_revision(conn)
                if revision == schema.HEAD:
                    return
                if revision is not None and revision not in schema.REVISIONS:
                    raise DatabaseVersionError(
                        f"The database at {self.where} was written by a newer version of StarVideos Studio "
                        f"(schema {revision}; this app knows up to {schema.HEAD}). It was not changed.")
                if revision is None and self.dialect == "sqlite":
                    version = conn.exec_driver_sql("PRAGMA user_version").scalar() or 0
                    if version and version not in _LEGACY_USER_VERSIONS:
                        raise DatabaseVersionError(
                            f"The history file {self.where} was written by a newer version of StarVideos Studio "
                            f"(schema {version}). It was not changed.")
                log.info("migrating the database at %s from %s to %s", self.where, revision or "nothing",
                         schema.HEAD)
                _run_alembic(conn)
                if self.dialect == "sqlite":
                    conn.exec_driver_sql(f"PRAGMA user_version = {_ALEMBIC_USER_VERSION}")

    # Transactions ---------------------------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One committed transaction. On SQLite it takes the write lock up front (``BEGIN IMMEDIATE``)."""
        self.ensure_ready()
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_immediate=True)
                with conn.begin():
                    yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self.problem(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads; on SQLite in WAL mode it never blocks writers."""
        self.ensure_ready()
        try:
            with self.engine.connect() as conn:
                yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self.problem(exc) from exc

    def ping(self) -> None:
        """One round trip to the server (``SELECT 1``); ``DatabaseError`` when it does not answer."""
        with self.read() as conn:
            conn.execute(sa.text("SELECT 1"))

    def rows(self, statement: sa.Executable,
             params: Mapping[str, Any] | None = None) -> Sequence[sa.Row[Unpack[tuple[Any, ...]]]]:
        with self.read() as conn:
            return conn.execute(statement, params or {}).all()

    def scalar(self, statement: sa.Executable, params: Mapping[str, Any] | None = None) -> Any:
        with self.read() as conn:
            return conn.execute(statement, params or {}).scalar()

    # Dialect differences used by the stores -----------------------------------------------------------------------

    def upsert(self, table: sa.Table, values: Mapping[str, Any], *, keys: Sequence[str],
               update: Mapping[str, Any]) -> Any:
        """``INSERT … ON CONFLICT (keys) DO UPDATE SET update`` for this dialect."""
        statement = self._insert(table).values(**values)
        return statement.on_conflict_do_update(index_elements=list(keys), set_=dict(update))

    def insert_ignore(self, table: sa.Table, values: Mapping[str, Any], *, keys: Sequence[str]) -> Any:
        """``INSERT … ON CONFLICT (keys) DO NOTHING`` for this dialect."""
        return self._insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))

    def _insert(self, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql
            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite
        return sqlite.insert(table)

    def whole_units(self, column: Any, unit: float) -> Any:
        """``floor(column / unit)`` as an integer (UTC days from epoch seconds): SQLite truncates when casting,
        PostgreSQL rounds, and not every SQLite has ``floor``."""
        if self.dialect == "postgresql":
            return sa.cast(sa.func.floor(column / unit), sa.Integer)
        return sa.cast(column / unit, sa.Integer)

    def like_escape(self, text: str) -> str:
        """``%text%`` with LIKE's wildcards escaped (use with ``escape='\\\\'``)."""
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: "begin" below emits the BEGIN we want.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "BEGIN")


def _current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _run_alembic(conn: Connection) -> None:
    # Imported here: an up-to-date database (every start but the first) never loads Alembic.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, schema.HEAD)


def _reason(exc: BaseException) -> str:
    """The driver's own words, first line only, without SQLAlchemy's boilerplate."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    lowered = text.lower()
    if "file is not a database" in lowered:
        return "it is not a SQLite database (file is not a database)"
    if "unable to open database file" in lowered:
        return "it cannot be opened (unable to open database file); check that its folder exists and is writable"
    if "readonly database" in lowered:
        return "it is read-only (attempt to write a readonly database)"
    if "disk is full" in lowered or "disk i/o error" in lowered:
        return f"the disk is full or failing ({text})"
    return text.rstrip(".")
