"""A shared board (?token=…): that board only, read-only, without the password or sign-in. The token is the proof;
everything else in the app still asks for the password or sign-in, even in this browser."""

from __future__ import annotations

import streamlit as st

from components import registry, runtime
from components.compare import compare
from components.notes_ui import notes_panel, notes_toggle
from components.present import present
from components.review_ui import link_decision
from components.router import ensure_router
from components.showcase_ui import feedback_panel, poster, take_caption, viewer
from components.styles import card_styles
from components.text import md_escape
from starvideos.showcase import ShareLink, Take

ensure_router()

backend = runtime.backend()
problem = backend.database_problem()
if problem is not None:
    st.title("Shared board")
    st.error("This board cannot be shown right now. Try again in a few minutes.", icon=":material/cloud_off:")
    st.stop()

showcase = backend.showcase
token = st.query_params.get("token") or ""
link = showcase.resolve(token)
board = showcase.board(link.board_id) if link is not None else None
if link is None or board is None:
    st.title("Shared board")
    st.warning("This link does not open anything. Ask whoever sent it for a new one.", icon=":material/link_off:")
    st.stop()
if link.state() != "active":
    st.title("Shared board")
    st.warning(f"This link has been {'revoked' if link.state() == 'revoked' else 'expired'}. Ask whoever sent it for "
               "a new one.", icon=":material/link_off:")
    st.stop()

takes = showcase.items(board.id, rater=viewer(link)[0])
on_board = {t.record.id for t in takes}
view = st.query_params.get("view")


def back_to_board() -> None:
    for name in ("view", "i", "ids"):
        st.query_params.pop(name, None)


def show_board(link: ShareLink, takes: list[Take]) -> None:
    st.title(md_escape(board.name))
    st.caption("A shared board · read-only")
    selected = [t.record.id for t in takes if st.session_state.get(f"select_shared_{t.record.id}")]
    present_col, compare_col, _ = st.columns([1, 1, 3])
    with present_col:
        st.page_link(registry.SHARED.path, label="Present", icon=":material/slideshow:",
                     query_params={"token": token, "view": "present"}, disabled=not takes)
    with compare_col:
        st.page_link(registry.SHARED.path, label=f"Compare ({len(selected)})", icon=":material/compare:",
                     query_params={"token": token, "view": "compare", "ids": ",".join(map(str, selected))},
                     disabled=not 2 <= len(selected) <= 4, help="Select two to four takes.")
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
                    from components.players import video_source

                    source = video_source(backend, record, take.copy)
                    if source is not None:
                        st.video(str(source), autoplay=True, muted=True)
                else:
                    poster(backend, take)
                st.toggle("Play", key=f"play_shared_{record.id}")
            with words:
                if board.best_record_id == record.id:
                    st.badge("Best take", icon=":material/star:", color="violet")
                with st.container(key=f"prompt_shared_{record.id}"):
                    st.markdown(md_escape(record.prompt))
                st.caption(take_caption(take))
                st.checkbox("Select", key=f"select_shared_{record.id}")
                link_decision(backend, board, record.id, states.get(record.id), link, rights)
                feedback_panel(backend, take, prefix="shared", link=link)
            if notes_toggle(record.id, counts.get(record.id), prefix="shared"):
                notes_panel(backend, record, prefix="shared", board_id=board.id, link=link, can_add=rights.notes)


if view == "present":
    present(backend, takes, on_exit=back_to_board)
elif view == "compare":
    ids = [int(i) for i in (st.query_params.get("ids") or "").split(",") if i.isdigit() and int(i) in on_board]
    st.button("Back to the board", key="shared_back", icon=":material/arrow_back:", on_click=back_to_board)
    compare(backend, [t for t in takes if t.record.id in ids][:4])
else:
    show_board(link, takes)
