"""What this process has done, counted for ``/metrics``: API calls by kind and answer, their latency, copy failures.

Plain counters and fixed-bucket histograms under one lock, with no dependency: the core records, and the server's
``/metrics`` route turns a snapshot into Prometheus' format when it is scraped (so ``prometheus_client`` is imported
only then, never on a page's first paint). Counters only grow; a scraper computes rates (``rate(…[1m])``).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

# Seconds: from a quick sandbox answer to the API's read timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds


@dataclass(frozen=True)
class Snapshot:
    counters: dict[tuple[str, tuple[tuple[str, str], ...]], float]
    histograms: dict[str, tuple[list[int], float]]


class Telemetry:
    """Thread-safe counters and latency histograms for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._histograms: dict[str, Histogram] = {}

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + amount

    def observe(self, name: str, seconds: float) -> None:
        with self._lock:
            self._histograms.setdefault(name, Histogram()).observe(seconds)

    def api_call(self, kind: str, status: int | None, seconds: float) -> None:
        """One HTTP exchange with the API (``kind`` is ``create`` or ``lookup``; ``status`` None when no answer)."""
        self.count(f"{kind}_requests", answer=str(status) if status is not None else "none")
        if status == 429:
            self.count("rate_limited", kind=kind)
        self.observe(f"{kind}_seconds", seconds)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(dict(self._counters),
                            {name: (list(h.counts), h.total) for name, h in self._histograms.items()})


TELEMETRY = Telemetry()
"""The process's own (every client, worker and route records here)."""
