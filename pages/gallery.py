"""Gallery: finished takes as cards, newest first; select two to four to compare, or any to add to a board.

Search, filters, page and selection are in the address (?q=…&ratio=…&on=<board>&stars=…&by=…&page=…&selected=…),
so Compare → Gallery, Back, a reload or a pasted link show the same cards with the same takes selected. Posters
that arrive while the page is open appear on their own (a small watcher, asleep when nothing is pending).
"""

from __future__ import annotations

import streamlit as st

from components import address, registry, runtime
from components.live import on_its_own_timer
from components.messages import stop_unless_database
from components.router import ensure_router
from components.showcase_ui import (
    add_to_board_dialog,
    board_notice,
    clear_selection,
    open_add_to_board,
    selection,
    take_card,
)
from components.styles import card_styles
from starvideos.models import RATIOS
from starvideos.showcase import GalleryFilter, Take

ensure_router()

PAGE_SIZE = 24
PARAMS = ("q", "ratio", "on", "stars", "by", "page")
STARS = [4, 3, 2, 1]
address.keep((*PARAMS, "selected"))
backend = runtime.backend()
st.title("Gallery")
stop_unless_database(backend.database_problem())
showcase = backend.showcase
signed_in = runtime.current_user() is not None
boards = {b.id: b.name for b in showcase.boards()}


def filters_from_address() -> GalleryFilter:
    ratio = st.query_params.get("ratio")
    board = address.query_id("on")
    stars = address.query_id("stars")
    return GalleryFilter(text=address.query_text("q"), ratio=ratio if ratio in RATIOS else None,
                         board_id=board if board in boards else None, min_stars=stars if stars in STARS else None,
                         created_by=address.query_text("by").lower() or None if signed_in else None)


def filters_to_address() -> None:
    ss = st.session_state
    address.change_filters({"q": str(ss.get("gallery_text") or "").strip(), "ratio": ss.get("gallery_ratio"),
                            "on": ss.get("gallery_board"), "stars": ss.get("gallery_stars"),
                            "by": str(ss.get("gallery_creator") or "").strip().lower() if signed_in else None})


filters = filters_from_address()
board_notice()
text_col, ratio_col, board_col, stars_col, who_col = st.columns([3, 1, 2, 2, 2], vertical_alignment="bottom")
with text_col:
    address.show("gallery_text", filters.text)
    st.text_input("Search", key="gallery_text", placeholder="Words in the prompt", on_change=filters_to_address)
with ratio_col:
    address.show("gallery_ratio", filters.ratio)
    st.selectbox("Ratio", RATIOS, index=None, key="gallery_ratio", placeholder="Any", on_change=filters_to_address)
with board_col:
    address.show("gallery_board", filters.board_id)
    st.selectbox("Board", list(boards), format_func=boards.__getitem__, index=None, key="gallery_board",
                 placeholder="Any board", on_change=filters_to_address)
with stars_col:
    address.show("gallery_stars", filters.min_stars)
    st.selectbox("Rating", STARS, format_func=lambda n: f"{n}★ and up", index=None,
                 key="gallery_stars",
                 placeholder="Any rating", on_change=filters_to_address)
with who_col:
    if signed_in:
        address.show("gallery_creator", filters.created_by or "")
        st.text_input("Created by", key="gallery_creator", placeholder="name@team.com", on_change=filters_to_address)


def following_page(start: int | None) -> int | None:
    ids = showcase.gallery_ids(filters, limit=PAGE_SIZE + 1, before_id=start)
    return ids[PAGE_SIZE - 1] if len(ids) > PAGE_SIZE else None


cursors = address.page_cursors("gallery", filters, address.query_page(), following_page)
takes = showcase.gallery(filters, limit=PAGE_SIZE + 1, before_id=cursors[-1])
has_more, takes = len(takes) > PAGE_SIZE, takes[:PAGE_SIZE]

add_to_board_dialog(backend)
card_styles()
# Newest first, as the cards stand, wherever each was selected (another page, another search).
selected = sorted(selection(), reverse=True)
with st.container(key="gallery_actions"):
    compare_col, board_col, clear_col, prev_col, next_col = st.columns([2, 2, 2, 1, 1], vertical_alignment="center")
    with compare_col:
        if st.button(f"Compare ({len(selected)})", key="gallery_compare", icon=":material/compare:",
                     disabled=not 2 <= len(selected) <= 4, help="Select two to four takes."):
            st.switch_page(registry.COMPARE.path,
                           query_params={"ids": address.ids_value(selected), **address.params(PARAMS)})
    with board_col:
        st.button(f"Add to board ({len(selected)})", key="gallery_add_to_board", icon=":material/dashboard:",
                  disabled=not selected, on_click=open_add_to_board, args=(selected,))
    with clear_col:
        if selected:
            st.button("Clear selection", key="gallery_clear", icon=":material/deselect:", type="tertiary",
                      on_click=clear_selection)
    with prev_col:
        st.button("Previous", key="gallery_prev", disabled=len(cursors) == 1, on_click=address.previous_page,
                  args=(cursors,), icon=":material/chevron_left:")
    with next_col:
        st.button("Next", key="gallery_next", disabled=not has_more, on_click=address.next_page,
                  args=(cursors, takes[-1].record.id if takes else None), icon=":material/chevron_right:")

if not takes:
    st.info("No finished takes yet. Create one, and it appears here when it is done.", icon=":material/movie:")
for start in range(0, len(takes), 4):  # row by row: on a phone the columns stack in reading order
    for column, take in zip(st.columns(4), takes[start:start + 4], strict=False):
        with column:
            take_card(backend, take, prefix="gallery", selected=selected)


def watch(takes: list[Take], *, first_page: bool) -> None:
    """Redraw the page when a poster on it is saved, or (on the first page) when a newer take finishes. Each
    look is one small read; with nothing to wait for, there is no timer at all."""
    waiting = [t.record.id for t in takes if t.copy is not None and t.copy.state in ("pending", "saving")]
    newest = takes[0].record.id if takes else 0
    if not waiting and not first_page:
        return

    @st.fragment(run_every=backend.settings.poll_interval)
    def watcher() -> None:
        if on_its_own_timer() and (showcase.posters_ready(waiting) or (first_page and any(
                i > newest for i in showcase.gallery_ids(filters, limit=1)))):
            st.rerun()

    watcher()


watch(takes, first_page=len(cursors) == 1)
