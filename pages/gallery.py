"""Gallery: finished takes as cards, newest first; select two to four to compare, or any to add to a board."""

from __future__ import annotations

import streamlit as st

from components import registry, runtime
from components.messages import stop_unless_database
from components.router import ensure_router
from components.showcase_ui import add_to_board_dialog, board_notice, open_add_to_board, take_card
from components.styles import card_styles
from starvideos.models import RATIOS
from starvideos.showcase import GalleryFilter

ensure_router()

PAGE_SIZE = 24
backend = runtime.backend()
st.title("Gallery")
stop_unless_database(backend.database_problem())

showcase = backend.showcase
board_notice()
text_col, ratio_col, board_col, stars_col, who_col = st.columns([3, 1, 2, 2, 2], vertical_alignment="bottom")
with text_col:
    text = st.text_input("Search", key="gallery_text", placeholder="Words in the prompt")
with ratio_col:
    ratio = st.selectbox("Ratio", RATIOS, index=None, key="gallery_ratio", placeholder="Any")
with board_col:
    boards = {b.id: b.name for b in showcase.boards()}
    board = st.selectbox("Board", list(boards), format_func=boards.get, index=None, key="gallery_board",
                         placeholder="Any board")
with stars_col:
    stars = st.selectbox("Rating", [4, 3, 2, 1], format_func=lambda n: f"{n}★ and up", index=None,
                         key="gallery_stars", placeholder="Any rating")
with who_col:
    signed_in = runtime.current_user() is not None
    creator = st.text_input("Created by", key="gallery_creator", placeholder="name@team.com") if signed_in else ""
filters = GalleryFilter(text=text or "", ratio=ratio, board_id=board, min_stars=stars,
                        created_by=(creator or "").strip().lower() or None)

ss = st.session_state
if ss.get("gallery_filter") != filters:
    ss.gallery_filter, ss.gallery_cursors = filters, [None]
cursors: list[int | None] = ss.gallery_cursors
takes = showcase.gallery(filters, limit=PAGE_SIZE + 1, before_id=cursors[-1])
has_more, takes = len(takes) > PAGE_SIZE, takes[:PAGE_SIZE]

add_to_board_dialog(backend)
card_styles()
# The selection is read before the cards are drawn, so the actions sit above the grid, where they are seen.
selected = [t.record.id for t in takes if ss.get(f"select_gallery_{t.record.id}")]
with st.container(key="gallery_actions"):
    compare_col, board_col, prev_col, next_col = st.columns([2, 2, 1, 1], vertical_alignment="center")
    with compare_col:
        if st.button(f"Compare ({len(selected)})", key="gallery_compare", icon=":material/compare:",
                     disabled=not 2 <= len(selected) <= 4, help="Select two to four takes."):
            st.switch_page(registry.COMPARE.path, query_params={"ids": ",".join(map(str, selected))})
    with board_col:
        st.button(f"Add to board ({len(selected)})", key="gallery_add_to_board", icon=":material/dashboard:",
                  disabled=not selected, on_click=open_add_to_board, args=(selected,))
    with prev_col:
        st.button("Previous", key="gallery_prev", disabled=len(cursors) == 1, on_click=cursors.pop,
                  icon=":material/chevron_left:")
    with next_col:
        st.button("Next", key="gallery_next", disabled=not has_more, on_click=cursors.append,
                  args=(takes[-1].record.id if takes else None,), icon=":material/chevron_right:")

if not takes:
    st.info("No finished takes yet. Create one, and it appears here when it is done.", icon=":material/movie:")
for start in range(0, len(takes), 4):  # row by row: on a phone the columns stack in reading order
    for column, take in zip(st.columns(4), takes[start:start + 4], strict=False):
        with column:
            take_card(backend, take, prefix="gallery")
