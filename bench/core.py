"""B1 (client overhead) and B3 (parallel status lookups): the core package against the sandbox."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import requests

from bench.support import KEY, timed
from starvideos.client import USER_AGENT, StarVideosClient
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from starvideos.poller import StatusPoller
from starvideos.sandbox import SandboxServer


def b1_client_overhead(quick: bool) -> tuple[list[float], list[float]]:
    pairs, reps = (100, 3) if quick else (500, 5)
    request = VideoRequest("A lighthouse in a storm, slow aerial orbit", duration=6)
    with SandboxServer(queued_seconds=60) as sandbox:
        client = StarVideosClient(sandbox.base_url, KEY)
        session = requests.Session()
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json",
                   "Accept": "application/json", "User-Agent": USER_AGENT}
        body = json.dumps(request.to_payload()).encode()
        create_url = f"{sandbox.base_url}/v1/starvideos/videos"

        def with_client() -> None:
            for _ in range(pairs):
                client.get_video(client.create_video(request).id)

        def bare() -> None:
            for _ in range(pairs):
                task_id = session.post(create_url, data=body, headers=headers, timeout=30).json()["id"]
                session.get(f"{create_url}/{task_id}", headers=headers, timeout=30).json()

        with_client()
        bare()  # warm both pools
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(timed(bare))
            candidate.append(timed(with_client))
            sandbox.clear()
    return candidate, baseline


def b3_parallel_lookups(quick: bool) -> tuple[list[float], list[float]]:
    reps = 3 if quick else 7
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(queued_seconds=3600) as sandbox:
        client = StarVideosClient(sandbox.base_url, KEY)
        store = HistoryStore(Path(tmp) / "h.sqlite3")
        ids = []
        for i in range(25):
            task = client.create_video(VideoRequest(f"task {i}"))
            store.mark_created(store.record_attempt(VideoRequest(f"task {i}")), task)
            ids.append(task.id)
        sandbox.lookup_delay = 0.3
        poller = StatusPoller(client, store)
        poller.refresh(ids, force=True)  # warm-up: the pool starts its threads on first use
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(timed(lambda: poller.refresh(ids[:1], force=True)))
            candidate.append(timed(lambda: poller.refresh(ids, force=True)))
        poller.close()
        store.close()
    return candidate, baseline
