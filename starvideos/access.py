"""Who may enter: the shared password (compared in constant time, guesses slowed down) and the sign-in allow-list.

UI-free: the app's gate page calls these and shows what they say.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from .errors import ThrottledError


class GuessThrottle:
    """Slows password guessing per browser session and across the whole process.

    Each session gets ``free`` wrong guesses; after that each wrong guess locks it for twice as long as the last
    (``base`` seconds, up to ``ceiling``). Across the process at most ``per_minute`` wrong guesses are judged per
    minute, whoever makes them, so opening many sessions does not help either.
    """

    def __init__(self, *, free: int = 3, base: float = 2.0, ceiling: float = 60.0, per_minute: int = 30,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.ceiling, self.per_minute = free, base, ceiling, per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (wrong guesses, locked until)
        self._recent: deque[float] = deque()

    def check(self, key: str) -> None:
        """Raise ``ThrottledError`` (with the wait) when ``key`` may not guess yet."""
        now = self._clock()
        with self._lock:
            while self._recent and self._recent[0] <= now - 60:
                self._recent.popleft()
            wait = self._failures.get(key, (0, 0.0))[1] - now
            if len(self._recent) >= self.per_minute:
                wait = max(wait, self._recent[0] + 60 - now)
        if wait > 0:
            raise ThrottledError(f"Too many wrong passwords. Wait {max(1, round(wait))} seconds.", wait_seconds=wait)

    def failed(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            count = self._failures.get(key, (0, 0.0))[0] + 1
            delay = 0.0 if count <= self.free else min(self.ceiling, self.base * 2 ** (count - self.free - 1))
            self._failures[key] = (count, now + delay)
            self._recent.append(now)
            if len(self._failures) > 10_000:  # forget the oldest sessions rather than grow without bound
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def password_matches(typed: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of a guess was right."""
    return hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8"))


def email_allowed(email: str | None, allowed: Sequence[str]) -> bool:
    """True when ``allowed`` is empty (everyone signed in) or lists the address or its ``@domain``."""
    if not email:
        return False
    if not allowed:
        return True
    address = email.strip().lower()
    domain = "@" + address.rsplit("@", 1)[-1] if "@" in address else None
    return any(entry == address or (entry.startswith("@") and entry == domain) for entry in allowed)
