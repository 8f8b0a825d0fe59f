"""How the app says when something happened (components/timing.py)."""

from __future__ import annotations

import pytest

from components.timing import ago


@pytest.mark.parametrize(("seconds", "words"), [
    (-5, "just now"), (0, "just now"), (9.9, "just now"), (10, "10 seconds ago"), (59, "59 seconds ago"),
    (60, "1 minute ago"), (119, "1 minute ago"), (120, "2 minutes ago"), (3599, "59 minutes ago"),
    (3600, "1 hour ago"), (7200, "2 hours ago"), (86399, "23 hours ago"), (86400, "1 day ago"),
    (86400 * 9, "9 days ago"),
])
def test_ago_says_it_in_words(seconds: float, words: str) -> None:
    """Test that one helper says every "how long ago" in the app (a comment's byline, Create's duplicate question),
    singular and plural, from a clock the test gives (a clock running behind reads as just now)."""
    assert ago(1_000_000.0 - seconds, now=1_000_000.0) == words
