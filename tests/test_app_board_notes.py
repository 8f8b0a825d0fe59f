"""AppTest: a board's notes cost it one read (B21: a board with 500 notes draws as fast as with none). The page
reads the open and resolved counts of all its takes in one grouped query, and a take's notes only once its player
is switched on."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from components import runtime
from tests.test_app_showcase import page, takes


@contextmanager
def page_queries() -> Iterator[list[str]]:
    """The SQL the page's script runs (the background workers' own queries left out)."""
    engine = runtime.backend().database.engine
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "ScriptRunner" in threading.current_thread().name:
            seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def note_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"\bFROM notes\b", s)]


def test_a_board_counts_its_notes_in_one_read_and_reads_them_when_a_player_opens(app_env: Path) -> None:
    """Test that a board of three takes with ten notes each reads the notes table once, grouped (the counts on
    each take's switch), and reads one take's notes only when that take's player is switched on."""
    at = page("pages/boards.py")
    ids = takes(3)
    backend = runtime.backend()
    board = backend.showcase.board_named("Client")
    backend.showcase.add(board.id, ids)
    pinned = [backend.review.pin(rid, 0.3 * n, f"Note {n} on {rid}", author="Ann", board_id=board.id)
              for rid in ids for n in range(10)]
    for note in pinned:  # pictures made, as on a board a client has been through
        assert backend.note_frames.picture(note.id, within=20).frame_state == "saved"
    with page_queries() as statements:
        at = page("pages/boards.py", at, board=str(board.id))
        [counts] = note_reads(statements)
        assert "GROUP BY" in counts and "count(" in counts.lower()
        assert not [t for t in at.text if t.value.startswith("Note ")]
        statements.clear()
        at.toggle(key=f"board_notes_on_{ids[1]}").set_value(True).run()
        assert [t.value for t in at.text if t.value.startswith("Note ")] == [f"Note {n} on {ids[1]}"
                                                                            for n in range(10)]
        whole = [s for s in note_reads(statements) if "GROUP BY" not in s and "notes.body" in s]
        assert len(whole) == 1  # that one take's notes, in one read
