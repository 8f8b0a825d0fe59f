"""Batch: a CSV of prompts, checked row by row, queued with "Queue all" and sent at the team's pace."""

from __future__ import annotations

import streamlit as st

from components import runtime
from components.batch_view import csv_intake, queue_panel
from components.messages import stop_unless_database
from components.router import ensure_router
from components.sidebar import mode_badge

ensure_router()

backend = runtime.backend()
st.title("Batch")
mode_badge(backend.settings)
stop_unless_database(backend.database_problem())
intake, progress = st.columns([3, 2], gap="large")
with intake:
    csv_intake(backend)
with progress:
    st.subheader("Queue")
    queue_panel(backend)
