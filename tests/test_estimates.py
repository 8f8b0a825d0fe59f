"""Cost, usage, budget and ETA from this deployment's own records, and team presets; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from starvideos.database import Database
from starvideos.errors import BudgetExceededError, ValidationError
from starvideos.estimates import Estimates, UsageRow
from starvideos.history import attempt_values
from starvideos.models import VideoRequest
from starvideos.presets import PresetStore
from starvideos.schema import tasks

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc).timestamp()
DAY = 86400.0


def add(database: Database, *, status: str, duration: int = 5, at: float = NOW, took: float | None = None,
        person: str | None = None, mode_images: tuple[str, ...] = ()) -> None:
    request = VideoRequest("p", duration=duration, images=mode_images)
    values = attempt_values(request, session_id="s", created_by=person, now=at, status=status)
    if took is not None:
        values["finished_at"] = at + took
    with database.write() as conn:
        conn.execute(tasks.insert().values(**values))


def test_cost_and_usage_per_day_month_and_person(database: Database) -> None:
    """Test that spend counts created, unknown and waiting work (not rejected or cancelled), per UTC day, month and
    person."""
    add(database, status="completed", duration=10, person="ana@example.com")
    add(database, status="outcome_unknown", duration=5, person="ana@example.com")
    add(database, status="pending", duration=3, person="ben@example.com")
    add(database, status="rejected", duration=15, person="ben@example.com")
    add(database, status="cancelled", duration=15)
    add(database, status="completed", duration=8, at=NOW - DAY, person="ben@example.com")
    add(database, status="completed", duration=4, at=NOW - 40 * DAY)  # October
    estimates = Estimates(database, price_per_second=0.1, currency="EUR", monthly_budget=5.0)
    assert estimates.cost([VideoRequest("a", duration=7), VideoRequest("b")]) == pytest.approx(1.2)
    assert estimates.money(1.2) == "1.20 EUR" and estimates.money(None) == "—"
    assert estimates.month_to_date(now=NOW) == pytest.approx(2.6)
    assert estimates.usage(days=30, now=NOW) == [UsageRow("2026-11-23", None, 8, 1, 0.8),
                                                 UsageRow("2026-11-24", None, 18, 3, 1.8)]
    assert estimates.monthly(now=NOW) == [UsageRow("2026-10", None, 4, 1, 0.4), UsageRow("2026-11", None, 26, 4, 2.6)]
    assert estimates.monthly(by_person=True, now=NOW) == [
        UsageRow("2026-10", None, 4, 1, 0.4), UsageRow("2026-11", "ana@example.com", 15, 2, 1.5),
        UsageRow("2026-11", "ben@example.com", 11, 2, 1.1)]


def test_budget_refuses_what_would_pass_it(database: Database) -> None:
    """Test that the budget refuses a request that would pass it, with the figures, and allows one that fits."""
    add(database, status="completed", duration=40)
    estimates = Estimates(database, price_per_second=0.1, currency="USD", monthly_budget=5.0)
    estimates.check_budget([VideoRequest("fits", duration=10)], now=NOW)  # 4.00 + 1.00 = the budget exactly
    with pytest.raises(BudgetExceededError) as info:
        estimates.check_budget([VideoRequest("a", duration=10), VideoRequest("b", duration=3)], now=NOW)
    # What it would cost, what is used, what is left; and a title that does not say "reached" at 4 of 5.
    assert (info.value.title, info.value.message) == ("Over the monthly budget.", (
        "These 2 tasks would cost 1.30 USD, but only 1.00 USD is left of this month's 5.00 USD budget "
        "(STARVIDEOS_MONTHLY_BUDGET): 4.00 USD is already spent or queued."))
    Estimates(database, monthly_budget=5.0).check_budget([VideoRequest("no price", duration=15)] * 100)


def test_standing_shows_what_is_left_and_refreshes_after_a_create(database: Database) -> None:
    """Test that the month's standing (budget, used, left) is what a page shows before anything is pressed, that a
    page may reuse a recent reading, and that a create or a batch here makes the next reading fresh."""
    add(database, status="completed", duration=40, at=time.time())
    estimates = Estimates(database, price_per_second=0.1, currency="USD", monthly_budget=5.0)
    standing = estimates.standing(max_age=60)
    assert standing is not None and (standing.budget, standing.spent, standing.left) == (5.0, 4.0, 1.0)
    assert standing.fits(1.0) and not standing.fits(1.01)
    add(database, status="pending", duration=5, at=time.time())
    assert estimates.standing(max_age=60) == standing  # a recent reading, not a sum on every rerun
    estimates.forget_standing()
    assert estimates.standing(max_age=60).left == 0.5
    assert Estimates(database, price_per_second=0.1).standing() is None  # no budget: nothing to show


def test_eta_is_the_median_of_similar_finished_tasks(database: Database) -> None:
    """Test that the ETA is the median attempt → completion time of completed tasks of the same mode and a similar
    duration, with none until there are three."""
    estimates = Estimates(database)
    for took in (40.0, 60.0):
        add(database, status="completed", duration=5, took=took)
    assert estimates.eta("text", 5) is None
    assert Estimates(database).time_left("text", 5, NOW) is None
    add(database, status="completed", duration=6, took=200.0)
    add(database, status="completed", duration=12, took=999.0)  # not similar
    add(database, status="failed", duration=5, took=1.0)  # not completed
    add(database, status="completed", duration=5, took=1.0, mode_images=("https://e.com/a.png",))  # another mode
    fresh = Estimates(database)
    assert fresh.eta("text", 5) == 60.0
    assert fresh.time_left("text", 5, attempted_at=NOW - 15, now=NOW) == (45.0, 0.25)
    assert fresh.time_left("text", 5, attempted_at=NOW - 600, now=NOW) == (0.0, 0.99)


def test_presets_are_shared_replaced_by_name_and_checked(database: Database) -> None:
    """Test that the three examples ship, a preset saved under an existing name (any case) replaces it, and a bad
    name is refused with a message naming the field."""
    store = PresetStore(database)
    assert [p.name for p in store.all()] == ["Cinematic establishing shot", "Product hero shot",
                                             "Vertical social teaser"]
    assert all(p.form["prompt"] and p.form["ratio"] in ("16:9", "9:16") for p in store.all())
    form = {"mode": "text", "prompt": "A fox", "duration": 8, "ratio": "9:16", "subject": "a fox", "api_key": "x"}
    saved = store.save("  Fox  test ", form, created_by="ana@example.com")
    assert saved.name == "Fox test" and "api_key" not in saved.form and saved.form["subject"] == "a fox"
    again = store.save("FOX TEST", {**form, "duration": 3})
    assert again.id == saved.id and again.form["duration"] == 3 and again.name == "FOX TEST"
    assert len(store.all()) == 4
    store.delete(saved.id)
    assert store.get(saved.id) is None
    with pytest.raises(ValidationError) as info:
        store.save("   ", form)
    assert info.value.message.startswith("Preset name")
    with database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one() == 0
