"""The History list: filters, a live-updating table with keyset pages, and exports."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from starvideos.history import HistoryFilter, HistoryRecord, HistoryStore
from starvideos.models import TaskStatus

from .labels import MODE_NAMES, mode_short, state_label, state_marker
from .runtime import Backend, current_user, session_id
from .text import md_escape, shorten

PAGE_SIZE = 20


def filters_bar(*, signed_in: bool) -> HistoryFilter:
    """The filter widgets; returns the filter they describe."""
    status_col, mode_col, text_col, mine_col = st.columns([3, 2, 3, 2], vertical_alignment="bottom")
    with status_col:
        statuses = st.multiselect("Status", list(TaskStatus), format_func=state_label, key="filter_status",
                                  placeholder="All statuses")
    with mode_col:
        modes = st.multiselect("Mode", list(MODE_NAMES), format_func=mode_short, key="filter_mode",
                               placeholder="All modes")
    with text_col:
        text = st.text_input("Search", key="filter_text", placeholder="Prompt or task id")
    with mine_col:
        mine = st.toggle("This session only", key="filter_session")
        by_me = st.toggle("Mine", key="filter_mine") if signed_in else False
    return HistoryFilter(statuses=tuple(statuses), modes=tuple(modes), text=text or "",
                         session_id=session_id() if mine else None,
                         created_by=current_user() if by_me else None)


def live_table(backend: Backend, filters: HistoryFilter, *, signed_in: bool) -> None:
    """The table, redrawn every poll interval from what the background poller found."""
    cursors = _cursors(filters)

    @st.fragment(run_every=backend.settings.poll_interval)
    def table() -> None:
        total = backend.store.count(filters)
        records = backend.store.list(filters, limit=PAGE_SIZE, before_id=cursors[-1])
        _render_rows(records, signed_in=signed_in)
        _pager(cursors, records, total)

    table()


def removed_notice(store: HistoryStore) -> None:
    """After "Remove from history": say so, with an undo."""
    removed = st.session_state.get("removed_record")
    if removed is None:
        return
    record_id, prompt = removed
    with st.container(border=True, key="removed_notice"):
        text_col, undo_col = st.columns([5, 1], vertical_alignment="center")
        with text_col:
            st.success(f"Removed “{md_escape(shorten(prompt, 60))}” from the history.", icon=":material/delete:")
        with undo_col:
            st.button("Undo", key="undo_remove", icon=":material/undo:", on_click=_undo, args=(store, record_id))


def _undo(store: HistoryStore, record_id: int) -> None:
    store.restore(record_id)
    st.session_state.pop("removed_record", None)


def _cursors(filters: HistoryFilter) -> list[int | None]:
    # Keyset pages: the stack holds each page's starting point; a filter change starts again at page one.
    ss = st.session_state
    if ss.get("history_filter") != filters:
        ss.history_filter = filters
        ss.history_cursors = [None]
    return ss.history_cursors


def _render_rows(records: list[HistoryRecord], *, signed_in: bool) -> None:
    if not records:
        st.info("No tasks yet. Create one on the Create page.", icon=":material/movie:")
        return
    # Time, status and prompt first: on a phone they are what fits without scrolling sideways.
    rows = [{
        "Time": datetime.fromtimestamp(r.attempted_at),
        "Status": state_marker(r.status),
        "Prompt": shorten(r.prompt, 70),
        **({"Created by": r.created_by or "—"} if signed_in else {}),
        "Mode": mode_short(r.mode),
        "Duration": f"{r.duration} s",
        "Ratio": r.ratio,
        "Task id": r.task_id or "—",
    } for r in records]
    event = st.dataframe(
        rows, hide_index=True, on_select="rerun", selection_mode=["single-row", "single-cell"], key="history_table",
        column_config={
            "Time": st.column_config.DatetimeColumn(format="MMM D, HH:mm", width="small"),
            "Status": st.column_config.TextColumn(width="small"),
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
    st.session_state.pop("history_table", None)
    go_to(task_id=record.task_id, record_id=None if record.task_id else record.id)


def go_to(*, task_id: str | None = None, record_id: int | None = None) -> None:
    """Navigate within History: a task's detail, a record's detail, or (neither) the list."""
    st.query_params.clear()
    if task_id:
        st.query_params["task"] = task_id
    elif record_id is not None:
        st.query_params["record"] = str(record_id)
    st.rerun()


def _pager(cursors: list[int | None], records: list[HistoryRecord], total: int) -> None:
    # Callbacks move the cursor before the next run, so no extra rerun is needed (and none can misfire).
    page = len(cursors)
    has_more = len(records) == PAGE_SIZE and page * PAGE_SIZE < total
    prev_col, info_col, next_col = st.columns([1, 3, 1], vertical_alignment="center")
    with prev_col:
        st.button("Previous", disabled=page == 1, icon=":material/chevron_left:", key="page_prev",
                  on_click=cursors.pop)
    with info_col:
        st.caption(f"Page {page} · {total:,} task{'s' if total != 1 else ''}")
    with next_col:
        st.button("Next", disabled=not has_more, icon=":material/chevron_right:", key="page_next",
                  on_click=cursors.append, args=(records[-1].id if records else None,))
