"""A task's state as a badge, in the one style used everywhere (see ``labels.STATES``)."""

from __future__ import annotations

import streamlit as st

from .labels import STATES, BadgeColor


def status_badge(state: str) -> None:
    unknown: tuple[str, BadgeColor, str, str] = (state, "gray", ":material/help:", "")
    text, color, icon, _ = STATES.get(state, unknown)
    st.badge(text, color=color, icon=icon)
