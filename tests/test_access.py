"""Who may enter: constant-time passwords, guesses slowed per session and per process, the sign-in allow-list;
and the shared rate limits (token buckets in the database, on both databases)."""

from __future__ import annotations

import pytest

from starvideos.access import Admission, GuessThrottle, admit, client_address, email_allowed, password_matches
from starvideos.database import Database
from starvideos.errors import SettingsError, ThrottledError
from starvideos.limits import RateLimiter
from starvideos.settings import Settings, load_settings


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
        throttle.check("198.51.100.1", "tab")
        throttle.failed("198.51.100.1", "tab")
    throttle.check("198.51.100.1", "tab")
    throttle.failed("198.51.100.1", "tab")  # the 4th wrong guess: locked for 2 s
    with pytest.raises(ThrottledError) as info:
        throttle.check("198.51.100.1", "tab")
    assert info.value.message == "Too many wrong passwords. Wait 2 seconds."
    assert info.value.hint == "Wait 2 seconds and try again."
    throttle.check("198.51.100.2", "other-tab")  # another address is not locked by this one
    clock.now += 2.1
    throttle.check("198.51.100.1", "tab")
    throttle.failed("198.51.100.1", "tab")
    with pytest.raises(ThrottledError, match="Wait 4 seconds"):
        throttle.check("198.51.100.1", "tab")
    throttle.succeeded("198.51.100.1", "tab")
    throttle.check("198.51.100.1", "tab")


def test_a_new_session_from_the_same_address_does_not_start_afresh() -> None:
    """Test that fresh sessions from one address share its count: 11 sessions × 3 guesses is not 33 free guesses."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock)
    judged = 0
    for n in range(11):
        for _ in range(3):
            try:
                throttle.check("198.51.100.7", f"session-{n}")
            except ThrottledError:
                clock.now += 0.6
                continue
            throttle.failed("198.51.100.7", f"session-{n}")
            judged += 1
            clock.now += 0.6  # 33 tries in about 19 s, as in the report
    assert judged == 7  # three free, then one after each wait of 2, 4 and 8 s (the old per-session count gave 30)


def test_one_tab_cannot_guess_more_than_a_few_dozen_times_a_minute() -> None:
    """Test that a tab guessing as fast as it can is judged at most a dozen times in a minute."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock)
    judged = 0
    for _ in range(6000):  # a guess every 10 ms for a minute
        try:
            throttle.check("198.51.100.1", "tab")
        except ThrottledError:
            clock.now += 0.01
            continue
        throttle.failed("198.51.100.1", "tab")
        judged += 1
        clock.now += 0.01
    assert judged <= 12


def test_guessing_from_many_addresses_is_capped_per_process() -> None:
    """Test that spreading guesses over many addresses does not help past the process ceiling: addresses that have
    guessed wrong before are judged at most 30 times a minute between them."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock, per_minute=30)
    judged = 0
    for n in range(1000):
        address = f"203.0.113.{n % 50}"
        try:
            throttle.check(address, f"session-{n}")
        except ThrottledError as exc:
            assert exc.wait_seconds > 0
            clock.now += 0.05
            continue
        throttle.failed(address, f"session-{n}")
        judged += 1
        clock.now += 0.05
    assert judged <= 50 + 30  # each address's first wrong guess, then the ceiling: 50 s of guessing, one window


def test_an_attack_from_one_address_never_keeps_another_out() -> None:
    """Test the figure from the report: 30 wrong guesses from one address in 20 s, then the right password from
    another address is judged at once (no wait at all), while the attacker's address still waits."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock, per_minute=30)
    for n in range(30):
        try:
            throttle.check("203.0.113.66", f"attacker-{n}")
            throttle.failed("203.0.113.66", f"attacker-{n}")
        except ThrottledError:
            pass
        clock.now += 20 / 30
    throttle.check("198.51.100.20", "teammate")  # raises if the teammate had to wait
    with pytest.raises(ThrottledError):
        throttle.check("203.0.113.66", "attacker-new")


def test_the_process_ceiling_never_holds_a_clean_address() -> None:
    """Test that with the process ceiling reached by many attacking addresses, an address with no wrong guess is
    still judged at once."""
    clock = Clock()
    throttle = GuessThrottle(clock=clock, per_minute=30)
    for n in range(30):
        throttle.failed(f"203.0.113.{n}", f"s{n}")
    with pytest.raises(ThrottledError):
        throttle.check("203.0.113.1", "s1-again")  # a suspect waits for the ceiling
    throttle.check("198.51.100.20", "teammate")


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    ("127.0.0.1", ["203.0.113.9"], ("127.0.0.1", "::1"), "203.0.113.9"),  # the default: a proxy on this machine
    ("198.51.100.4", ["203.0.113.9"], ("127.0.0.1", "::1"), "198.51.100.4"),  # an untrusted peer's header is ignored
    ("10.0.0.5", ["203.0.113.9, 10.0.0.7"], ("10.0.0.0/8",), "203.0.113.9"),  # a chain of trusted proxies
    ("10.0.0.5", ["6.6.6.6, 203.0.113.9"], ("10.0.0.0/8",), "203.0.113.9"),  # a forged left part is not believed
    ("127.0.0.1", [], ("127.0.0.1",), "127.0.0.1"),
    ("127.0.0.1", ["not-an-address"], ("127.0.0.1",), "127.0.0.1"),
    ("::ffff:127.0.0.1", ["203.0.113.9"], ("127.0.0.1",), "203.0.113.9"),  # IPv4 mapped into IPv6
])
def test_client_address_believes_only_trusted_proxies(peer: str, forwarded: list[str], trusted: tuple[str, ...],
                                                      expected: str) -> None:
    """Test that X-Forwarded-For names the client only when it came from a trusted proxy, read from the right."""
    assert client_address(peer, forwarded, trusted) == expected


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
    ("mallory@evil.test@team.test", ("@team.test",), False),
    ("mallory@evil.test@team.test", (), False),
    ("Bob@TEAM.Test", ("@team.test",), True),
    ("bob@team.test.", ("@team.test",), False),
    ("bob@.team.test", ("@team.test",), False),
    ('"bob@x"@team.test', ("@team.test",), False),
    ("bob @team.test", ("@team.test",), False),
    ("bob@team.test\u200b", ("@team.test",), False),
    ("Bob <bob@team.test>", ("@team.test",), False),
    ("bob@team.test,eve@evil.test", ("@team.test",), False),
    ("@team.test", ("@team.test",), False),
])
def test_allow_list(email: str | None, allowed: tuple[str, ...], result: bool) -> None:
    """Test addresses and whole @domain entries, case-folded; only one plain address (exactly one @) matches
    anything; an empty list lets everyone signed in, nobody unsigned."""
    assert email_allowed(email, allowed) is result


SIGNED = {"is_logged_in": True}
NOT_VERIFIED = ("The sign-in provider has not verified ceo@example.com. Verify the address with the provider, or "
                "sign in with a verified one.")
NOT_SAID = ("The sign-in provider did not say whether ann@example.com is verified, so it cannot be trusted. An admin "
            "can set STARVIDEOS_TRUST_UNVERIFIED_EMAIL=1 if this provider never says so and verifies every address "
            "itself.")
NO_ADDRESS = ("The sign-in provider gave no single plain email address for this account, so it cannot be checked. "
              "Sign in with another account.")


@pytest.mark.parametrize(("claims", "trust", "admission"), [
    ({"email": "ann@example.com", "email_verified": True}, False, Admission(True, "ann@example.com")),
    ({"email": "Ann@Example.COM", "email_verified": "true"}, False, Admission(True, "ann@example.com")),
    ({"email": "ceo@example.com", "email_verified": False}, False, Admission(False, "ceo@example.com", NOT_VERIFIED)),
    ({"email": "ceo@example.com", "email_verified": False}, True, Admission(False, "ceo@example.com", NOT_VERIFIED)),
    ({"email": "ceo@example.com", "email_verified": "false"}, True, Admission(False, "ceo@example.com",
                                                                              NOT_VERIFIED)),
    ({"email": "ceo@example.com", "email_verified": 1}, True, Admission(False, "ceo@example.com", NOT_VERIFIED)),
    ({"email": "ann@example.com"}, False, Admission(False, "ann@example.com", NOT_SAID)),
    ({"email": "ann@example.com"}, True, Admission(True, "ann@example.com")),
    ({"email": "mallory@evil.test@example.com", "email_verified": True}, True, Admission(False, None, NO_ADDRESS)),
    ({"email": ["ann@example.com"], "email_verified": True}, True, Admission(False, None, NO_ADDRESS)),
    ({"email_verified": True}, True, Admission(False, None, NO_ADDRESS)),
    ({"email": "eve@elsewhere.test", "email_verified": True}, False, Admission(
        False, "eve@elsewhere.test", "eve@elsewhere.test is not on this app's list. Ask an admin to add your address "
                                     "to STARVIDEOS_ALLOWED_EMAILS, or sign in with another account.")),
], ids=["verified", "verified as text", "unverified", "unverified though trusted", "unverified as text",
        "verified as 1", "no claim", "no claim trusted", "two @", "not text", "no email", "not listed"])
def test_only_a_verified_plain_address_on_the_list_is_admitted(claims: dict, trust: bool,
                                                               admission: Admission) -> None:
    """Test that with STARVIDEOS_ALLOWED_EMAILS=@example.com only a plain address the provider verified gets in;
    ceo@example.com with email_verified false and mallory@evil.test@example.com are refused, each with why."""
    settings = load_settings({"STARVIDEOS_ALLOWED_EMAILS": "@example.com",
                              "STARVIDEOS_TRUST_UNVERIFIED_EMAIL": "1" if trust else "0"})
    assert admit({**SIGNED, **claims}, settings) == admission


def test_not_signed_in_is_not_admitted_even_without_a_list() -> None:
    """Test that nobody unsigned is admitted, and that without a list a verified address is enough."""
    assert admit({"is_logged_in": False, "email": "ann@example.com", "email_verified": True}, Settings()) == \
        Admission(False, None, "Not signed in.")
    assert admit({**SIGNED, "email": "ann@anywhere.test", "email_verified": True}, Settings()).allowed
    assert not admit({**SIGNED, "email": "ann@anywhere.test", "email_verified": False}, Settings()).allowed


def test_trust_unverified_email_setting() -> None:
    """Test that STARVIDEOS_TRUST_UNVERIFIED_EMAIL is off by default, reads 1/0 and says what it takes otherwise."""
    assert load_settings({}).trust_unverified_email is False
    assert load_settings({"STARVIDEOS_TRUST_UNVERIFIED_EMAIL": "1"}).trust_unverified_email is True
    assert load_settings({"STARVIDEOS_TRUST_UNVERIFIED_EMAIL": "true"}).trust_unverified_email is True
    assert load_settings({"STARVIDEOS_TRUST_UNVERIFIED_EMAIL": "0"}).trust_unverified_email is False
    with pytest.raises(SettingsError, match=r"^STARVIDEOS_TRUST_UNVERIFIED_EMAIL must be 1 or 0 \(got 'maybe'\)\.$"):
        load_settings({"STARVIDEOS_TRUST_UNVERIFIED_EMAIL": "maybe"})


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
