"""The History list: filters, a live-updating table with keyset pages, and exports."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from starvideos import HistoryFilter, HistoryRecord
from starvideos.history import ALL_STATES

from .runtime import Backend, session_id
from .status import label, table_label
from .text import md_escape, shorten

PAGE_SIZE = 20
MODE_NAMES = {"text": "Text", "image": "Image", "first_last": "First & last"}


def filters_bar() -> HistoryFilter:
    """The filter widgets; returns the SQL-side filter they describe."""
    status_col, mode_col, text_col, mine_col = st.columns([3, 2, 3, 2], vertical_alignment="bottom")
    with status_col:
        statuses = st.multiselect("Status", ALL_STATES, format_func=label, key="filter_status",
                                  placeholder="All statuses")
    with mode_col:
        modes = st.multiselect("Mode", list(MODE_NAMES), format_func=MODE_NAMES.__getitem__, key="filter_mode",
                               placeholder="All modes")
    with text_col:
        text = st.text_input("Search", key="filter_text", placeholder="Prompt or task id")
    with mine_col:
        mine = st.toggle("This session only", key="filter_mine")
    return HistoryFilter(statuses=tuple(statuses), modes=tuple(modes), text=text or "",
                         session_id=session_id() if mine else None)


def live_table(backend: Backend, filters: HistoryFilter) -> None:
    """The table, refreshed every poll interval in a fragment: due unfinished tasks are looked up first."""
    cursors = _cursors(filters)

    @st.fragment(run_every=backend.settings.poll_interval)
    def table() -> None:
        live = [r.task_id for r in backend.store.live(limit=50) if r.task_id]
        if live:
            # Bounded wait: slow lookups finish in the background and show on the next tick.
            backend.poller.refresh(live, timeout=min(2.0, backend.settings.poll_interval))
        total = backend.store.count(filters)
        records = backend.store.list(filters, limit=PAGE_SIZE, before_id=cursors[-1])
        _render_rows(backend, records)
        _pager(cursors, records, total)

    table()


def _cursors(filters: HistoryFilter) -> list[int | None]:
    # Keyset pages: the stack holds each page's starting point; a filter change starts again at page one.
    ss = st.session_state
    if ss.get("history_filter") != filters:
        ss.history_filter = filters
        ss.history_cursors = [None]
    return ss.history_cursors


def _render_rows(backend: Backend, records: list[HistoryRecord]) -> None:
    if not records:
        st.info("No tasks yet. Create one on the Create page.", icon=":material/movie:")
        return
    rows = [{
        "Time": datetime.fromtimestamp(r.attempted_at),
        "Status": table_label(r.status),
        "Mode": MODE_NAMES.get(r.mode, r.mode),
        "Prompt": shorten(r.prompt, 70),
        "Duration": f"{r.duration} s",
        "Ratio": r.ratio,
        "Task id": r.task_id or "—",
    } for r in records]
    event = st.dataframe(
        rows, hide_index=True, on_select="rerun", selection_mode="single-row", key="history_table",
        column_config={
            "Time": st.column_config.DatetimeColumn(format="MMM D, HH:mm:ss", width="medium"),
            "Task id": st.column_config.TextColumn(width="medium"),
        },
    )
    st.caption("Click a row to open the task.")
    selected = event.selection.rows if event is not None else []
    if selected and selected[0] < len(records):
        open_record(records[selected[0]])
    problems = [(r, backend.poller.state(r.task_id).error) for r in records if r.is_live and r.task_id]
    for record, error in problems:
        if error:
            st.warning(f"Status of {md_escape(record.task_id)}: {md_escape(error)}", icon=":material/sync_problem:")


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


def export_panel(backend: Backend, filters: HistoryFilter) -> None:
    """CSV and JSON of the filtered history, built only when asked for (never on every rerun)."""
    with st.popover("Export", icon=":material/download:"):
        st.caption("Exports the tasks matching the filters. The API key is never included.")
        if st.button("Prepare export", key="prepare_export"):
            st.session_state.export = (filters, backend.store.export_csv(filters), backend.store.export_json(filters))
        prepared = st.session_state.get("export")
        if prepared and prepared[0] == filters:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            st.download_button("Download CSV", prepared[1], f"starvideos-history-{stamp}.csv", "text/csv",
                               on_click="ignore", icon=":material/table:")
            st.download_button("Download JSON", prepared[2], f"starvideos-history-{stamp}.json",
                               "application/json", on_click="ignore", icon=":material/data_object:")
