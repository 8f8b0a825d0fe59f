"""End to end, in Chromium: a note pinned on a board's take is drawn with the picture of its frame in the run the
press causes, never first as a note waiting for its picture (B20 measures how long that takes)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from starvideos.copies import MediaStore
from starvideos.database import Database
from starvideos.sandbox.clips import write_h264, yuv420p
from tests.e2e.conftest import AppServer, wait_idle
from tests.e2e.seeding import PROMPTS, board_of, seed
from tests.e2e.test_review_e2e import open_boards, write_note

pytestmark = pytest.mark.e2e

# Records whether any note's row ever shows "Picture…" (its picture still being made), however briefly.
WATCH_PENDING = """() => { window.svSawPending = false; new MutationObserver(() => {
  if ([...document.querySelectorAll('[class*=st-key-board_noterow_]')].some((row) =>
      row.innerText.includes('Picture…'))) window.svSawPending = true;
}).observe(document.body, { childList: true, subtree: true, characterData: true }); }"""


def grainy_copy(server: AppServer, record_id: int) -> None:
    """Replace the take's stored copy with grain and a single keyframe: the frame at 2 s takes a few tenths of a
    second to decode (more than the page takes to draw, less than pinning waits for it)."""
    rng = np.random.default_rng(7)
    frames = (yuv420p(rng.integers(16, 235, (224, 400), dtype=np.uint8), 128, 128) for _ in range(72))
    key = MediaStore(Database(f"sqlite:///{server.history}")).get(record_id).video_key
    write_h264(server.history.parent / "media" / key, frames, size=(400, 224), fps=24,
               options={"preset": "ultrafast", "crf": "30", "g": "1000", "sc_threshold": "0"})


def test_a_pinned_note_arrives_with_its_picture(make_server: type, page: Page) -> None:
    """Test that pressing "Note at 0:02.0" on a board lists the note with its frame's picture in the run that
    press causes, even when that frame takes a moment to decode: the note's row never shows "Picture…"."""
    server: AppServer = make_server()
    [rid] = seed(server, PROMPTS[:1], visit=page)
    grainy_copy(server, rid)
    board_of(server, "Pictures", [rid])
    open_boards(page)
    page.get_by_role("button", name="Pictures").click()
    wait_idle(page)
    card = f".st-key-card_board_{rid}"
    page.locator(f".st-key-board_notes_on_{rid} label").click()  # the card's switch to its player and notes
    wait_idle(page)
    write_note(page, card, f".st-key-board_note_name_{rid}", "Ann", "Hold on the fox here", 2.0)
    page.evaluate(WATCH_PENDING)
    page.locator(card).get_by_role("button", name="Note at 0:02.0").click()
    wait_idle(page)
    row = page.locator(f"{card} [class*=st-key-board_noterow_]")
    expect(row.get_by_role("button", name=re.compile(r"0:02\.0"))).to_be_visible()
    expect(row.locator("img")).to_be_visible()
    assert page.evaluate("() => window.svSawPending") is False
