"""A shared board (?token=…): that board only (played, rated, commented on, never rearranged), without the password
or sign-in. The token is the proof; everything else in the app still asks for the password or sign-in, even in this
browser.

The link is checked on every run (a click, a key, a reload) and again when a rating or comment is stored, so a tab
opened before a revoke can do nothing after it. Present and Compare are views of this same page (&view=…), kept in
the address: nothing here ever leads off the board.
"""

from __future__ import annotations

import streamlit as st

from components import address, runtime
from components.board_card import board_card
from components.compare import compare
from components.cuts_ui import latest_cut, present_cut
from components.notes_ui import notes_panel, notes_toggle
from components.players import video_source
from components.present import PresentNotes, present
from components.review_ui import blind_vote, link_decision
from components.router import ensure_router
from components.showcase_ui import poster, select_box, selection, viewer
from components.styles import card_styles
from components.text import heading
from starvideos.review import Approval, LinkRights, NoteCount
from starvideos.showcase import Board, ShareLink, Take

ensure_router()

VIEWS = ("present", "compare")

backend = runtime.backend()
problem = backend.database_problem()
if problem is not None:
    st.title("Shared board")
    st.error("This board cannot be shown right now. Try again in a few minutes.", icon=":material/cloud_off:")
    st.stop()

showcase = backend.showcase
token = address.query_text("token")
link = showcase.resolve(token)
board = showcase.board(link.board_id) if link is not None else None
if link is None or board is None:
    st.title("Shared board")
    st.warning("This link does not open anything. Ask whoever sent it for a new one.", icon=":material/link_off:")
    st.stop()
if link.state() != "active":
    st.title("Shared board")
    ended = "has expired" if link.state() == "expired" else "has been revoked"
    st.warning(f"This link {ended}. Ask whoever sent it for a new one.", icon=":material/link_off:")
    st.stop()

takes = showcase.items(board.id, rater=viewer(link)[0])
on_board = [t.record.id for t in takes]


def back_to_board() -> None:
    address.change({"view": None, "i": None, "ids": None, "cut": None})


def open_view(view: str, ids: list[int] | None = None, cut_id: int | None = None) -> None:
    address.change({"view": view, "i": None, "ids": address.ids_value(ids or []), "cut": cut_id})


def show_board(board: Board, link: ShareLink, takes: list[Take]) -> None:
    heading(board.name)
    st.caption(what_you_can_do(backend.review.rights(link.id)))
    selected = [i for i in selection() if i in on_board]
    present_col, compare_col, _ = st.columns([1, 1, 3])
    with present_col:
        st.button("Present", key="shared_present", icon=":material/slideshow:", disabled=not takes,
                  on_click=open_view, args=("present",))
    with compare_col:
        st.button(f"Compare ({len(selected)})", key="shared_compare", icon=":material/compare:",
                  disabled=not 2 <= len(selected) <= 4, help="Select two to four takes.", on_click=open_view,
                  args=("compare", selected))
    latest_cut(backend, board.id, on_present=lambda cut: open_view("present", cut_id=cut.id))
    blind_vote(backend, board, takes, member=False, link=link)
    card_styles()
    states = backend.review.approvals(board.id)
    rights = backend.review.rights(link.id)
    # Counted as the cards list them: this board's only (the take may be on another client's board too).
    counts = backend.review.note_counts([t.record.id for t in takes], board_id=board.id)
    said = backend.showcase.comment_counts([t.record.id for t in takes], board_id=board.id)
    for take in takes:
        shared_card(board, take, link, selected, states.get(take.record.id), rights, counts.get(take.record.id),
                    said.get(take.record.id, 0))


def what_you_can_do(rights: LinkRights) -> str:
    """What the link lets its holder do, said plainly: not "read-only" over stars, comments and notes."""
    can = ["play", "present", "compare", "rate", "comment"]
    can += ["pin notes at a moment"] if rights.notes else []
    can += ["request changes"] if rights.requests else []
    return f"A shared board: you can {', '.join(can[:-1])} and {can[-1]}. The board itself stays as the team made it."


def shared_card(board: Board, take: Take, link: ShareLink, selected: list[int], state: Approval | None,
                rights: LinkRights, notes: NoteCount | None, comments: int) -> None:
    """A take as a link holder sees it: Play on the picture; select and the link's say under the words."""
    record = take.record

    def picture() -> None:
        if st.session_state.get(f"play_shared_{record.id}"):
            source = video_source(backend, record, take.copy, for_link_holder=True)
            if source is not None:
                st.video(str(source), autoplay=True, muted=True)
        else:
            poster(backend, take)
        st.toggle("Play", key=f"play_shared_{record.id}")

    def under_words() -> None:
        select_box(record.id, prefix="shared", selected=selected)
        link_decision(backend, board, record.id, state, link, rights)

    def player() -> None:
        if notes_toggle(record.id, notes, prefix="shared", open_notes_open=False):
            notes_panel(backend, record, prefix="shared", board_id=board.id, link=link, can_add=rights.notes,
                        beside=True)

    board_card(backend, board, take, prefix="shared", link=link, picture=picture, under_words=under_words,
               player=player, comments=comments)

view = st.query_params.get("view")
if view == "present" and address.present("cut"):
    # Only a cut of this board: the token opens nothing else.
    cut = backend.cuts.get(cut_id) if (cut_id := address.query_id("cut")) is not None else None
    present_cut(backend, cut if cut is not None and cut.board_id == board.id else None, on_exit=back_to_board)
elif view == "present":
    present(backend, takes, on_exit=back_to_board,
            notes=PresentNotes(board.id, link=link, can_add=backend.review.rights(link.id).notes))
elif view == "compare":
    ids = [i for i in address.query_ids("ids", limit=4) if i in on_board]
    st.button("Back to the board", key="shared_back", icon=":material/arrow_back:", on_click=back_to_board)
    compare(backend, [t for t in takes if t.record.id in ids], link=link)
else:
    show_board(board, link, takes)
