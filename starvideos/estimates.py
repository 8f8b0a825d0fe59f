"""What things cost and when they will be done, from this deployment's own numbers.

Cost: ``STARVIDEOS_PRICE_PER_SECOND`` × seconds of video. Spend counts every task that was or may have been created
(an outcome unknown may be billed) and every item still waiting in the queue (committed work); rejected and
cancelled attempts cost nothing. ``STARVIDEOS_MONTHLY_BUDGET`` refuses what would pass it, before anything is recorded.

ETA: the median time from attempt to completion of recent completed tasks of the same mode and a similar duration;
"no estimate yet" until there are a few.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from .database import Database
from .errors import BudgetExceededError
from .models import SPENT, TaskStatus, VideoRequest
from .pricing import estimate_cost, money
from .schema import tasks

ETA_SAMPLES = 50
ETA_MINIMUM = 3
DAY = 86400


def month_start(now: float | None = None) -> float:
    moment = datetime.fromtimestamp(now if now is not None else time.time(), tz=timezone.utc)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


@dataclass(frozen=True)
class BudgetStanding:
    """This calendar month against ``STARVIDEOS_MONTHLY_BUDGET``."""

    budget: float
    spent: float
    """Spent or committed: created, running, finished, outcome unknown, and waiting in the queue."""

    @property
    def left(self) -> float:
        return max(0.0, round(self.budget - self.spent, 4))

    def fits(self, cost: float) -> bool:
        return self.spent + cost <= self.budget + 1e-9


@dataclass(frozen=True)
class UsageRow:
    period: str
    """A day (``2026-11-24``) or a month (``2026-11``), UTC."""
    person: str | None
    seconds: int
    tasks: int
    cost: float | None


class Estimates:
    """Cost, budget and ETA. Thread-safe; ETA answers are cached for a minute."""

    def __init__(self, db: Database, *, price_per_second: float | None = None, currency: str = "USD",
                 monthly_budget: float | None = None) -> None:
        self.db = db
        self.price = price_per_second
        self.currency = currency
        self.budget = monthly_budget
        self._eta_cache: dict[tuple[str, int], tuple[float, float | None]] = {}
        self._standing: tuple[float, BudgetStanding] | None = None
        self._lock = threading.Lock()

    # Cost and budget -----------------------------------------------------------------------------------------

    def cost(self, requests: Sequence[VideoRequest]) -> float | None:
        """What these requests would cost, or None when no price is set."""
        return estimate_cost(requests, self.price)

    def money(self, amount: float | None) -> str:
        return money(amount, self.currency)

    def month_to_date(self, now: float | None = None) -> float | None:
        """This calendar month's spend (UTC), the queue's waiting items included."""
        if self.price is None:
            return None
        seconds = self.db.scalar(sa.select(sa.func.coalesce(sa.func.sum(tasks.c.duration), 0)).where(
            tasks.c.status.in_(SPENT), tasks.c.attempted_at >= month_start(now)))
        return round(int(seconds) * self.price, 4)

    def standing(self, *, max_age: float = 0.0, now: float | None = None) -> BudgetStanding | None:
        """This month against the budget (None without a budget and a price). ``max_age`` lets a page show a
        figure read up to that many seconds ago instead of summing the month on every rerun; a refusal always
        reads it afresh."""
        if self.budget is None or self.price is None:
            return None
        clock = time.monotonic()
        with self._lock:
            cached = self._standing
        if max_age > 0 and now is None and cached is not None and clock - cached[0] < max_age:
            return cached[1]
        standing = BudgetStanding(self.budget, self.month_to_date(now) or 0.0)
        if now is None:
            with self._lock:
                self._standing = (clock, standing)
        return standing

    def forget_standing(self) -> None:
        """Something was just queued or created here: the next page shows the month afresh."""
        with self._lock:
            self._standing = None

    def check_budget(self, requests: Sequence[VideoRequest], now: float | None = None) -> None:
        """Refuse (``BudgetExceededError``) what would take this month past ``STARVIDEOS_MONTHLY_BUDGET``, saying
        what it would cost, what is used and what is left."""
        if self.budget is None or self.price is None or not requests:
            return
        standing = self.standing(now=now)
        assert standing is not None
        adding = self.cost(requests) or 0.0
        if not standing.fits(adding):
            raise BudgetExceededError(self.refusal(len(requests), adding, standing), title="Over the monthly budget.",
                                      hint="Nothing was sent. Remove some, raise STARVIDEOS_MONTHLY_BUDGET, or wait "
                                           "for next month.")

    def refusal(self, count: int, cost: float, standing: BudgetStanding) -> str:
        """Why ``count`` tasks costing ``cost`` do not fit, in figures."""
        what = "This task" if count == 1 else f"These {count:,} tasks"
        return (f"{what} would cost {self.money(cost)}, but only {self.money(standing.left)} is left of this "
                f"month's {self.money(standing.budget)} budget (STARVIDEOS_MONTHLY_BUDGET): "
                f"{self.money(standing.spent)} is already spent or queued.")

    def usage(self, *, days: int = 30, by_person: bool = False, now: float | None = None) -> list[UsageRow]:
        """Seconds, tasks and cost per UTC day for the last ``days`` days (and per person when asked)."""
        start = (now if now is not None else time.time()) - days * DAY
        day = self.db.whole_units(tasks.c.attempted_at, DAY).label("day")
        columns = [day, sa.func.sum(tasks.c.duration), sa.func.count()]
        group = [day]
        if by_person:
            columns.append(tasks.c.created_by)
            group.append(tasks.c.created_by)
        rows = self.db.rows(sa.select(*columns).where(tasks.c.status.in_(SPENT),
                                                      tasks.c.attempted_at >= start)
                            .group_by(*group).order_by(day))
        return [UsageRow(datetime.fromtimestamp(int(row[0]) * DAY, tz=timezone.utc).strftime("%Y-%m-%d"),
                         row[3] if by_person else None, int(row[1] or 0), int(row[2]),
                         None if self.price is None else round(int(row[1] or 0) * self.price, 4)) for row in rows]

    def monthly(self, *, months: int = 12, by_person: bool = False, now: float | None = None) -> list[UsageRow]:
        """The same, per UTC calendar month."""
        totals: dict[tuple[str, str | None], list[int]] = {}
        for row in self.usage(days=months * 31, by_person=by_person, now=now):
            entry = totals.setdefault((row.period[:7], row.person), [0, 0])
            entry[0] += row.seconds
            entry[1] += row.tasks
        return [UsageRow(month, person, seconds, count,
                         None if self.price is None else round(seconds * self.price, 4))
                for (month, person), (seconds, count) in sorted(totals.items(), key=lambda kv: (kv[0][0],
                                                                                              kv[0][1] or ""))]

    # ETA -------------------------------------------------------------------------------------------------------

    def eta(self, mode: str, duration: int) -> float | None:
        """Seconds from attempt to completion, typical here for this mode and a similar duration; None until there
        are a few finished tasks to go by."""
        key = (mode, int(duration))
        now = time.monotonic()
        with self._lock:
            cached = self._eta_cache.get(key)
            if cached and now - cached[0] < 60:
                return cached[1]
        rows = self.db.rows(sa.select(tasks.c.finished_at - tasks.c.attempted_at).where(
            tasks.c.status == TaskStatus.COMPLETED, tasks.c.mode == mode, tasks.c.finished_at.is_not(None),
            tasks.c.duration.between(int(duration) - 2, int(duration) + 2))
            .order_by(tasks.c.id.desc()).limit(ETA_SAMPLES))
        samples = [float(r[0]) for r in rows if r[0] is not None and r[0] >= 0]
        value = statistics.median(samples) if len(samples) >= ETA_MINIMUM else None
        with self._lock:
            self._eta_cache[key] = (now, value)
        return value

    def time_left(self, mode: str, duration: int, attempted_at: float, now: float | None = None) \
            -> tuple[float, float] | None:
        """(seconds left, fraction done) for a live task, or None without an estimate."""
        typical = self.eta(mode, duration)
        if typical is None or typical <= 0:
            return None
        elapsed = max(0.0, (now if now is not None else time.time()) - attempted_at)
        return max(0.0, typical - elapsed), min(0.99, elapsed / typical)
