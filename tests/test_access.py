"""Who may enter: constant-time passwords, guesses slowed per session and per process, the sign-in allow-list;
and the shared rate limits (token buckets in the database, on both databases)."""

from __future__ import annotations

import pytest

from starvideos.access import GuessThrottle, email_allowed, password_matches
from starvideos.database import Database
from starvideos.errors import ThrottledError
from starvideos.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_gets_three_free_guesses_then_doubling_waits() -> None:
    """Test that after three wrong guesses each further one locks the session for 2, 4, 8 … seconds."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock)
    for _ in range(3):
        throttle.check("tab")
        throttle.failed("tab")
    throttle.check("tab")
    throttle.failed("tab")  # the 4th wrong guess: locked for 2 s
    with pytest.raises(ThrottledError) as info:
        throttle.check("tab")
    assert info.value.message == "Too many wrong passwords. Wait 2 seconds."
    assert info.value.hint == "Wait 2 seconds and try again."
    throttle.check("other-tab")  # another session is not locked by this one
    clock.now += 2.1
    throttle.check("tab")
    throttle.failed("tab")
    with pytest.raises(ThrottledError, match="Wait 4 seconds"):
        throttle.check("tab")
    throttle.succeeded("tab")
    throttle.check("tab")


def test_one_tab_cannot_guess_more_than_a_few_dozen_times_a_minute() -> None:
    """Test that a tab guessing as fast as it can is judged at most a dozen times in a minute."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock)
    judged = 0
    for _ in range(6000):  # a guess every 10 ms for a minute
        try:
            throttle.check("tab")
        except ThrottledError:
            clock.now += 0.01
            continue
        throttle.failed("tab")
        judged += 1
        clock.now += 0.01
    assert judged <= 12


def test_many_sessions_together_are_capped_per_process() -> None:
    """Test that opening a new session per guess does not help: the process judges at most 30 a minute."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock, per_minute=30)
    judged = 0
    for n in range(1000):
        try:
            throttle.check(f"session-{n}")
        except ThrottledError as exc:
            assert exc.wait_seconds > 0
            clock.now += 0.05
            continue
        throttle.failed(f"session-{n}")
        judged += 1
        clock.now += 0.05
    assert judged <= 30 + 1  # 50 s of guessing: one window


def test_password_comparison() -> None:
    """Test the constant-time comparison on text with non-ASCII characters."""
    assert password_matches("correct horse ✓", "correct horse ✓")
    assert not password_matches("correct horse", "correct horse ✓")


@pytest.mark.parametrize(("email", "allowed", "result"), [
    ("ann@team.test", (), True),
    ("Ann@Team.test", ("ann@team.test",), True),
    ("bob@team.test", ("ann@team.test",), False),
    ("bob@team.test", ("@team.test",), True),
    ("bob@evil-team.test", ("@team.test",), False),
    ("bob@sub.team.test", ("@team.test",), False),
    (None, (), False),
    ("", ("@team.test",), False),
])
def test_allow_list(email: str | None, allowed: tuple[str, ...], result: bool) -> None:
    """Test addresses and @domain entries; an empty list lets everyone signed in, nobody unsigned."""
    assert email_allowed(email, allowed) is result


def test_rate_limiter_paces_and_saves_up_a_burst(database: Database) -> None:
    """Test the shared bucket: a burst saved up, then one token per interval; debt is waited out."""
    clock = Clock()
    limiter = RateLimiter(database, "creates", per_minute=60, burst=3, clock=clock)
    assert limiter.take(5).granted == 3
    grant = limiter.take(1)
    assert grant.granted == 0 and grant.wait == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take(2).granted == 1
    assert limiter.take(2, force=True).granted == 2  # into debt
    clock.now += 1.5
    assert limiter.take(1).granted == 0 and limiter.wait_time() == pytest.approx(1.5)
    limiter.give_back(5)
    assert limiter.take(10).granted == 3  # never more than the burst


def test_rate_limiter_is_shared_between_replicas(db_url: str) -> None:
    """Test that two replicas' limiters on one database draw from one bucket."""
    clock = Clock()
    a = RateLimiter(Database(db_url), "lookups", per_minute=60, burst=4, clock=clock)
    b = RateLimiter(Database(db_url), "lookups", per_minute=60, burst=4, clock=clock)
    assert a.take(3).granted == 3 and b.take(3).granted == 1 and a.take(1).granted == 0
