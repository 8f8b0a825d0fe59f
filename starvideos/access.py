"""Who may enter: the shared password (compared in constant time, guesses slowed down) and the sign-in allow-list.

UI-free: the app's gate page calls these and shows what they say.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ThrottledError
from .settings import Settings


class GuessThrottle:
    """Slows password guessing per client address and per browser session.

    Each address and each session gets ``free`` wrong guesses; after that each wrong guess locks it for twice as
    long as the last (``base`` seconds, up to ``ceiling``): a new tab or a new session from the same address does not
    start afresh. Across the process at most ``per_minute`` wrong guesses a minute are judged from addresses that
    have guessed wrong before; an address with no wrong guesses is always judged at once, so nobody guessing
    elsewhere can keep the team out.
    """

    def __init__(self, *, free: int = 3, base: float = 2.0, ceiling: float = 60.0, per_minute: int = 30,
                 memory: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.ceiling, self.per_minute = free, base, ceiling, per_minute
        self._memory = memory
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # "addr:…"/"session:…" -> (wrong guesses, locked until)
        self._recent: deque[float] = deque()

    def check(self, address: str, session: str) -> None:
        """Raise ``ThrottledError`` (with the wait) when this address or session may not guess yet."""
        now = self._clock()
        keys = (f"addr:{address}", f"session:{session}")
        with self._lock:
            while self._recent and self._recent[0] <= now - 60:
                self._recent.popleft()
            wait = max(self._failures.get(key, (0, 0.0))[1] for key in keys) - now
            suspect = any(key in self._failures for key in keys)
            if suspect and len(self._recent) >= self.per_minute:
                wait = max(wait, self._recent[0] + 60 - now)
        if wait > 0:
            seconds = max(1, round(wait))
            raise ThrottledError(f"Too many wrong passwords. Wait {seconds} second{'' if seconds == 1 else 's'}.",
                                 wait_seconds=wait)

    def failed(self, address: str, session: str) -> None:
        now = self._clock()
        with self._lock:
            for key in (f"addr:{address}", f"session:{session}"):
                count = self._failures.pop(key, (0, 0.0))[0] + 1
                delay = 0.0 if count <= self.free else min(self.ceiling, self.base * 2 ** (count - self.free - 1))
                self._failures[key] = (count, now + delay)  # re-inserted: the dict stays oldest-first
            self._recent.append(now)
            while len(self._failures) > self._memory:  # forget the oldest rather than grow without bound
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, address: str, session: str) -> None:
        with self._lock:
            self._failures.pop(f"addr:{address}", None)
            self._failures.pop(f"session:{session}", None)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[str]) -> str:
    """The client's address: the connection's ``peer``, or, when the peer is a trusted proxy, the nearest address in
    ``X-Forwarded-For`` (read from the right) that is not itself a trusted proxy. Anything else in that header is
    the client's to forge, so it is not believed."""
    networks = [n for n in (_network(entry) for entry in trusted) if n is not None]

    def is_trusted(address: str) -> bool:
        ip = _address(address)
        return ip is not None and any(ip in network for network in networks)

    if not is_trusted(peer):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return peer  # a malformed hop: stop believing the header here
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else peer


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return None


def password_matches(typed: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of a guess was right."""
    return hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Admission:
    """Whether a signed-in person may enter, and if not, why, in words for that person."""

    allowed: bool
    email: str | None
    """The address as compared (case-folded), when the provider gave one plain address."""
    reason: str = ""
    """Why not; empty when allowed. It holds the address as the provider sent it: show it as plain text."""


def admit(claims: Mapping[str, Any], settings: Settings) -> Admission:
    """Judge a signed-in person by their identity token's claims (``st.user``): one plain email address, verified
    by the provider, and on ``STARVIDEOS_ALLOWED_EMAILS`` when that list is set.

    ``email_verified`` must be true: a provider that lets anyone type any address (many do, for their own
    sign-ups) would otherwise let ``ceo@example.com`` in. A provider that never sends the claim is trusted only
    with ``STARVIDEOS_TRUST_UNVERIFIED_EMAIL``; one that says false is never trusted.
    """
    if not claims.get("is_logged_in"):
        return Admission(False, None, "Not signed in.")
    raw = claims.get("email")
    parts = parse_email(raw)
    if parts is None:
        return Admission(False, None, "The sign-in provider gave no single plain email address for this account, "
                                      "so it cannot be checked. Sign in with another account.")
    email = "@".join(parts)
    verified = claims.get("email_verified")
    if verified is None and not settings.trust_unverified_email:
        return Admission(False, email, f"The sign-in provider did not say whether {raw} is verified, so it cannot be "
                                       "trusted. An admin can set STARVIDEOS_TRUST_UNVERIFIED_EMAIL=1 if this "
                                       "provider never says so and verifies every address itself.")
    if verified is not None and not _is_true(verified):
        return Admission(False, email, f"The sign-in provider has not verified {raw}. Verify the address with the "
                                       "provider, or sign in with a verified one.")
    if not email_allowed(email, settings.allowed_emails):
        return Admission(False, email, f"{raw} is not on this app's list. Ask an admin to add your address to "
                                       "STARVIDEOS_ALLOWED_EMAILS, or sign in with another account.")
    return Admission(True, email)


def parse_email(value: object) -> tuple[str, str] | None:
    """``(local part, domain)`` case-folded, when ``value`` is one plain address; None for anything else.

    Strict on purpose: exactly one ``@`` (``mallory@evil.test@example.com`` is refused, not read as a domain
    after its last ``@``), no spaces, controls, quotes, brackets, commas or comments, no empty domain label.
    """
    if not isinstance(value, str) or len(value) > 320:
        return None
    address = value.strip()
    if address.count("@") != 1 or any(ch in _NOT_IN_PLAIN_ADDRESSES or not ch.isprintable() or ch.isspace()
                                      for ch in address):
        return None
    local, domain = address.split("@")
    if not local or not domain or "" in domain.split("."):
        return None
    return local.casefold(), domain.casefold()


def email_allowed(email: str | None, allowed: Sequence[str]) -> bool:
    """True when ``email`` is one plain address and ``allowed`` is empty (everyone signed in) or lists it or its
    whole ``@domain`` (case-folded; a subdomain is another domain)."""
    parts = parse_email(email)
    if parts is None:
        return False
    if not allowed:
        return True
    local, domain = parts
    entries = {entry.strip().casefold() for entry in allowed}
    return f"{local}@{domain}" in entries or f"@{domain}" in entries


_NOT_IN_PLAIN_ADDRESSES = frozenset('"<>()[]\\,;:')


def _is_true(claim: object) -> bool:
    # Some providers send the claim as a string.
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")
