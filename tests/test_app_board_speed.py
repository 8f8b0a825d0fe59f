"""AppTest: a board of fifty takes draws what a person needs at a glance and no form per card (B24). Each card's
rating and comment form waits behind "Rate & comment" and its In and Out inputs come with its player: fifty of each
made every run of a 50-take board take seconds (each text or number input scans the session's state)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.cuts import Trim
from tests.test_app_showcase import page, takes

INPUTS = ("text_input", "text_area", "number_input", "feedback")


def kinds(at: AppTest) -> Counter[str]:
    """How many elements of each kind the page drew (blocks included)."""
    seen: Counter[str] = Counter()

    def walk(node: object) -> None:
        for child in getattr(node, "children", {}).values():
            seen[str(getattr(child, "type", type(child).__name__))] += 1
            walk(child)

    walk(at._tree)
    return seen


def test_a_board_of_fifty_takes_draws_no_form_per_card(app_env: Path) -> None:
    """Test that a board of 50 takes (one trimmed, one commented) draws no rating, comment or In/Out inputs until
    a card asks for them, keeps each card's stars, comment count and trim in sight, stays under 25 elements per
    card, and that opening one card's "Rate & comment" or player draws that card's form and inputs only."""
    at = page("pages/boards.py")
    ids = takes(50)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client meeting")
    backend.showcase.add(board.id, ids)
    backend.showcase.rate(ids[0], "ann", 4)
    backend.showcase.comment(ids[0], "Ann", "Slower, please")
    backend.cuts.set_trim(board.id, ids[1], Trim(0.5, 2.0), duration=5.0)
    at = page("pages/boards.py", at, board=str(board.id))
    drawn = kinds(at)
    assert [drawn[kind] for kind in INPUTS] == [1, 0, 0, 0]  # the board's "Rename" field only
    assert sum(drawn.values()) < 25 * len(ids), drawn  # 22 a card now; 30 with the forms
    captions = [c.value for c in at.caption]
    assert "16:9 · 5 s · ★ 4.0 · 1 rater" in captions
    assert "Plays 0.5–2.0 s (1.5 s) in the cut" in captions
    assert at.toggle(key=f"board_feedback_on_{ids[0]}").label == "Rate & comment (1 comment)"
    assert at.toggle(key=f"board_feedback_on_{ids[1]}").label == "Rate & comment"

    at.toggle(key=f"board_feedback_on_{ids[0]}").set_value(True).run()
    at.toggle(key=f"board_notes_on_{ids[1]}").set_value(True).run()
    drawn = kinds(at)
    assert [drawn[kind] for kind in INPUTS] == [1 + 1 + 2, 1, 2, 1]  # Rename; the comment's name; the note's name, note
    assert at.get("feedback")[0].value is None  # this viewer's own stars: "ann" rated, not this browser
    assert "Slower, please" in [t.value for t in at.text]
    key = f"{board.id}_{ids[1]}"
    assert (at.number_input(key=f"trim_in_{key}").value, at.number_input(key=f"trim_out_{key}").value) == (0.5, 2.0)
