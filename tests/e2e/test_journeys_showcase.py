"""Journeys across the showcase pages, in Chromium, reached by clicking as a person does: the owner of a demo
(Gallery → Compare → back → board → share link → best take → Present) and a stranger holding the link (Present,
rate, comment), whose rating and comment the owner then sees."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer, stage_played_past, wait_idle
from tests.e2e.seeding import LAPTOP, PROMPTS, seed, shared_board, showcase
from tests.e2e.test_showcase_e2e import add_to_new_board

pytestmark = pytest.mark.e2e


def sidebar(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()
    wait_idle(page)


def caption(page: Page):
    return page.locator(".st-key-present_caption")


def playing(page: Page, record_id: int) -> str:
    """Wait until Present's stage plays the take ``record_id`` (its own player, keyed by the take), and return the
    address it plays."""
    video = stage_played_past(page, record_id, 0.2)
    assert video.evaluate("(v) => !v.paused")
    return video.get_attribute("src") or ""


def sign_in(page: Page, password: str) -> None:
    page.locator("input[type=password]").fill(password)
    page.locator("input[type=password]").press("Enter")
    wait_idle(page)


def test_owner_journey(make_server: type, page: Page) -> None:
    """Test the owner's path: select three takes in the Gallery, compare them, come back with the three still
    selected, add them to a new board, open it from Boards, make a share link, mark a best take and present the
    board with → ← and Esc, never leaving the board in between."""
    server: AppServer = make_server()
    ids = seed(server, visit=page)
    sidebar(page, "Gallery")
    chosen = ids[1:]  # three of the four
    for record_id in chosen:
        page.locator(f".st-key-select_gallery_{record_id} label").click()
        wait_idle(page)
    page.get_by_role("button", name="Compare (3)").click()
    wait_idle(page)
    expect(page.locator(".st-key-compare_players video")).to_have_count(3)

    page.get_by_test_id("stMain").get_by_role("link", name="Gallery").click()
    wait_idle(page)
    for record_id in ids:
        expect(page.locator(f".st-key-select_gallery_{record_id} input")).to_be_checked(checked=record_id in chosen)
    add_to_new_board(page, "Spring pitch", 3)

    sidebar(page, "Boards")
    expect(page.locator(".st-key-board_row_1").get_by_text("3 takes")).to_be_visible()
    page.get_by_test_id("stMain").get_by_text("Spring pitch", exact=True).click()
    [board] = showcase(server).boards()
    at_board = re.compile(rf"/boards\?board={board.id}$")
    expect(page).to_have_url(at_board)
    heading = page.get_by_role("heading", name="Spring pitch")
    expect(heading).to_be_visible()

    page.get_by_role("button", name="Share link").click()
    expect(page.get_by_text("This app has no password or sign-in")).to_be_visible()
    page.get_by_role("button", name="Create share link").click()
    code = page.locator("[data-testid=stCode]").filter(has_text="/shared?token=")
    expect(code).to_be_visible()
    link = code.inner_text().strip()
    assert link.startswith(f"{server.url}/shared?token=")
    assert len(showcase(server).links(board.id)) == 1
    page.keyboard.press("Escape")  # closes the popover
    expect(heading).to_be_visible()

    order = [t.record.id for t in showcase(server).items(board.id)]
    page.locator(f".st-key-best_{order[1]} button").click()
    wait_idle(page)
    expect(heading).to_be_visible()
    expect(page.locator(f".st-key-card_board_{order[1]} .stMarkdownBadge")).to_have_text(re.compile("Best take$"))
    expect(page.locator(f".st-key-best_{order[1]}").get_by_role("button", name="Not the best take")).to_be_visible()
    assert showcase(server).board(board.id).best_record_id == order[1]

    page.get_by_role("link", name="Present").click()
    prompts = {rid: PROMPTS[ids.index(rid)] for rid in order}
    expect(caption(page)).to_have_text(prompts[order[0]])
    wait_idle(page)  # Present hears its keys once the run that draws it is over
    first = playing(page, order[0])
    page.keyboard.press("ArrowRight")
    expect(caption(page)).to_have_text(prompts[order[1]])
    second = playing(page, order[1])
    assert second != first
    page.keyboard.press("ArrowLeft")
    expect(caption(page)).to_have_text(prompts[order[0]])
    assert playing(page, order[0]) == first
    page.keyboard.press("Escape")
    expect(heading).to_be_visible()
    expect(page).to_have_url(at_board)


def test_stranger_journey(make_server: type, new_page: Callable[..., Page]) -> None:
    """Test a stranger's path through a share link in a fresh browser: Present, → ← →, Esc back to the board,
    rate a take and comment on it; then the owner, in the app, sees the rating and the comment, marked as coming
    through the link."""
    server: AppServer = make_server(STARVIDEOS_APP_PASSWORD="team secret")
    owner = new_page(viewport=LAPTOP)
    ids = seed(server, PROMPTS[:3], visit=owner)
    _board, token = shared_board(server, "For the client", ids)

    stranger = new_page(viewport=LAPTOP)
    stranger.goto(f"{server.url}/shared?token={token}")
    wait_idle(stranger)
    heading = stranger.get_by_role("heading", name="For the client")
    expect(heading).to_be_visible()
    stranger.get_by_test_id("stMain").get_by_text("Present", exact=True).click()
    expect(caption(stranger)).to_have_text(PROMPTS[0])
    wait_idle(stranger)  # Present hears its keys once the run that draws it is over
    videos = [playing(stranger, ids[0])]
    # Both in the address, in either order (the caption may be drawn a moment before the address follows).
    presenting = re.compile(rf"^(?=.*[?&]token={re.escape(token)}(&|$))(?=.*[?&]view=present(&|$))")
    for key, index in (("ArrowRight", 1), ("ArrowLeft", 0), ("ArrowRight", 1)):
        stranger.keyboard.press(key)
        expect(caption(stranger)).to_have_text(PROMPTS[index])
        videos.append(playing(stranger, ids[index]))
        expect(stranger).to_have_url(presenting)
    assert videos[0] == videos[2] != videos[1] == videos[3]
    stranger.keyboard.press("Escape")
    expect(heading).to_be_visible()
    expect(stranger).to_have_url(f"{server.url}/shared?token={token}")

    card = stranger.locator(f".st-key-card_shared_{ids[1]}")
    card.get_by_text("Rate & comment", exact=True).click()
    wait_idle(stranger)
    card.locator("[data-testid=stFeedback] button, [data-testid=stButtonGroup] button").nth(3).click()
    wait_idle(stranger)
    expect(card.get_by_text("★ 4.0 · 1 rater")).to_be_visible()
    card.get_by_text(re.compile(r"^Comments \(0\)")).click()
    card.get_by_label("Your name").fill("Dana from the client")
    card.get_by_label("Comment", exact=True).fill("The second one, but slower please")
    card.get_by_role("button", name="Post comment").click()
    wait_idle(stranger)
    expect(card.get_by_text("The second one, but slower please")).to_be_visible()
    expect(card.get_by_text("via share link")).to_be_visible()

    owner.goto(server.url)
    wait_idle(owner)
    sign_in(owner, "team secret")
    sidebar(owner, "Boards")
    owner.get_by_test_id("stMain").get_by_text("For the client", exact=True).click()
    wait_idle(owner)
    mine = owner.locator(f".st-key-card_board_{ids[1]}")
    expect(mine.get_by_text("★ 4.0 · 1 rater")).to_be_visible()
    mine.get_by_text("Rate & comment (1 comment)", exact=True).click()
    wait_idle(owner)
    mine.get_by_text(re.compile(r"^Comments \(1\)")).click()
    expect(mine.get_by_text("The second one, but slower please")).to_be_visible()
    expect(mine.get_by_text(re.compile(r"Dana from the client · via share link"))).to_be_visible()


def test_one_browser_is_one_rater_through_a_share_link(make_server: type, new_page: Callable[..., Page]) -> None:
    """Test the stuffing the edges report found: through a share link, rate a take 1★, reload, rate again, over and
    over; the take still has one rater. Another browser is a second rater, and the same browser rating through the
    link keeps its one vote across reloads (a signed visitor cookie, HttpOnly)."""
    server: AppServer = make_server()
    ids = seed(server, PROMPTS[:1])
    _board, token = shared_board(server, "Stuffing", ids)

    def rate(page: Page, stars: int, shown: str) -> None:
        """Open the link afresh (a new session), press the ``stars``-th star, and wait for the tally ``shown``."""
        page.goto(f"{server.url}/shared?token={token}")
        card = page.locator(f".st-key-card_shared_{ids[0]}")
        card.get_by_text("Rate & comment", exact=True).click()
        wait_idle(page)
        card.locator("[data-testid=stFeedback] button, [data-testid=stButtonGroup] button").nth(stars - 1).click()
        expect(card.get_by_text(shown)).to_be_visible()

    stuffer = new_page()
    # Each visit rates differently from what the take shows, so each is a vote stored, and one rater means it
    # replaced the last (the old 1, 1, 2, 1, 1 pressed an already chosen star twice: st.feedback takes that as
    # clearing the choice and nothing is stored, so those presses could not stuff).
    for stars in (1, 2, 1):
        rate(stuffer, stars, f"★ {stars}.0 · 1 rater")
    cookie = next(c for c in stuffer.context.cookies() if c["name"] == "starvideos_visitor")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    rate(new_page(), 5, "★ 3.0 · 2 raters")
    assert showcase(server).ratings(ids)[ids[0]].count == 2
