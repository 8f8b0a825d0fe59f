"""End to end, in Chromium: what a demanding newcomer ran into walking the app as people use it (a comment refused
for want of a name, a board card's decision buttons on a laptop screen)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from starvideos.database import Database
from starvideos.review import Review
from tests.e2e.conftest import AppServer, wait_idle
from tests.e2e.seeding import PROMPTS, board_of, seed, shared_board, showcase
from tests.e2e.test_review_e2e import open_boards

pytestmark = pytest.mark.e2e

WORDS = "The lighthouse beam should sweep left to right, slower, and end on the rocks."


def test_a_refused_comment_keeps_its_words_and_a_posted_one_keeps_the_name(make_server: type, page: Page) -> None:
    """Test that a link holder's comment refused for a missing name keeps every word typed (only the message is
    new), and that once it is posted the box empties for the next one while the name stays."""
    server: AppServer = make_server()
    stranger = page  # a fresh browser: nobody signed in, only the link
    [rid] = seed(server, PROMPTS[:1])
    _board, token = shared_board(server, "For the client", [rid])
    shows = showcase(server)
    stranger.goto(f"{server.url}/shared?token={token}")  # the link as it arrives in a mail
    wait_idle(stranger)
    card = stranger.locator(f".st-key-card_shared_{rid}")
    card.get_by_text("Rate & comment", exact=True).click()
    wait_idle(stranger)
    card.get_by_text("Comments (0)").click()
    comment = card.get_by_role("textbox", name="Comment")
    comment.fill(WORDS)
    card.get_by_role("button", name="Post comment").click()
    wait_idle(stranger)
    expect(card.get_by_text("Your name: write something first.", exact=False)).to_be_visible()
    expect(comment).to_have_value(WORDS)
    assert shows.comments(rid) == []

    name = card.locator(f".st-key-shared_name_{rid}").get_by_role("textbox", name="Your name")
    name.fill("Carla")
    card.get_by_role("button", name="Post comment").click()
    wait_idle(stranger)
    expect(card.get_by_text(WORDS, exact=True)).to_be_visible()  # posted, under "Comments (1)"
    expect(comment).to_have_value("")
    expect(name).to_have_value("Carla")
    assert [(c.author, c.body) for c in shows.comments(rid)] == [("Carla", WORDS)]


def test_a_board_cards_decision_buttons_show_whole_on_a_laptop_screen(make_server: type, page: Page) -> None:
    """Test that on a 1280×720 laptop screen every one of a board card's Approved / Needs changes / Rejected
    buttons shows whole inside its card (none runs past the card's edge, cut off), and that pressing Rejected
    stores it."""
    server: AppServer = make_server()
    page.set_viewport_size({"width": 1280, "height": 720})
    [rid] = seed(server, PROMPTS[:1], visit=page)
    board = board_of(server, "For the client", [rid])
    open_boards(page)
    page.get_by_role("button", name="For the client").click()
    wait_idle(page)
    card = page.locator(f".st-key-card_board_{rid}")
    buttons = page.locator(f".st-key-approval_{board.id}_{rid} button")
    expect(buttons).to_have_count(3)
    wait_idle(page)  # the run that drew the card is over: measure it as it stays
    box = card.bounding_box()
    assert box is not None
    for button in buttons.all():
        edge = button.evaluate("b => b.getBoundingClientRect().right")
        seen = button.evaluate("b => b.parentElement.getBoundingClientRect().right")
        assert edge <= min(box["x"] + box["width"], seen) + 0.5, f"{button.inner_text()} is cut off"
    buttons.filter(has_text="Rejected").click()
    wait_idle(page)
    expect(page.get_by_text("1 rejected", exact=False)).to_be_visible()


def test_compare_shows_every_row_of_what_differs_without_scrolling_inside_it(make_server: type, page: Page) -> None:
    """Test that Compare's table of settings, with a price set (so it has its Cost and Took rows), shows every row
    down to Rating at once: nothing is hidden behind a scrollbar inside the table."""
    server: AppServer = make_server(STARVIDEOS_PRICE_PER_SECOND="0.05", STARVIDEOS_CURRENCY="EUR")
    ids = seed(server, PROMPTS[:2], visit=page)
    board_of(server, "For the client", ids)
    open_boards(page)
    page.get_by_role("button", name="For the client").click()
    wait_idle(page)
    page.get_by_role("button", name="Compare (2)").click()
    wait_idle(page)
    table = page.locator("[data-testid=stMain] [data-testid=stDataFrame]")
    expect(table.locator("canvas").first).to_be_attached()
    table.scroll_into_view_if_needed()
    scroller = table.locator(".dvn-scroller").first
    expect(scroller).to_be_attached()
    page.wait_for_function("(s) => s.clientHeight > 0 && s.scrollHeight > 0", arg=scroller.element_handle())
    wait_idle(page)  # the table is laid out, and the run that drew it is over: measure it now
    hidden = scroller.evaluate("s => s.scrollHeight - s.clientHeight")
    assert hidden <= 1, f"{hidden} px of the table (its last rows, down to Rating) hide behind its scrollbar"


def test_an_open_blind_vote_shows_votes_arriving_and_the_reveal_without_a_click(make_server: type,
                                                                                 page: Page) -> None:
    """Test that the owner's board, left open while a blind vote runs, counts each vote as it arrives (so Reveal
    is not pressed on a stale "0 votes so far"), and shows the tally once the vote is revealed elsewhere."""
    server: AppServer = make_server()
    ids = seed(server, PROMPTS[:2], visit=page)
    board = board_of(server, "For the client", ids)
    review = Review(Database(f"sqlite:///{server.history}"))
    vote = review.start_vote(board.id, ids)
    open_boards(page)
    page.get_by_role("button", name="For the client").click()
    wait_idle(page)
    panel = page.locator(".st-key-blind_vote")
    expect(panel.get_by_text(re.compile(r"· 0 votes so far$"))).to_be_visible()
    assert review.cast(vote.id, "visitor:carla", ids[1])  # a client, through the link, in another browser
    expect(panel.get_by_text(re.compile(r"· 1 vote so far$"))).to_be_visible()
    review.reveal(vote.id, by="a teammate")
    expect(panel.get_by_role("heading", name="Blind vote · revealed")).to_be_visible()
