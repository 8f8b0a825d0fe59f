"""How long a live task has left, from this deployment's own history ("no estimate yet" until it has some)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from starvideos.errors import StarVideosError

from .runtime import Backend

if TYPE_CHECKING:
    from starvideos.history import HistoryRecord


def time_left(backend: Backend, record: HistoryRecord) -> None:
    try:
        left = backend.estimates.time_left(record.mode, record.duration, record.attempted_at)
    except StarVideosError:
        return
    if left is None:
        st.caption(":material/timer: Time left: no estimate yet (it comes once a few similar tasks have finished "
                   "here).")
        return
    seconds, done = left
    text = "Any moment now" if seconds < 5 else f"About {_duration(seconds)} left"
    st.progress(done, text=text)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"
