"""A toast in the creator's open tabs when their task finishes, whatever page they are on: every tab of a signed-in
person, or the tab that created it (without sign-in a browser has no name)."""

from __future__ import annotations

import time

import streamlit as st

from starvideos.errors import StarVideosError
from starvideos.models import TaskStatus
from starvideos.services import Services

from . import identity
from .text import md_escape, shorten

CHECK_SECONDS = 4.0


@st.fragment(run_every=CHECK_SECONDS)
def finished_toasts(services: Services) -> None:
    """Drawn once by the router; reads what the background poller stored (no lookups), a few rows at most."""
    ss = st.session_state
    since = ss.setdefault("toasts_since", time.time())
    if not services.started:  # nothing was created yet: never the reason a first paint opens the database (B4)
        return
    user = identity.current_user()
    try:
        done = services.store.finished_since(since, created_by=user,
                                             session_id=None if user else identity.session_id())
    except StarVideosError:
        return  # the pages say when the database is down; a toast can wait
    for record in done:
        ok = record.status == TaskStatus.COMPLETED
        words = md_escape(shorten(record.prompt, 60))
        st.toast(f"{'Done' if ok else 'Failed'}: {words}", icon=":material/check_circle:" if ok else ":material/error:")
        ss.toasts_since = max(ss.toasts_since, record.finished_at or since)
