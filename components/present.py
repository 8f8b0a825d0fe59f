"""Present: one take at a time, as big as the window allows, the prompt as its caption, autoplaying and looping;
Previous and Next on the ← and → keys, Exit on Esc. The sidebar is out of the way.

Under the stage, "Notes at a moment" (off until asked for, so the projector shows only the take): on, the stage's
player (still playing where it was) shows a marker per note, its time and "Note at …" when notes may be added, and
the take's notes are listed by time under it; a note's time moves the stage there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from starvideos.copies import FAILED
from starvideos.models import UNSETTLED, TaskStatus
from starvideos.review import Note
from starvideos.showcase import ShareLink, Take

from . import address
from .labels import state_label
from .live import on_its_own_timer
from .moment_player import moment_player
from .notes_ui import counted, note_inputs, note_player, note_problem, notes_list, player_key
from .players import video_source
from .runtime import Backend
from .showcase_ui import board_scope
from .styles import present_styles
from .text import plain

NOTES_ON = "present_notes_on"
WAIT_FOR_VIDEO = 2.0
"""Seconds between looks at a take that is still being made or saved."""


@dataclass(frozen=True)
class PresentNotes:
    """Whose Present this is, for its notes: the board (None for chosen takes), the share link it is seen
    through (None for members: they see every note of a take; a link's holder only its board's), and whether notes
    may be added (a link's right)."""

    board_id: int | None = None
    link: ShareLink | None = None
    can_add: bool = True


def present(backend: Backend, takes: list[Take], *, on_exit: Callable[[], None],
            notes: PresentNotes | None = None) -> None:
    """Show ``takes`` one at a time; the position lives in the URL (``?i=``), so a reload keeps it. With
    ``notes``, each take's notes can be opened under the stage."""
    present_styles()
    if not takes:
        st.info("Nothing to present: this board has no takes yet.", icon=":material/slideshow:")
        st.button("Exit", key="present_exit", on_click=on_exit, icon=":material/close:")
        return
    index = _index(len(takes))
    take = takes[index]
    link = notes.link if notes is not None else None
    source = video_source(backend, take.record, take.copy, for_link_holder=link is not None)
    # The toggle is drawn under the stage, but its state (changed by the press that caused this run) is known now.
    noting = notes is not None and source is not None and bool(st.session_state.get(NOTES_ON))
    listed = backend.review.notes(take.record.id, board_id=board_scope(link)) if noting else []
    with st.container(key="present_stage"):
        if source is None:
            _no_video(backend, take, for_link_holder=link is not None)
        elif noting and notes is not None:
            note_player(backend, take.record, listed, str(source), prefix="present", board_id=notes.board_id,
                        link=notes.link, can_add=notes.can_add, stage=True)
        else:
            # The same player, notes or not (one key per take): opening the notes keeps the take playing where it
            # is, and a take shown again starts again (st.video autoplays an address only the first time).
            moment_player(str(source), key=player_key("present", take.record.id), take=take.record.id, actions={},
                          stage=True)
    plain(take.record.prompt, key="present_caption")
    _controls(index, len(takes), on_exit)
    if notes is not None:
        _notes(backend, take, notes, listed, playable=source is not None)


def _no_video(backend: Backend, take: Take, *, for_link_holder: bool) -> None:
    """Why the stage is empty, in words a room can read; a take still on its way replaces this once it can play."""
    record, copy = take.record, take.copy
    waiting = False
    if record.status in UNSETTLED:
        message, waiting = (f"This take is still being made ({state_label(record.status)}). "
                            "It plays here once it is ready."), True
    elif record.status != TaskStatus.COMPLETED:
        message = f"This take has no video: {state_label(record.status).lower()}."
    elif copy is not None and copy.state == FAILED:
        message = "This take's video could not be saved, so it cannot play here." + (
            "" if for_link_holder else " Its task page can retry.")  # a members' page
    else:
        message, waiting = "Saving this take. It plays here in a moment.", True
    st.info(message, icon=":material/videocam_off:")
    if waiting:
        _play_when_ready(backend, record.id, for_link_holder=for_link_holder)


@st.fragment(run_every=WAIT_FOR_VIDEO)
def _play_when_ready(backend: Backend, record_id: int, *, for_link_holder: bool) -> None:
    """Looks again every few seconds; once the take can play, the whole page is drawn again with it on the stage."""
    found = backend.showcase.takes([record_id])
    if on_its_own_timer() and found and video_source(backend, found[0].record, found[0].copy,
                                                     for_link_holder=for_link_holder) is not None:
        st.rerun()


def _controls(index: int, count: int, on_exit: Callable[[], None]) -> None:
    previous, counter, following, leave = st.columns([2, 1, 2, 1], vertical_alignment="center")
    with previous:
        st.button("Previous", key="present_previous", shortcut="Left", icon=":material/arrow_back:",
                  on_click=_go, args=(index - 1, count), disabled=index == 0, width="stretch")
    with counter:
        st.caption(f"{index + 1} / {count}")
    with following:
        st.button("Next", key="present_next", shortcut="Right", icon=":material/arrow_forward:",
                  on_click=_go, args=(index + 1, count), disabled=index == count - 1, width="stretch")
    with leave:
        st.button("Exit", key="present_exit", shortcut="Esc", icon=":material/close:", on_click=on_exit,
                  width="stretch")


def _notes(backend: Backend, take: Take, notes: PresentNotes, listed: list[Note], *, playable: bool) -> None:
    """The compact notes area under the stage: one switch for every take (it stays on from take to take)."""
    record_id = take.record.id
    with st.container(key="present_notes"):
        count = backend.review.note_counts([record_id], board_id=board_scope(notes.link)).get(record_id)
        if not st.toggle(counted("Notes at a moment", count), key=NOTES_ON, disabled=not playable):
            return
        if notes.can_add:
            note_inputs("present", record_id)
        note_problem("present", record_id)
        notes_list(backend, listed, prefix="present", member=False, link=notes.link)


def _index(count: int) -> int:
    return min(count - 1, address.query_index("i"))


def _go(index: int, count: int) -> None:
    address.change({"i": max(0, min(count - 1, index)) or None})
