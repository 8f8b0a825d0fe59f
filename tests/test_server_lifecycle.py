"""The server's lifespan and its dependencies: workers start with the server and stop on shutdown, /readyz follows
PostgreSQL going away and coming back, stored media on S3 are a redirect to a fresh presigned link."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import requests

from components import runtime
from server.lifespan import lifespan
from starvideos.sandbox.postgres import LocalPostgres
from starvideos.signing import Signer
from tests.e2e.conftest import AppServer, free_port

SECRET = "lifecycle-tests-secret-0123456789ab"
WORKER_THREADS = ("status-poller", "media-copier", "create-queue")


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def ready(server: AppServer) -> tuple[int, dict]:
    answer = requests.get(f"{server.url}/readyz", timeout=10)
    return answer.status_code, answer.json()


def test_readyz_follows_postgresql_down_and_back(tmp_path: Path) -> None:
    """Test that /readyz is 200 on PostgreSQL, 503 naming the database while the server is stopped, and 200 again
    when it is back, with no restart of the app."""
    with LocalPostgres() as pg:
        url = pg.create_database("ready")
        app = AppServer(history=tmp_path / "unused.sqlite3", sandbox_port=free_port(),
                        env={"STARVIDEOS_DATABASE_URL": url}).start()
        try:
            wait_for(lambda: ready(app)[0] == 200)
            pg.pause()
            status, body = ready(app)
            assert status == 503 and body["ready"] is False and body["status"] == "not ready"
            assert body["checks"]["database"].startswith("The database at STARVIDEOS_DATABASE_URL")
            pg.resume()
            wait_for(lambda: ready(app)[0] == 200)
        finally:
            app.stop()


def test_workers_start_with_the_server_and_stop_on_sigterm(tmp_path: Path) -> None:
    """Test that a server nobody has visited is following tasks (its workers run), and that SIGTERM stops it
    cleanly within ten seconds."""
    app = AppServer(history=tmp_path / "history.sqlite3", sandbox_port=free_port()).start()
    wait_for(lambda: ready(app)[1].get("ready") is True)
    assert app.process is not None
    started = time.monotonic()
    app.process.send_signal(signal.SIGTERM)
    assert app.process.wait(15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert time.monotonic() - started < 10
    log = (tmp_path / f"streamlit-{app.port}.log").read_text()
    assert "INFO starvideos.server: background work stopped" in log
    assert "did not stop" not in log and "Traceback" not in log


def test_the_lifespan_starts_every_worker_and_leaves_no_thread_behind(app_env: Path) -> None:
    """Test the lifespan in-process: the workers and the sandbox run inside it, and none of their threads is left
    once it ends."""
    before = set(threading.enumerate())

    async def run() -> None:
        async with lifespan(None):
            wait_for(lambda: runtime.backend().started and all(runtime.backend().data.workers().values()))
            assert {t.name for t in threading.enumerate()} >= set(WORKER_THREADS)

    # A thread of its own, as uvicorn's loop would be: the session's Playwright keeps a loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=60)  # re-raises what failed inside
    wait_for(lambda: not [t for t in threading.enumerate() if t not in before and t.is_alive()
                          and not t.name.startswith(("asyncio", "ThreadPoolExecutor"))], timeout=10)


def test_stored_media_on_s3_redirect_to_a_fresh_presigned_link(tmp_path: Path, s3_bucket: str,
                                                               moto_endpoint: str) -> None:
    """Test that with S3 storage a signed /files link answers 302 to a presigned link on the bucket, which serves
    the object, and that a forged link gets no redirect."""
    bucket, _, prefix = s3_bucket.removeprefix("s3://").partition("/")
    boto3.client("s3", endpoint_url=moto_endpoint).put_object(Bucket=bucket, Key=f"{prefix}/videos/take.mp4",
                                                              Body=b"\x00\x00\x00\x18ftypmp42" + b"v" * 100)
    app = AppServer(history=tmp_path / "history.sqlite3", sandbox_port=free_port(),
                    env={"STARVIDEOS_STORAGE_URL": s3_bucket, "STARVIDEOS_SECRET_KEY": SECRET}).start()
    try:
        link = app.url + Signer(SECRET).media_path("videos/take.mp4", ttl=3600)
        answer = requests.get(link, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and answer.headers["cache-control"] == "no-store"
        target = answer.headers["location"]
        assert target.startswith(f"{moto_endpoint}/{bucket}/{prefix}/videos/take.mp4?") and "Signature" in target
        assert requests.get(target, timeout=10).content.endswith(b"v" * 100)
        forged = requests.get(link.replace("s=", "s=A"), allow_redirects=False, timeout=10)
        assert forged.status_code == 403 and "location" not in forged.headers
    finally:
        app.stop()
