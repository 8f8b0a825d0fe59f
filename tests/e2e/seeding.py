"""What the showcase e2e tests start from, made through the same public paths the app uses: takes created through
the server's own sandbox and saved by its workers, and boards of them (shared by a link or not) in its database."""

from __future__ import annotations

import requests
from playwright.sync_api import Page

from starvideos.client import StarVideosClient
from starvideos.copies import MediaStore
from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.models import VideoRequest
from starvideos.showcase import Board, Showcase
from tests.conftest import DUMMY_KEY
from tests.creates import create_now
from tests.e2e.conftest import AppServer, wait_idle, wait_until

PROMPTS = ["A lighthouse in a storm, slow aerial orbit", "A red fox runs through fresh snow, tracking shot",
           "Neon street at night in the rain, slow push-in", "Jellyfish drifting in deep blue water, macro"]
LAPTOP = {"width": 1400, "height": 1000}


def ready(server: AppServer) -> None:
    """Wait until the server's /readyz says its database is at the newest schema and its workers run: what a load
    balancer waits for, and all a take made from outside needs."""
    def answers() -> bool:
        try:
            return requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False
    wait_until(answers)


def seed(server: AppServer, prompts: list[str] = PROMPTS, *, visit: Page | None = None) -> list[int]:
    """Takes made through the server's own sandbox; returns their record ids once the server has saved them. A page
    given as ``visit`` opens the app meanwhile (its first run overlaps the seeding) and is idle on return."""
    if visit is not None:
        visit.goto(server.url)
    ready(server)
    store = HistoryStore(Database(f"sqlite:///{server.history}"))
    client = StarVideosClient(server.sandbox_url, DUMMY_KEY)
    ids = [create_now(client, store, VideoRequest(p, ratio="9:16" if n == 1 else "16:9"), session_id="e2e")
           .record_id for n, p in enumerate(prompts)]
    media = MediaStore(store.db)
    wait_until(lambda: all((m := media.get(i)) is not None and m.state == "saved" for i in ids))
    store.close()
    if visit is not None:
        wait_idle(visit)
    return ids


def showcase(server: AppServer) -> Showcase:
    return Showcase(Database(f"sqlite:///{server.history}"))


def board_of(server: AppServer, name: str, ids: list[int]) -> Board:
    """A board named ``name`` holding the takes ``ids``, in that order."""
    shows = showcase(server)
    board = shows.board_named(name)
    shows.add(board.id, ids)
    return board


def shared_board(server: AppServer, name: str, ids: list[int]) -> tuple[Board, str]:
    """A board of ``ids`` and the token of a new share link to it (the link's address ends with it)."""
    board = board_of(server, name, ids)
    token, _link = showcase(server).share(board.id)
    return board, token
