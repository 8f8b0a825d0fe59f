"""Compare's notes in Chromium: a note's time moves every player to that moment."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from starvideos.database import Database
from starvideos.review import Review
from tests.e2e.conftest import AppServer, wait_idle, wait_until
from tests.e2e.seeding import PROMPTS, seed

pytestmark = pytest.mark.e2e

PLAYERS = ".st-key-compare_players video"


def test_a_notes_time_on_compare_moves_every_player_there(make_server: type, page: Page) -> None:
    """Test that on Compare, reached from the Gallery by clicking, each take's notes are listed under its player,
    and pressing a note's time moves every player to that moment, in step; pressing it again after they have
    moved on brings them back."""
    server: AppServer = make_server()
    ids = seed(server, PROMPTS[:2], visit=page)
    review = Review(Database(f"sqlite:///{server.history}"))
    review.pin(ids[0], 3.25, "The fox turns **here**", author="Ann")
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Gallery", exact=True).click()
    for record_id in ids:
        page.locator(f".st-key-select_gallery_{record_id} label").click()
        wait_idle(page)
    page.get_by_role("button", name="Compare (2)").click()
    players = page.locator(PLAYERS)
    expect(players).to_have_count(2)
    wait_until(lambda: players.evaluate_all("vs => vs.every(v => v.readyState >= 1)"), 30)

    page.get_by_text("Notes at a moment (1)").click()
    notes = page.locator(f".st-key-compare_notes_{ids[0]}")
    expect(notes.get_by_text("The fox turns **here**", exact=True)).to_be_visible()  # plain text
    notes.get_by_role("button", name="0:03.2").click()
    wait_until(lambda: players.evaluate_all("vs => vs.every(v => Math.abs(v.currentTime - 3.25) < 0.05)"), 30)
    players.first.evaluate("v => { v.currentTime = 1; }")  # the other follows (the bar keeps them in step)
    wait_until(lambda: players.evaluate_all("vs => vs.every(v => Math.abs(v.currentTime - 1) < 0.05)"), 30)
    notes.get_by_role("button", name="0:03.2").click()
    wait_until(lambda: players.evaluate_all("vs => vs.every(v => Math.abs(v.currentTime - 3.25) < 0.05)"), 30)
