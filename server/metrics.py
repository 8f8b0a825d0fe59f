"""``/metrics``: Prometheus' text format, made with ``prometheus_client`` at scrape time (imported here, on first
scrape, never on a page's first paint).

Per replica (scrape each): tasks by status, the create queue by state, copies, notifications and cuts waiting, API calls
(creates and lookups) by answer with their latency, 429s, copy failures, and every worker's last heartbeat (the
deployment's, from the database: a stale beat is a stuck or dead replica). Open to loopback only, unless
``STARVIDEOS_METRICS_TOKEN`` is set: then a bearer token is required, from anywhere.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from components import runtime
from starvideos.errors import StarVideosError
from starvideos.models import TaskStatus
from starvideos.telemetry import LATENCY_BUCKETS, TELEMETRY

QUEUE_STATES = (TaskStatus.PENDING, TaskStatus.SENDING)


def metrics(request: Request) -> Response:
    settings = runtime.settings()
    if not _allowed(request, settings.metrics_token):
        return PlainTextResponse("Forbidden: /metrics is open to loopback, or with STARVIDEOS_METRICS_TOKEN as a "
                                 "bearer token.", status_code=403, headers={"WWW-Authenticate": "Bearer"})
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def _allowed(request: Request, token: str | None) -> bool:
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


class _Collector:
    """Reads the database and this process's telemetry when scraped; nothing is kept between scrapes."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        up = GaugeMetricFamily("starvideos_up", "1 when this replica can reach its database.")
        try:
            services = runtime.backend()
            gauges = services.gauges()
            beats = services.data.heartbeats.latest()
            workers = services.data.workers()
        except StarVideosError:
            up.add_metric([], 0)
            yield up
            gauges, beats, workers = None, [], {}
        else:
            up.add_metric([], 1)
            yield up
        if gauges is not None:
            tasks = GaugeMetricFamily("starvideos_tasks", "Tasks in the history, by status.", labels=["status"])
            for status, n in sorted(gauges["tasks"].items()):
                tasks.add_metric([status], n)
            yield tasks
            queue = GaugeMetricFamily("starvideos_queue_depth", "Create requests waiting or being sent.",
                                      labels=["state"])
            for state in QUEUE_STATES:
                queue.add_metric([state], gauges["tasks"].get(state, 0))
            yield queue
            for name, what in (("copies", "Copies of finished videos not saved yet, by state."),
                               ("notifications", "Chat messages not sent yet, by state."),
                               ("cuts", "Cuts waiting, being made or failed, by state.")):
                family = GaugeMetricFamily(f"starvideos_{name}", what, labels=["state"])
                for state_name, n in sorted(gauges[name].items()):
                    family.add_metric([state_name], n)
                yield family
        alive = GaugeMetricFamily("starvideos_worker_running", "1 while this replica's worker loop runs.",
                                  labels=["worker"])
        for name, is_running in sorted(workers.items()):
            alive.add_metric([name], 1 if is_running else 0)
        yield alive
        beat = GaugeMetricFamily("starvideos_worker_heartbeat_age_seconds",
                                 "Seconds since each worker of the deployment last beat.",
                                 labels=["worker", "owner", "host"])
        now = time.time()
        for kind, owner, host, beat_at in beats:
            beat.add_metric([kind, owner, host], round(max(0.0, now - beat_at), 3))
        yield beat
        snapshot = TELEMETRY.snapshot()
        counters: dict[str, CounterMetricFamily] = {}
        for (name, labels), value in sorted(snapshot.counters.items()):
            counter = counters.get(name)
            if counter is None:
                counter = counters[name] = CounterMetricFamily(f"starvideos_{name}", _HELP.get(name, name),
                                                               labels=[k for k, _ in labels])
            counter.add_metric([v for _, v in labels], value)
        yield from counters.values()
        for name, (counts, total) in sorted(snapshot.histograms.items()):
            buckets, running = [], 0
            for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), counts, strict=True):
                running += count
                buckets.append((bound, running))
            yield HistogramMetricFamily(f"starvideos_{name}", _HELP.get(name, name), buckets=buckets, sum_value=total)


_HELP = {
    "create_requests": "Create requests sent to the API, by answer (HTTP status, or none).",
    "lookup_requests": "Status lookups sent to the API, by answer (HTTP status, or none).",
    "rate_limited": "429 answers from the API, by kind of call.",
    "copy_failures": "Copies of finished videos that failed (each is retried with back-off).",
    "copies_saved": "Copies of finished videos saved.",
    "cuts_made": "Cuts made (boards or chains of takes made into one video).",
    "create_seconds": "Time for the API to answer a create request.",
    "lookup_seconds": "Time for the API to answer a status lookup.",
}

ROUTES = [Route("/metrics", metrics, methods=["GET"])]
