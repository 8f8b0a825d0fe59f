"""AppTest: what a demanding newcomer ran into walking the app as people use it."""

from __future__ import annotations

from pathlib import Path

from components import runtime
from tests.apptest_support import new_app
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
