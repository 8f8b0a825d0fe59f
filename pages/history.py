"""History page: every task, newest first, with live status; ?task=<id> (or ?record=<n>) opens one task. The
list's search, filters and page stay in the address beside it."""

from __future__ import annotations

import streamlit as st

from components import address, runtime
from components.exports_ui import export_panel
from components.history_view import LIST_PARAMS, filters_bar, go_to, live_table, removed_notice
from components.messages import show_error
from components.router import ensure_router
from components.task_detail import task_detail

ensure_router()

backend = runtime.backend()
address.keep(LIST_PARAMS)
task_id = address.query_text("task", limit=200)
record_id = address.query_id("record")
problem = backend.database_problem()

if problem is not None:
    st.title("History")
    show_error(problem)
elif address.present("task") or address.present("record"):
    record = (backend.store.get_by_task_id(task_id) if task_id
              else backend.store.get(record_id) if record_id is not None else None)
    if record is None:
        st.title("History")
        st.warning("No task with that id in the history.", icon=":material/search_off:")
        if st.button("All tasks", icon=":material/arrow_back:", key="missing_back"):
            go_to()
    else:
        task_detail(backend, record)
else:
    signed_in = runtime.current_user() is not None
    title_col, export_col = st.columns([5, 1], vertical_alignment="bottom")
    with title_col:
        st.title("History")
    removed_notice(backend.store)
    filters = filters_bar(signed_in=signed_in)
    with export_col:
        export_panel(backend, filters)
    live_table(backend, filters, signed_in=signed_in)
