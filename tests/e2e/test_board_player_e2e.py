"""A board card's player on a laptop screen, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer
from tests.e2e.seeding import PROMPTS, board_of, seed

pytestmark = pytest.mark.e2e


def test_a_board_cards_player_shows_whole_with_its_buttons_when_opened(make_server: type, page: Page) -> None:
    """Test that on a 1400×1000 screen, opening "Player: trim & notes" on a board card low on the screen brings the
    whole player into view, its "Set in", "Set out" and "Note at" buttons too, with the note field beside it: the
    person does not have to scroll to find what they opened."""
    server: AppServer = make_server()
    [rid] = seed(server, PROMPTS[:1], visit=page)
    board_of(server, "For the client", [rid])
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Boards", exact=True).click()
    page.get_by_test_id("stMain").get_by_role("button", name="For the client").click()
    card = page.locator(f".st-key-card_board_{rid}")
    toggle = card.get_by_text("Player: trim & notes")
    toggle.scroll_into_view_if_needed()
    toggle.evaluate("el => el.scrollIntoView({block: 'end'})")  # the bottom of the screen, as a person finds it
    toggle.click()
    video = card.locator(f".st-key-board_player_{rid} video")
    expect(video).to_have_count(1)
    buttons = [card.get_by_role("button", name=name) for name in ("Set in 0:00.0", "Set out 0:00.0", "Note at 0:00.0")]
    for button in buttons:
        expect(button).to_be_visible()
        expect(button).to_be_in_viewport(ratio=1)  # on screen as the page stands: nobody has scrolled
    for element in (video, card.get_by_role("textbox", name="Note")):
        expect(element).to_be_in_viewport(ratio=1)
