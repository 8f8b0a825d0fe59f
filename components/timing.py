"""Time as a person reads it: how long a live task has left (from this deployment's own history, "no estimate yet"
until it has some), and moments shown on the viewer's own clock."""

from __future__ import annotations

import time
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def viewer_zone() -> tzinfo | None:
    """The browser's time zone (None: the server's own), so "at 14:02" is the time on the viewer's clock."""
    name = st.context.timezone
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def clock(when: float, now: float | None = None) -> str:
    """A moment as a person says it: "14:02" today, "Nov 29, 14:02" another day of this year, with the year
    otherwise."""
    zone = viewer_zone()
    moment = datetime.fromtimestamp(when, zone)
    today = datetime.fromtimestamp(now if now is not None else time.time(), zone)
    if moment.date() == today.date():
        return moment.strftime("%H:%M")
    if moment.year == today.year:
        return f"{moment.strftime('%b')} {moment.day}, {moment.strftime('%H:%M')}"
    return f"{moment.strftime('%b')} {moment.day} {moment.year}, {moment.strftime('%H:%M')}"


def ago(when: float, now: float | None = None) -> str:
    """How long ago, in words a person says: "just now", "40 seconds ago", "3 minutes ago", "2 hours ago", "5 days
    ago"."""
    seconds = max(0, int((now if now is not None else time.time()) - when))
    if seconds < 10:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
