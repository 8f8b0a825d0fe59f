"""/metrics: Prometheus' format, parsed back with prometheus_client's own parser, after real API calls; loopback
only unless a bearer token is set."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request

from components import runtime
from server.metrics import metrics
from starvideos.models import VideoRequest
from tests.e2e.conftest import AppServer, free_port


def scrape(client: str = "127.0.0.1", authorization: str | None = None) -> tuple[int, str]:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    scope = {"type": "http", "method": "GET", "path": "/metrics", "headers": headers, "query_string": b"",
             "client": (client, 40000), "server": ("127.0.0.1", 8501), "scheme": "http"}
    response = metrics(Request(scope))
    return response.status_code, bytes(response.body).decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_what_the_api_was_asked_and_what_waits(app_env: Path) -> None:
    """Test that after two creates and their lookups, /metrics parses and shows tasks by status, the queue, the
    API calls by answer with their latency histograms, and this replica's workers running."""
    services = runtime.backend()
    services.start()
    for prompt in ("one", "two"):
        submission = services.queue.submit(VideoRequest(prompt))
        assert submission.error is None
    deadline = time.monotonic() + 15
    while services.store.counts_by_status().get("completed", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    status, text = scrape()
    assert status == 200
    found = samples(text)
    assert found[("starvideos_up", ())] == 1
    assert found[("starvideos_tasks", (("status", "completed"),))] == 2
    assert found[("starvideos_queue_depth", (("state", "pending"),))] == 0
    assert found[("starvideos_create_requests_total", (("answer", "200"),))] >= 2
    assert found[("starvideos_lookup_requests_total", (("answer", "200"),))] >= 2
    creates = found[("starvideos_create_seconds_count", ())]
    assert creates >= 2 and found[("starvideos_create_seconds_bucket", (("le", "+Inf"),))] == creates
    assert found[("starvideos_worker_running", (("worker", "status_poller"),))] == 1
    assert found[("starvideos_worker_running", (("worker", "cut_builder"),))] == 1


def test_metrics_are_refused_from_outside_loopback_and_need_the_token_when_set(app_env: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that without a token only loopback may scrape (IPv4, IPv6, IPv4-mapped), and that with
    STARVIDEOS_METRICS_TOKEN set a bearer token is required from anywhere, compared exactly."""
    assert scrape("203.0.113.9")[0] == 403
    assert scrape("::1")[0] == 200 and scrape("::ffff:127.0.0.1")[0] == 200
    monkeypatch.setenv("STARVIDEOS_METRICS_TOKEN", "scrape-token-0123")
    runtime.reset()
    assert scrape("127.0.0.1")[0] == 403
    assert scrape("203.0.113.9", "Bearer wrong")[0] == 403
    assert scrape("203.0.113.9", "Bearer scrape-token-0123")[0] == 200


def test_metrics_over_http_from_a_real_server(tmp_path: Path) -> None:
    """Test /metrics through `streamlit run app.py`: loopback gets the text format; a client named by a trusted
    proxy's X-Forwarded-For is not loopback and is refused."""
    app = AppServer(history=tmp_path / "history.sqlite3", sandbox_port=free_port()).start()
    try:
        answer = requests.get(f"{app.url}/metrics", timeout=10)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        assert ("starvideos_up", ()) in samples(answer.text)
        forwarded = requests.get(f"{app.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        assert forwarded.status_code == 403
    finally:
        app.stop()
