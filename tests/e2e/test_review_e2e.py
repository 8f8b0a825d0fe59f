"""End to end, in Chromium: the review loop. A stranger with a share link pins a note at a moment of a take; the
owner finds it on the board (reached by clicking) and pressing the note's time moves the player to that moment."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from starvideos.database import Database
from starvideos.history import HistoryStore
from starvideos.review import Review
from tests.e2e.conftest import AppServer, screenshot, wait_idle, wait_until
from tests.e2e.seeding import LAPTOP, PROMPTS, seed, shared_board

pytestmark = pytest.mark.e2e

PLAYER_VIDEO = ".sv-video"


def open_boards(page: Page) -> None:
    """Boards, from the sidebar; the list is there once the page's own heading is."""
    page.get_by_role("link", name="Boards").first.click()
    expect(page).to_have_url(re.compile(r"/boards$"))
    wait_idle(page)
    expect(page.get_by_role("heading", name="Boards")).to_be_visible()


def play_to(page: Page, scope: str, seconds: float) -> None:
    """Move the moment player's playhead, as dragging its scrubber does, and wait until the video shows it."""
    video = page.locator(f"{scope} {PLAYER_VIDEO}")
    expect(video).to_be_visible()
    video.evaluate("(v) => new Promise((done) => { const go = () => { v.onseeked = () => done(); "
                   f"v.currentTime = {seconds}; }}; v.readyState >= 1 ? go() : v.addEventListener("
                   "'loadedmetadata', go, { once: true }); })")


def at_moment(video: Locator, seconds: float) -> None:
    """Wait until ``video`` (this element: a replaced one never counts) has loaded its metadata and, unless
    ``seconds`` is None, shows that moment."""
    video.page.wait_for_function("([v, s]) => v.readyState >= 1 && (s === null || Math.abs(v.currentTime - s) < 0.05)",
                                 arg=[video.element_handle(), seconds])


def write_note(page: Page, card: str, name_box: str, name: str, text: str, seconds: float) -> None:
    """Type a name (in ``name_box``) and a note on a card's moment player, the note committed as Enter does, and
    move its playhead to ``seconds``: "Note at …" is then one press away."""
    page.locator(name_box).get_by_label("Your name").fill(name)
    page.locator(card).get_by_label("Note", exact=True).fill(text)
    page.locator(card).get_by_label("Note", exact=True).press("Enter")
    wait_idle(page)
    play_to(page, card, seconds)


def test_a_link_holder_pins_a_note_and_the_owner_sees_that_moment(make_server: type,
                                                                  new_page: Callable[..., Page]) -> None:
    """Test that a stranger with a share link pins "Note at 0:03.0" with its frame's picture, and that the owner,
    on the board, sees the note and pressing its time seeks the player to 3.0 s; retakes from it, approves the
    retake (resolving the note), and finds the note on Present, where its time moves the stage."""
    server: AppServer = make_server()
    team = new_page(viewport=LAPTOP)
    ids = seed(server, PROMPTS[:2], visit=team)
    board, token = shared_board(server, "For the client", ids)

    stranger = new_page(viewport=LAPTOP)
    stranger.goto(f"{server.url}/shared?token={token}")  # the link as it arrives in a mail
    wait_idle(stranger)
    card = f".st-key-card_shared_{ids[0]}"
    stranger.locator(card).get_by_text("Notes at a moment").click()
    wait_idle(stranger)
    write_note(stranger, card, f".st-key-shared_note_name_{ids[0]}", "Carla", "<b>The fox</b> should turn left here",
               3.0)
    pin = stranger.locator(card).get_by_role("button", name="Note at 0:03.0")
    expect(pin).to_be_visible()
    pin.click()
    wait_idle(stranger)
    listed = stranger.locator(f".st-key-shared_notes_{ids[0]}")
    expect(listed.get_by_role("button", name=re.compile(r"0:03\.0"))).to_be_visible()
    expect(listed.get_by_text("<b>The fox</b> should turn left here")).to_be_visible()
    expect(listed.locator("img")).to_be_visible()  # the picture of that frame
    [note] = Review(Database(f"sqlite:///{server.history}")).notes(ids[0])
    assert (note.at, note.author, note.share_link_id is not None) == (3.0, "Carla", True)
    screenshot(stranger, "review-note.png")

    open_boards(team)
    team.get_by_role("button", name="For the client").click()
    wait_idle(team)
    owner_card = f".st-key-card_board_{ids[0]}"
    team.locator(owner_card).get_by_text("Player: trim & notes (1 open)").click()
    wait_idle(team)
    expect(team.locator(owner_card).get_by_text("<b>The fox</b> should turn left here")).to_be_visible()
    player = team.locator(f"{owner_card} {PLAYER_VIDEO}")
    at_moment(player, None)
    team.locator(owner_card).get_by_role("button", name="0:03.0", exact=True).click()
    at_moment(player, 3.0)
    screenshot(team, "review-board.png")

    team.locator(owner_card).get_by_role("button", name="Retake from here").click()
    wait_idle(team)
    prompt = team.get_by_role("textbox", name="Prompt")
    expect(prompt).to_have_value(f"{PROMPTS[0]}. <b>The fox</b> should turn left here")
    expect(team.get_by_text("Retake of the note at 0:03.0: <b>The fox</b> should turn left here")).to_be_visible()
    prompt.fill(f"{PROMPTS[0]}, the fox turns left")
    team.get_by_role("button", name="Create video").click()
    wait_idle(team)
    store = HistoryStore(Database(f"sqlite:///{server.history}"))
    wait_until(lambda: store.list()[0].id not in ids, 30)  # the press is stored before anything is sent
    retake = store.list()[0]
    assert (retake.note_id, retake.prompt) == (note.id, f"{PROMPTS[0]}, the fox turns left")

    open_boards(team)
    team.get_by_role("button", name="For the client").click()
    wait_idle(team)
    cards = team.locator("[class*='st-key-card_board_']")
    expect(cards).to_have_count(3)
    expect(cards.nth(1)).to_have_class(re.compile(rf"\bst-key-card_board_{retake.id}\b"))  # next to its original
    team.locator(owner_card).get_by_text("Player: trim & notes (1 open)").click()
    wait_idle(team)
    thread = team.locator(f".st-key-board_thread_{note.id}")
    expect(thread.get_by_role("link", name=re.compile(r"^Retake · "))).to_be_visible()
    expect(thread.get_by_text("the fox turns left")).to_be_visible()  # the word diff under the note
    decision = team.locator(f".st-key-approval_{board.id}_{retake.id} button")
    decision.filter(has_text=re.compile(r"^Approved$")).click()
    wait_idle(team)
    expect(team.get_by_text("1 of 3 approved")).to_be_visible()
    done = Review(Database(f"sqlite:///{server.history}")).note(note.id)
    assert (done.resolved, done.resolved_record_id) == (True, retake.id)
    expect(team.locator(owner_card).get_by_text("Player: trim & notes (0 open, 1 resolved)")).to_be_visible()
    screenshot(team, "review-thread.png")

    team.get_by_role("link", name="Present").first.click()  # the board's Present: its notes a switch away
    wait_idle(team)
    team.locator(".st-key-present_notes").get_by_text("Notes at a moment (0 open, 1 resolved)").click()
    wait_idle(team)
    notes_area = team.locator(".st-key-present_notes")
    expect(notes_area.get_by_text("<b>The fox</b> should turn left here")).to_be_visible()
    stage = team.locator(f".st-key-present_stage {PLAYER_VIDEO}")
    at_moment(stage, None)
    notes_area.get_by_role("button", name="0:03.0", exact=True).click()
    at_moment(stage, 3.0)
    expect(team.get_by_role("button", name="Note at 0:03.0", exact=True)).to_be_visible()
    screenshot(team, "present-notes.png")


def test_a_blind_vote_in_two_browsers_shows_the_tally_only_after_reveal(make_server: type,
                                                                        new_page: Callable[..., Page]) -> None:
    """Test a blind vote: the owner starts it from two selected takes (reached by clicking); a link holder in a
    separate browser sees no prompt and picks once (a reload does not give a second vote); no count per take shows
    before Reveal; after the owner reveals, both see the tally with the prompts."""
    server: AppServer = make_server()
    team = new_page(viewport=LAPTOP)
    ids = seed(server, PROMPTS[:2], visit=team)
    board, token = shared_board(server, "Which one?", ids)
    open_boards(team)
    team.get_by_role("button", name="Which one?").click()
    wait_idle(team)
    for rid in ids:
        team.locator(f".st-key-card_board_{rid}").get_by_text("Select").click()
        wait_idle(team)
    team.get_by_role("button", name="Blind vote (2)").click()
    wait_idle(team)
    vote_box = team.locator(".st-key-blind_vote")
    expect(vote_box.get_by_text("0 votes so far", exact=False)).to_be_visible()
    for prompt in PROMPTS[:2]:
        expect(vote_box.get_by_text(prompt)).to_have_count(0)
    vote_box.get_by_role("button", name="Pick A").click()
    wait_idle(team)
    expect(vote_box.get_by_text("Your pick")).to_be_visible()

    stranger = new_page(viewport=LAPTOP)
    stranger.goto(f"{server.url}/shared?token={token}")
    wait_idle(stranger)
    theirs = stranger.locator(".st-key-blind_vote")
    expect(theirs.get_by_text("1 vote so far", exact=False)).to_be_visible()
    for prompt in PROMPTS[:2]:
        expect(theirs.get_by_text(prompt)).to_have_count(0)
    expect(theirs.get_by_text("Winner")).to_have_count(0)
    theirs.get_by_role("button", name="Pick B").click()
    wait_idle(stranger)
    expect(theirs.get_by_text("Your pick")).to_be_visible()
    stranger.reload()
    wait_idle(stranger)
    expect(theirs.get_by_text("Your pick")).to_be_visible()  # the browser's cookie: the same voter
    expect(theirs.get_by_text("2 votes so far", exact=False)).to_be_visible()
    expect(theirs.get_by_role("button", name=re.compile(r"^Pick "))).to_have_count(0)  # one vote per browser
    screenshot(stranger, "review-blind-vote.png")

    team.reload()
    wait_idle(team)
    team.locator(".st-key-blind_vote").get_by_role("button", name="Reveal").click()
    # Revealed (and stored) before the other browser looks again: a reload sooner would find the vote still blind.
    expect(team.locator(".st-key-blind_vote").get_by_text("Blind vote · revealed")).to_be_visible()
    stranger.reload()
    wait_idle(stranger)
    for page in (team, stranger):
        box = page.locator(".st-key-blind_vote")
        expect(box.get_by_text("Blind vote · revealed")).to_be_visible()
        for prompt in PROMPTS[:2]:
            expect(box.get_by_text(prompt)).to_be_visible()
        expect(box.locator("p", has_text=re.compile(r"^Take [AB] · [0-2] votes?"))).to_have_count(2)
        expect(box.get_by_text("Winner").first).to_be_visible()
    [vote] = Review(Database(f"sqlite:///{server.history}")).votes(board.id)
    assert vote.ballots == 2 and vote.revealed
