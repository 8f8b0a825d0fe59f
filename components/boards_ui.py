"""Boards: the list, one board (order, prune, best take, rename, delete), and its share links."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

import streamlit as st

from starvideos.cuts import Trim
from starvideos.errors import StarVideosError
from starvideos.review import Approval, NoteCount
from starvideos.showcase import Board, ShareLink, Showcase, Take

from . import address, registry
from .board_card import board_card
from .cuts_ui import SET_POINTS, Subject, cut_panel, set_point, trim_caption, trim_inputs
from .notes_ui import notes_open, notes_panel, notes_toggle
from .players import media_source
from .review_ui import (
    approval_control,
    blind_vote,
    board_progress,
    progress_bar,
    shown,
    start_vote_button,
    state_filter,
)
from .runtime import Backend, current_user, signin_configured
from .showcase_ui import select_box, selection, task_query, viewer
from .styles import card_styles
from .text import heading, label, md_escape, md_inert

STRIP = 4
STRIP_WIDTH = 96
EXPIRY = {"Never": None, "1 day": 86400.0, "7 days": 7 * 86400.0, "30 days": 30 * 86400.0}


def boards_list(backend: Backend) -> None:
    showcase: Showcase = backend.showcase
    st.title("Boards")
    name_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    with name_col:
        name = st.text_input("New board", key="new_board_name", placeholder="Pitch for the spring campaign")
    with button_col:
        if st.button("Create board", key="create_board", icon=":material/add:", disabled=not (name or "").strip()):
            try:
                board = showcase.board_named(name or "", created_by=current_user())
            except StarVideosError as exc:
                st.error(md_inert(exc.message))
            else:
                open_board(board.id)
                st.rerun()
    boards = showcase.boards()
    if not boards:
        st.info("No boards yet. Create one here, or select takes in the Gallery and press “Add to board”.",
                icon=":material/dashboard:")
    posters = showcase.board_posters([b.id for b in boards], per_board=STRIP)
    card_styles()
    for board in boards:
        with st.container(border=True, key=f"board_row_{board.id}"):
            title, size = st.columns([4, 1], vertical_alignment="center")
            with title:
                # A button, not a link to this same page: Streamlit does not put such a link's query in the
                # address, so the next action on the board would land back on this list.
                st.button(label(board.name), key=f"open_board_{board.id}", icon=":material/dashboard:",
                          type="tertiary", on_click=open_board, args=(board.id,))
            with size:
                st.caption(f"{board.size} take{'s' if board.size != 1 else ''}")
            _strip(backend, posters.get(board.id, []), board)


def _strip(backend: Backend, keys: list[str], board: Board) -> None:
    """A few of the board's posters in a row (as many as are saved)."""
    sources = [source for source in (media_source(backend, key) for key in keys) if source is not None]
    if sources:
        with st.container(key=f"strip_{board.id}"):
            st.image([str(s) if not isinstance(s, str) else s for s in sources], width=STRIP_WIDTH)


def open_board(board_id: int) -> None:
    address.change({"board": board_id}, keep=())


def all_boards() -> None:
    address.change({}, keep=())


def board_view(backend: Backend, board: Board) -> None:
    showcase: Showcase = backend.showcase
    st.button("All boards", key="all_boards", icon=":material/arrow_back:", type="tertiary", on_click=all_boards)
    heading(board.name)
    takes = showcase.items(board.id, rater=viewer()[0])
    on_board = [t.record.id for t in takes]
    selected = [i for i in selection() if i in on_board]
    present_col, compare_col, share_col, rename_col, delete_col = st.columns(5)
    with present_col:
        st.page_link(registry.PRESENT.path, label="Present", icon=":material/slideshow:",
                     query_params={"board": str(board.id)}, disabled=not takes)
    with compare_col:
        chosen = selected or on_board[:4]
        if st.button(f"Compare ({len(chosen)})", key="board_compare", icon=":material/compare:",
                     disabled=not 2 <= len(chosen) <= 4, help="Select two to four takes (or the first four)."):
            st.switch_page(registry.COMPARE.path, query_params={"ids": address.ids_value(chosen),
                                                                 "board": str(board.id)})
    with share_col, st.popover("Share link", icon=":material/share:"):
        _share(backend, board)
    with rename_col, st.popover("Rename", icon=":material/edit:"):
        new_name = st.text_input("Board name", value=board.name, key="rename_board")
        if st.button("Save name", key="rename_board_save"):
            try:
                showcase.rename(board.id, new_name)
            except StarVideosError as exc:
                st.error(f"{md_inert(exc.message)} {md_escape(exc.hint)}")
            else:
                st.rerun()
    with delete_col, st.popover("Delete board", icon=":material/delete:"):
        st.write("Delete this board? Its takes stay in the history; its share links stop working.")
        if st.button("Yes, delete it", type="primary", key="delete_board_confirm"):
            showcase.delete(board.id)
            all_boards()
            st.rerun()
    if not takes:
        st.info("This board is empty. Add takes from the Gallery or from a task's page.", icon=":material/movie:")
        return
    cut_panel(backend, Subject(board_id=board.id), present_query=lambda cut: {"cut": str(cut.id)})
    start_vote_button(backend, board, selected)
    blind_vote(backend, board, takes, member=True)
    states = backend.review.approvals(board.id)
    progress_bar(board_progress(takes, states))
    visible = {t.record.id for t in shown(takes, states, state_filter())}
    if not visible:
        st.caption("No take on this board is in that state.")
    card_styles()
    counts = backend.review.note_counts(sorted(visible))
    trims = backend.cuts.trims(board.id)
    said = showcase.comment_counts(sorted(visible))
    for position, take in enumerate(takes):
        if take.record.id in visible:
            _item(backend, board, take, position, len(takes), selected, states.get(take.record.id),
                  counts.get(take.record.id), trims.get(take.record.id, Trim()), said.get(take.record.id, 0))


def _item(backend: Backend, board: Board, take: Take, position: int, count: int, selected: list[int],
          state: Approval | None, notes: NoteCount | None, trim: Trim, comments: int) -> None:
    showcase: Showcase = backend.showcase
    record = take.record
    best = board.best_record_id == record.id
    info = take.copy.video_info if take.copy is not None and take.copy.saved else None
    duration = info.duration if info else None

    def decision() -> None:
        # Under the words, where a link holder sees the state too: the tools column is too narrow for the three
        # choices on a laptop screen ("Rejected" ran past the card's edge).
        approval_control(backend, board, record.id, state)

    def tools() -> None:
        select_box(record.id, prefix="board", selected=selected)
        up, down = st.columns(2)
        with up:
            st.button("Up", key=f"up_{record.id}", icon=":material/arrow_upward:", disabled=position == 0,
                      on_click=showcase.move, args=(board.id, record.id, -1))
        with down:
            st.button("Down", key=f"down_{record.id}", icon=":material/arrow_downward:",
                      disabled=position == count - 1, on_click=showcase.move, args=(board.id, record.id, 1))
        st.button("Not the best take" if best else "Best take", key=f"best_{record.id}",
                  icon=":material/star:", on_click=showcase.set_best, args=(board.id, None if best else record.id))
        st.button("Remove from board", key=f"remove_{record.id}", icon=":material/remove_circle:",
                  on_click=showcase.remove, args=(board.id, record.id))
        st.page_link(registry.HISTORY.path, label="Open", icon=":material/open_in_new:",
                     query_params=task_query(take))
        # The In and Out inputs come with the player (a hundred number inputs cost a board seconds per run); the
        # caption says the trim while it is closed.
        if notes_open(record.id, prefix="board"):
            trim_inputs(backend, board.id, record.id, duration, trim)
        else:
            trim_caption(duration, trim)

    def player() -> None:
        # One player per take, with every button it has: "Set in" / "Set out" for the cut, "Note at" for notes.
        # Off until asked for (fifty players at once would crawl); the label names both, so trimming does not
        # wait for a first note.
        if notes_toggle(record.id, notes, prefix="board", open_notes_open=False, label="Player: trim & notes"):
            notes_panel(backend, record, prefix="board", board_id=board.id, tools=SET_POINTS,
                        on_tool=partial(set_point, backend, board.id, record.id, duration), beside=True)

    board_card(backend, board, take, prefix="board", under_words=decision, tools=tools, player=player,
               comments=comments)


def share_base(backend: Backend) -> str:
    """STARVIDEOS_PUBLIC_URL, or the scheme and host the browser used."""
    if backend.settings.public_url:
        return backend.settings.public_url
    url = st.context.url or "http://localhost:8501"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _share(backend: Backend, board: Board) -> None:
    showcase: Showcase = backend.showcase
    if backend.settings.app_password or signin_configured():
        st.caption("Anyone with the link sees this board only, read-only: play, present, compare, rate and "
                   "comment. No password or sign-in is asked.")
    else:
        st.warning("**This app has no password or sign-in**, so anyone who can reach it sees everything: every "
                   "board, every take and the whole history, not only this board. To keep the rest to the team, "
                   "set `STARVIDEOS_APP_PASSWORD` or turn on sign-in (`[auth]` in secrets.toml); a link then "
                   "shows this board only.", icon=":material/lock_open:")
    expiry = st.selectbox("Expires", list(EXPIRY), key="share_expiry")
    allow_notes = st.checkbox("Allow notes at a moment", value=True, key="share_allow_notes")
    allow_requests = st.checkbox("Allow “Request changes”", value=False, key="share_allow_requests")
    if st.button("Create share link", key="share_create", icon=":material/link:"):
        token, link = showcase.share(board.id, created_by=current_user(), expires_in=EXPIRY[expiry or "Never"])
        backend.review.set_rights(link.id, notes_allowed=allow_notes, requests_allowed=allow_requests)
        # Shown once, in this session only: the database keeps only its hash.
        st.session_state.new_share_link = (board.id, f"{share_base(backend)}/{registry.SHARED.url_path}?token={token}")
    new = st.session_state.get("new_share_link")
    if new and new[0] == board.id:
        st.success("Copy the link now; it is not shown again.", icon=":material/link:")
        st.code(new[1], language=None)
    links = showcase.links(board.id)
    if links:
        st.caption("Links to this board")
    for link in links:
        _link_row(showcase, link)


def _link_row(showcase: Showcase, link: ShareLink) -> None:
    state = link.state()
    made = datetime.fromtimestamp(link.created_at).strftime("%b %d, %H:%M")
    until = (" · expires " + datetime.fromtimestamp(link.expires_at).strftime("%b %d, %H:%M")
             if link.expires_at else "")
    text_col, action_col = st.columns([3, 1], vertical_alignment="center")
    with text_col:
        st.caption(f"Link {link.id} · made {made}{until} · {state}")
    with action_col:
        if state == "active":
            st.button("Revoke", key=f"revoke_{link.id}", on_click=showcase.revoke, args=(link.id,))
