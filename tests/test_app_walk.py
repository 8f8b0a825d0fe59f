"""AppTest: what a demanding newcomer ran into walking the app as people use it."""

from __future__ import annotations

from pathlib import Path

from components import runtime
from starvideos.cuts import Trim
from tests.apptest_support import new_app
from tests.player_support import press
from tests.test_app_cuts import board_of_takes, open_page, shown, stop_builder
from tests.test_app_showcase import page, takes


def test_a_shared_board_says_what_its_link_lets_a_holder_do(app_env: Path) -> None:
    """Test that a shared board tells its holder what they can do there (rate, comment, and pin notes or request
    changes when the link allows them), instead of "read-only" over the stars and the comment box."""
    new_app().run()
    [rid] = takes(1)
    showcase, review = runtime.backend().showcase, runtime.backend().review
    board = showcase.board_named("For the client")
    showcase.add(board.id, [rid])
    token, link = showcase.share(board.id)
    review.set_rights(link.id, notes_allowed=True, requests_allowed=False)
    captions = [c.value for c in page("pages/shared.py", token=token).caption]
    assert "A shared board: you can play, present, compare, rate, comment and pin notes at a moment. The board " \
           "itself stays as the team made it." in captions
    assert not [c for c in captions if "read-only" in c]
    review.set_rights(link.id, notes_allowed=False, requests_allowed=True)
    captions = [c.value for c in page("pages/shared.py", token=token).caption]
    assert "A shared board: you can play, present, compare, rate, comment and request changes. The board itself " \
           "stays as the team made it." in captions


def test_set_in_and_set_out_say_what_they_did_where_the_person_is_looking(app_env: Path) -> None:
    """Test that "Set in" / "Set out" pressed on a board's player answer in a toast (the In and Out inputs and their
    message sit above the player, often off screen): the point kept and what the take now plays in the cut, or,
    for a point refused, why."""
    new_app().run()
    stop_builder()
    board_id, ids = board_of_takes(1)
    at = open_page("pages/boards.py", board=str(board_id))
    player = f"board_player_{ids[0]}"
    at.toggle(key=f"board_notes_on_{ids[0]}").set_value(True).run()
    press(at, player, "in", 1.25)
    assert shown(at.toast) == ["In at 1.2 s. Plays 1.2–3.0 s (1.8 s) in the cut."]
    press(at, player, "out", 2.48)
    assert shown(at.toast) == ["Out at 2.4 s. Plays 1.2–2.4 s (1.2 s) in the cut."]
    press(at, player, "out", 0.9)  # before In: refused
    assert shown(at.toast) == ["Out: the take would play 0.0 s; set Out at least 0.5 s after In (1.2 s). (not saved)"]
    assert runtime.backend().cuts.trims(board_id) == {ids[0]: Trim(1.2, 2.4)}
