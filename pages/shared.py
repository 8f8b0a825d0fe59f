"""A shared board (?token=…): that board only, read-only, without the password or sign-in. The token is the proof;
everything else in the app still asks for the password or sign-in, even in this browser.

The link is checked on every run (a click, a key, a reload) and again when a rating or comment is stored, so a tab
opened before a revoke can do nothing after it. Present and Compare are views of this same page (&view=…), kept in
the address: nothing here ever leads off the board.
"""

from __future__ import annotations

import streamlit as st

from components import address, runtime
from components.compare import compare
from components.cuts_ui import latest_cut, present_cut
from components.notes_ui import notes_panel, notes_toggle
from components.players import video_source
from components.present import PresentNotes, present
from components.review_ui import blind_vote, link_decision
from components.router import ensure_router
from components.showcase_ui import feedback_panel, poster, select_box, selection, take_caption, viewer
from components.styles import card_styles
from components.text import heading, plain
from starvideos.showcase import ShareLink, Take

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


def show_board(link: ShareLink, takes: list[Take]) -> None:
    heading(board.name)
    st.caption("A shared board · read-only")
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
    counts = backend.review.note_counts([t.record.id for t in takes])
    for take in takes:
        record = take.record
        with st.container(border=True, key=f"card_shared_{record.id}"):
            picture, words = st.columns([2, 3], gap="medium")
            with picture:
                if st.session_state.get(f"play_shared_{record.id}"):
                    source = video_source(backend, record, take.copy)
                    if source is not None:
                        st.video(str(source), autoplay=True, muted=True)
                else:
                    poster(backend, take)
                st.toggle("Play", key=f"play_shared_{record.id}")
            with words:
                if board.best_record_id == record.id:
                    st.badge("Best take", icon=":material/star:", color="violet")
                plain(record.prompt, key=f"prompt_shared_{record.id}")
                st.caption(take_caption(take))
                select_box(record.id, prefix="shared", selected=selected)
                link_decision(backend, board, record.id, states.get(record.id), link, rights)
                feedback_panel(backend, take, prefix="shared", link=link)
            if notes_toggle(record.id, counts.get(record.id), prefix="shared", open_notes_open=False):
                notes_panel(backend, record, prefix="shared", board_id=board.id, link=link, can_add=rights.notes)


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
    compare(backend, [t for t in takes if t.record.id in ids], for_link_holder=True)
else:
    show_board(link, takes)
