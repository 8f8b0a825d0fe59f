"""History page: every task, newest first, with live status; ?task=<id> (or ?record=<n>) opens one task."""

from __future__ import annotations

import streamlit as st

from components import runtime
from components.exports_ui import export_panel
from components.history_view import filters_bar, go_to, live_table, removed_notice
from components.messages import show_error
from components.router import ensure_router
from components.task_detail import task_detail

ensure_router()

backend = runtime.backend()
task_id = st.query_params.get("task")
record_param = st.query_params.get("record")
problem = backend.database_problem()

if problem is not None:
    st.title("History")
    show_error(problem)
elif task_id or record_param:
    record = (backend.store.get_by_task_id(task_id) if task_id
              else backend.store.get(int(record_param)) if (record_param or "").isdigit() else None)
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
