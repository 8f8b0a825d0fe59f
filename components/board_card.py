"""One take on a board, as a card: the picture, the best-take badge, the prompt as plain text, the caption, what is
said about it, and its player for trimming and notes. The board's members and a share link's holders see the same
card; the board page adds its tools in a third column, a link holder's page adds what the link allows under the
words.

The rating and comment form waits behind "Rate & comment": a board draws fifty cards on every run, and fifty forms
(each text input scanning the session's state) made a 50-take board take seconds. The caption keeps the stars and the
switch's label the number of comments, so nothing said about a take is hidden."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from starvideos.showcase import Board, ShareLink, Take

from .runtime import Backend
from .showcase_ui import feedback_panel, poster, take_caption
from .text import plain

Part = Callable[[], None]


def _nothing() -> None:
    return None


def board_card(backend: Backend, board: Board, take: Take, *, prefix: str, link: ShareLink | None = None,
               picture: Part | None = None, under_words: Part = _nothing, tools: Part | None = None,
               player: Part = _nothing, comments: int = 0) -> None:
    """Draw ``take``'s card. ``picture`` replaces the poster; ``under_words`` comes before the feedback;
    ``tools`` gets a column of its own; ``player`` goes under the card's columns; ``comments`` is how many the take
    has."""
    record = take.record
    with st.container(border=True, key=f"card_{prefix}_{record.id}"):
        columns = st.columns([2, 3, 2] if tools else [2, 3], gap="medium")
        with columns[0]:
            (picture or (lambda: poster(backend, take)))()
        with columns[1]:
            if board.best_record_id == record.id:
                st.badge("Best take", icon=":material/star:", color="violet")
            plain(record.prompt, key=f"prompt_{prefix}_{record.id}")
            st.caption(take_caption(take))
            under_words()
            if feedback_toggle(record.id, comments, prefix=prefix):
                feedback_panel(backend, take, prefix=prefix, link=link, board_id=board.id)
        if tools is not None:
            with columns[2]:
                tools()
        player()


def feedback_toggle(record_id: int, comments: int, *, prefix: str) -> bool:
    """"Rate & comment", saying how many comments there are; on, the card draws its stars and comment form."""
    label = "Rate & comment" + (f" ({comments} comment{'s' if comments != 1 else ''})" if comments else "")
    return st.toggle(label, key=f"{prefix}_feedback_on_{record_id}")
