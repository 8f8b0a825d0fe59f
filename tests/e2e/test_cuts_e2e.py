"""End to end, in Chromium: a board's takes made into one cut, its progress shown live, and the cut playing in
Present; a take's In and Out set from its player's moment. Every page reached by clicking."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from starvideos.database import Database
from starvideos.schema import board_trims, cuts
from starvideos.showcase import Board
from tests.e2e.conftest import AppServer, screenshot, wait_idle, wait_settled
from tests.e2e.seeding import board_of, seed
from tests.e2e.test_review_e2e import play_to

pytestmark = pytest.mark.e2e

PROMPTS = ["A lighthouse in a storm", "A red fox in fresh snow", "Neon street in the rain"]


def board_opened(server: AppServer, page: Page, name: str, ids: list[int]) -> Board:
    """A board of ``ids`` named ``name``, opened as a person does: Boards in the sidebar, then its name."""
    board = board_of(server, name, ids)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Boards", exact=True).click()
    wait_idle(page)
    page.get_by_text(name, exact=True).click()
    wait_idle(page)
    return board


def test_make_a_cut_see_its_progress_and_present_it(make_server: type, page: Page) -> None:
    """Test that "Make a cut" on a board of three takes shows the cut's progress without a reload, then the cut
    itself, and that its Present link plays it as one item, captioned with the board's name."""
    server: AppServer = make_server()
    ids = seed(server, PROMPTS, visit=page)
    board = board_opened(server, page, "Cut pitch", ids)
    page.locator(f".st-key-cut_size_b{board.id}").click()
    page.get_by_role("option", name="1920×1080 (landscape)").click()  # a size big enough to watch it being made
    wait_idle(page)
    page.locator(f".st-key-cut_make_b{board.id} button").click()
    expect(page.get_by_text("Cut v1 is queued")).to_be_visible()
    version = page.locator("[class*='st-key-cut_version_']")
    expect(version.get_by_test_id("stProgress")).to_be_visible()  # the cut's (the board's approvals have one too)
    expect(version.locator("video")).to_have_count(1, timeout=90_000)  # the live part shows it when it is made
    expect(version.get_by_test_id("stProgress")).to_have_count(0)
    wait_settled(page)  # the finished cut redraws the page once; Present is clicked after that
    [row] = Database(f"sqlite:///{server.history}").rows(sa.select(cuts.c.id, cuts.c.state))
    assert row.state == "done"
    version.get_by_role("link", name="Present").click()
    expect(page).to_have_url(re.compile(rf"[?&]cut={row.id}\b"))  # the click's run may not have begun yet
    wait_idle(page)
    expect(page.locator(".st-key-present_caption")).to_contain_text("Cut pitch")
    page.wait_for_function("() => { const v = document.querySelector('.st-key-present_stage video');"
                           " return v && v.videoWidth === 1920 && v.currentTime > 0.2; }")


def test_set_in_and_set_out_from_the_players_moment(make_server: type, page: Page) -> None:
    """Test that on a board (reached by clicking) a member opens a take's player without any note, stops it at a
    moment and presses "Set in 0:01.0", then at another "Set out 0:02.5": the In and Out inputs show those points,
    the card says what the cut plays, and the points are kept in the database."""
    server: AppServer = make_server()
    ids = seed(server, PROMPTS[:2], visit=page)
    board = board_opened(server, page, "Trim pitch", ids)
    card = page.locator(f".st-key-card_board_{ids[0]}")
    card.get_by_text("Player: trim & notes", exact=True).click()
    wait_idle(page)
    play_to(page, f".st-key-card_board_{ids[0]}", 1.0)
    card.get_by_role("button", name="Set in 0:01.0").click()
    wait_idle(page)
    points = f"{board.id}_{ids[0]}"
    expect(page.locator(f".st-key-trim_in_{points} input")).to_have_value("1.0")
    play_to(page, f".st-key-card_board_{ids[0]}", 2.5)
    card.get_by_role("button", name="Set out 0:02.5").click()
    wait_idle(page)
    expect(page.locator(f".st-key-trim_out_{points} input")).to_have_value("2.5")
    expect(page.locator(f".st-key-trim_in_{points} input")).to_have_value("1.0")
    expect(card.get_by_text("Plays 1.0–2.5 s (1.5 s) in the cut")).to_be_visible()
    screenshot(page, "board-trim.png")
    kept = Database(f"sqlite:///{server.history}").rows(sa.select(
        board_trims.c.board_id, board_trims.c.record_id, board_trims.c.in_seconds, board_trims.c.out_seconds))
    assert [tuple(row) for row in kept] == [(board.id, ids[0], 1.0, 2.5)]
