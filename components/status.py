"""How each task state looks: one label, colour and icon per state, used everywhere."""

from __future__ import annotations

import streamlit as st

# state: (label, badge colour, icon, table marker)
STATES: dict[str, tuple[str, str, str, str]] = {
    "sending": ("Sending", "gray", ":material/upload:", "↑"),
    "rejected": ("Not created", "red", ":material/block:", "⊘"),
    "outcome_unknown": ("Outcome unknown", "orange", ":material/help:", "?"),
    "queued": ("Queued", "gray", ":material/schedule:", "○"),
    "processing": ("Processing", "blue", ":material/autorenew:", "◐"),
    "completed": ("Completed", "green", ":material/check_circle:", "✓"),
    "failed": ("Failed", "red", ":material/error:", "✕"),
    "unknown": ("Unknown status", "orange", ":material/help:", "?"),
}


def label(state: str) -> str:
    return STATES.get(state, (state,))[0]


def table_label(state: str) -> str:
    entry = STATES.get(state)
    return f"{entry[3]} {entry[0]}" if entry else state


def status_badge(state: str) -> None:
    text, color, icon, _ = STATES.get(state, (state, "gray", ":material/help:", ""))
    st.badge(text, color=color, icon=icon)  # type: ignore[arg-type]
