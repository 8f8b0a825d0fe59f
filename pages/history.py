"""History page: every task, newest first, with live status; ?task=<id> opens one task."""

from __future__ import annotations

import streamlit as st

from components import runtime
from components.history_view import export_panel, filters_bar, go_to, live_table
from components.router import ensure_router
from components.task_detail import task_detail

ensure_router()

backend = runtime.backend()
task_id = st.query_params.get("task")
record_param = st.query_params.get("record")

if task_id or record_param:
    record = (backend.store.get_by_task_id(task_id) if task_id
              else backend.store.get(int(record_param)) if (record_param or "").isdigit() else None)
    if record is None:
        st.title("History")
        st.warning("No task with that id in the history.", icon=":material/search_off:")
        if st.button("All tasks", icon=":material/arrow_back:"):
            go_to()
    else:
        task_detail(backend, record)
else:
    title_col, export_col = st.columns([5, 1], vertical_alignment="bottom")
    with title_col:
        st.title("History")
    filters = filters_bar()
    with export_col:
        export_panel(backend, filters)
    live_table(backend, filters)
