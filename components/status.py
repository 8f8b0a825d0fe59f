"""A task's state as a badge, in the one style used everywhere (see ``labels.STATES``)."""

from __future__ import annotations

import streamlit as st

from .labels import STATES


def status_badge(state: str) -> None:
    text, color, icon, _ = STATES.get(state, (state, "gray", ":material/help:", ""))
    st.badge(text, color=color, icon=icon)  # type: ignore[arg-type]
