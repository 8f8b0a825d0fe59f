"""The History list: filters, a live-updating table with keyset pages, and exports.

Search, filters and page are in the address (?q=…&status=…&mode=…&session=1&mine=1&page=N); opening a task adds
``task`` (or ``record``) and keeps them, so "All tasks", Back, a reload or a pasted link come back to the same list.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from starvideos.history import HistoryFilter, HistoryRecord, HistoryStore
from starvideos.models import TaskStatus

from . import address
from .labels import MODE_NAMES, mode_short, state_label, state_marker
from .live import on_its_own_timer
from .runtime import Backend, current_user, session_id
from .text import md_escape, md_inert, shorten

PAGE_SIZE = 20
LIST_PARAMS = ("q", "status", "mode", "session", "mine", "page")


def filters_bar(*, signed_in: bool) -> HistoryFilter:
    """The filter widgets, drawn from the address; returns the filter they describe."""
    statuses = address.query_choices("status", list(TaskStatus))
    modes = address.query_choices("mode", MODE_NAMES)
    text = address.query_text("q")
    mine = address.query_flag("session")
    by_me = signed_in and address.query_flag("mine")
    status_col, mode_col, text_col, mine_col = st.columns([3, 2, 3, 2], vertical_alignment="bottom")
    with status_col:
        address.show("filter_status", statuses)
        st.multiselect("Status", list(TaskStatus), format_func=state_label, key="filter_status",
                       placeholder="All statuses", on_change=_filters_to_address)
    with mode_col:
        address.show("filter_mode", modes)
        st.multiselect("Mode", list(MODE_NAMES), format_func=mode_short, key="filter_mode", placeholder="All modes",
                       on_change=_filters_to_address)
    with text_col:
        address.show("filter_text", text)
        st.text_input("Search", key="filter_text", placeholder="Prompt or task id", on_change=_filters_to_address)
    with mine_col:
        address.show("filter_session", mine)
        st.toggle("This session only", key="filter_session", on_change=_filters_to_address)
        if signed_in:
            address.show("filter_mine", by_me)
            st.toggle("Mine", key="filter_mine", on_change=_filters_to_address)
    return HistoryFilter(statuses=tuple(statuses), modes=tuple(modes), text=text,
                         session_id=session_id() if mine else None,
                         created_by=current_user() if by_me else None)


def _filters_to_address() -> None:
    ss = st.session_state
    address.change_filters({"status": ",".join(ss.get("filter_status") or []),
                            "mode": ",".join(ss.get("filter_mode") or []),
                            "q": str(ss.get("filter_text") or "").strip(), "session": bool(ss.get("filter_session")),
                            "mine": bool(ss.get("filter_mine"))})


def live_table(backend: Backend, filters: HistoryFilter, *, signed_in: bool) -> None:
    """The table, redrawn when what the background poller found changes what it shows."""

    def following_page(start: int | None) -> int | None:
        records = backend.store.list(filters, limit=PAGE_SIZE + 1, before_id=start)
        return records[PAGE_SIZE - 1].id if len(records) > PAGE_SIZE else None

    cursors = address.page_cursors("history", filters, address.query_page(), following_page)

    def read() -> tuple[int, list[HistoryRecord]]:
        return backend.store.count(filters), backend.store.list(filters, limit=PAGE_SIZE, before_id=cursors[-1])

    total, records = read()
    # A fresh grid for each page and each return to the list: a grid keeps its last selection (it would open that
    # task again) and, refilled in place, misses the first click.
    visit = st.session_state.get("history_opened", 0)
    _render_rows(records, signed_in=signed_in, key=f"history_table_{cursors[-1] or 0}_{visit}")
    _pager(cursors, records, total)
    drawn = _shown(total, records)

    # The same reads every poll interval, but the grid is sent and drawn again only when a row it shows changed:
    # redrawn each time, an open History kept the browser busy (about an eighth of a core at two a second).
    @st.fragment(run_every=backend.settings.poll_interval)
    def watch() -> None:
        if on_its_own_timer() and _shown(*read()) != drawn:
            st.rerun()

    watch()


def _shown(total: int, records: list[HistoryRecord]) -> tuple[object, ...]:
    """What the table shows of each record that can change while it is open: which rows, and each one's time (a
    send that is retried is stamped again), status, task id and lookup warning."""
    return total, tuple((r.id, r.attempted_at, r.status, r.task_id, r.lookup_error) for r in records)


def removed_notice(store: HistoryStore) -> None:
    """After "Remove from history": say so, with an undo."""
    removed = st.session_state.get("removed_record")
    if removed is None:
        return
    record_id, prompt = removed
    with st.container(border=True, key="removed_notice"):
        text_col, undo_col = st.columns([5, 1], vertical_alignment="center")
        with text_col:
            st.success(f"Removed “{md_inert(shorten(prompt, 60))}” from the history.", icon=":material/delete:")
        with undo_col:
            st.button("Undo", key="undo_remove", icon=":material/undo:", on_click=_undo, args=(store, record_id))


def _undo(store: HistoryStore, record_id: int) -> None:
    store.restore(record_id)
    st.session_state.pop("removed_record", None)


def _render_rows(records: list[HistoryRecord], *, signed_in: bool, key: str) -> None:
    if not records:
        st.info("No tasks yet. Create one on the Create page.", icon=":material/movie:")
        return
    # Time, status and prompt first: on a phone they are what fits without scrolling sideways.
    rows = [{
        "Time": datetime.fromtimestamp(r.attempted_at).replace(microsecond=0),
        "Status": state_marker(r.status),
        "Prompt": shorten(r.prompt, 70),
        **({"Created by": r.created_by or "—"} if signed_in else {}),
        "Mode": mode_short(r.mode),
        "Duration": f"{r.duration} s",
        "Ratio": r.ratio,
        "Task id": r.task_id or "—",
    } for r in records]
    event = st.dataframe(
        rows, hide_index=True, on_select="rerun", selection_mode=["single-row", "single-cell"], key=key,
        column_config={
            "Time": st.column_config.DatetimeColumn(format="MMM D, HH:mm:ss"),
            "Status": st.column_config.TextColumn(),
            "Prompt": st.column_config.TextColumn(width="large"),
            "Task id": st.column_config.TextColumn(width="medium"),
        },
    )
    st.caption("Click a row to open the task.")
    selection = event.selection if event is not None else None
    picked = list(getattr(selection, "rows", []) or []) + [cell[0] for cell in getattr(selection, "cells", []) or []]
    if picked and picked[0] < len(records):
        open_record(records[picked[0]])
    for record in records:
        if record.is_live and record.lookup_error:
            st.warning(f"Status of {md_escape(record.task_id)}: {md_escape(record.lookup_error)}",
                       icon=":material/sync_problem:")


def open_record(record: HistoryRecord) -> None:
    """Show one record's detail: by task id when it has one (a shareable URL), else by local id."""
    st.session_state.history_opened = st.session_state.get("history_opened", 0) + 1
    go_to(task_id=record.task_id, record_id=None if record.task_id else record.id)


def go_to(*, task_id: str | None = None, record_id: int | None = None) -> None:
    """Navigate within History: a task's detail, a record's detail, or (neither) the list, keeping the list's
    search, filters and page in the address."""
    show_task(task_id=task_id, record_id=record_id)
    st.rerun()


def show_task(*, task_id: str | None = None, record_id: int | None = None) -> None:
    """``go_to`` for callbacks (which rerun anyway)."""
    address.change({"task": task_id or None, "record": None if task_id else record_id}, keep=LIST_PARAMS)


def _pager(cursors: list[int | None], records: list[HistoryRecord], total: int) -> None:
    # Callbacks move the cursor before the next run, so no extra rerun is needed (and none can misfire).
    page = len(cursors)
    has_more = len(records) == PAGE_SIZE and page * PAGE_SIZE < total
    prev_col, info_col, next_col = st.columns([1, 3, 1], vertical_alignment="center")
    with prev_col:
        st.button("Previous", disabled=page == 1, icon=":material/chevron_left:", key="page_prev",
                  on_click=address.previous_page, args=(cursors,))
    with info_col:
        st.caption(f"Page {page} · {total:,} task{'s' if total != 1 else ''}")
    with next_col:
        st.button("Next", disabled=not has_more, icon=":material/chevron_right:", key="page_next",
                  on_click=address.next_page, args=(cursors, records[-1].id if records else None))
