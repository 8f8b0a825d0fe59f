"""Rate limits shared by every replica: token buckets kept in the database.

One bucket per name: ``lookups`` (status lookups, ``STARVIDEOS_MAX_LOOKUPS_PER_MINUTE``), ``creates`` (create
requests, ``STARVIDEOS_MAX_CREATES_PER_MINUTE``), ``comments:<link>`` (comments posted through one share link).
Because the bucket is a row in the shared database, the pace holds for the deployment, not per replica.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from .database import Database
from .schema import rate_limits


@dataclass(frozen=True)
class Grant:
    """What ``take`` gave: ``granted`` tokens now, and ``wait`` seconds until the next one would be free."""

    granted: int
    wait: float


class RateLimiter:
    """``per_minute`` tokens a minute, at most ``burst`` saved up. Thread- and replica-safe."""

    def __init__(self, db: Database, name: str, *, per_minute: float, burst: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.name = name
        self.rate = per_minute / 60.0
        self.burst = max(1.0, burst)
        self._clock = clock

    def take(self, wanted: int = 1, *, force: bool = False) -> Grant:
        """Take up to ``wanted`` tokens. With ``force`` all are granted, going into debt that later callers wait
        out (a person's explicit "Refresh now" is never refused, but still counts)."""
        with self.db.write() as conn:
            return self.take_in(conn, wanted, force=force)

    def take_in(self, conn: sa.Connection, wanted: int = 1, *, force: bool = False) -> Grant:
        """``take`` inside the caller's transaction (so a token is spent only if the rest of it commits)."""
        tokens, now = self._current(conn)
        granted = wanted if force else max(0, min(wanted, math.floor(tokens + 1e-9)))
        tokens -= granted
        conn.execute(rate_limits.update().where(rate_limits.c.name == self.name)
                     .values(tokens=tokens, updated_at=now))
        return Grant(granted, 0.0 if tokens >= 1 else (1 - tokens) / self.rate)

    def give_back(self, count: int) -> None:
        """Return tokens taken but not used."""
        if count <= 0:
            return
        with self.db.write() as conn:
            self.give_back_in(conn, count)

    def give_back_in(self, conn: sa.Connection, count: int) -> None:
        """``give_back`` inside the caller's transaction."""
        tokens, now = self._current(conn)
        conn.execute(rate_limits.update().where(rate_limits.c.name == self.name)
                     .values(tokens=min(self.burst, tokens + count), updated_at=now))

    def wait_time(self) -> float:
        """Seconds until one token is free (0 when one is free now); reads only."""
        row = self.db.rows(sa.select(rate_limits).where(rate_limits.c.name == self.name))
        if not row:
            return 0.0
        tokens = min(self.burst, row[0].tokens + (self._clock() - row[0].updated_at) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _current(self, conn: sa.Connection) -> tuple[float, float]:
        now = self._clock()
        conn.execute(self.db.insert_ignore(rate_limits, {"name": self.name, "tokens": self.burst, "updated_at": now},
                                           keys=["name"]))
        row = conn.execute(sa.select(rate_limits).where(rate_limits.c.name == self.name).with_for_update()).one()
        elapsed = max(0.0, now - row.updated_at)
        return min(self.burst, row.tokens + elapsed * self.rate), now
