"""End to end, in Chromium: a board's takes made into one cut, its progress shown live, and the cut playing in
Present, every page reached by clicking."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from starvideos.database import Database
from starvideos.schema import cuts
from tests.e2e.conftest import AppServer, wait_idle
from tests.e2e.test_showcase_e2e import seed, showcase

pytestmark = pytest.mark.e2e

PROMPTS = ["A lighthouse in a storm", "A red fox in fresh snow", "Neon street in the rain"]


def test_make_a_cut_see_its_progress_and_present_it(make_server: type, page: Page) -> None:
    """Test that "Make a cut" on a board of three takes shows the cut's progress without a reload, then the cut
    itself, and that its Present link plays it as one item, captioned with the board's name."""
    server: AppServer = make_server(STARVIDEOS_SANDBOX_SPEED="10", STARVIDEOS_POLL_INTERVAL="0.5")
    ids = seed(server, PROMPTS, visit=page)
    shows = showcase(server)
    board = shows.board_named("Cut pitch")
    shows.add(board.id, ids)

    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Boards", exact=True).click()
    wait_idle(page)
    page.get_by_text("Cut pitch", exact=True).click()
    wait_idle(page)
    page.locator(f".st-key-cut_size_b{board.id}").click()
    page.get_by_role("option", name="1920×1080 (landscape)").click()  # a size big enough to watch it being made
    wait_idle(page)
    page.locator(f".st-key-cut_make_b{board.id} button").click()
    expect(page.get_by_text("Cut v1 is queued")).to_be_visible()
    version = page.locator("[class*='st-key-cut_version_']")
    expect(version.get_by_test_id("stProgress")).to_be_visible()  # the cut's (the board's approvals have one too)
    expect(version.locator("video")).to_have_count(1, timeout=90_000)  # the live part shows it when it is made
    expect(version.get_by_test_id("stProgress")).to_have_count(0)
    [row] = Database(f"sqlite:///{server.history}").rows(sa.select(cuts.c.id, cuts.c.state))
    assert row.state == "done"
    version.get_by_role("link", name="Present").click()
    wait_idle(page)
    assert f"cut={row.id}" in page.url
    expect(page.locator(".st-key-present_caption")).to_contain_text("Cut pitch")
    page.wait_for_function("() => { const v = document.querySelector('.st-key-present_stage video');"
                           " return v && v.videoWidth === 1920 && v.currentTime > 0.2; }")
