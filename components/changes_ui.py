"""What changed between two takes, for a retake thread and Compare: a word diff of the prompts (removed words
struck through in red, added ones in green), the settings that differ, and what each cost and how long each took
to make. Prompts are people's text: every word goes through ``md_inert``."""

from __future__ import annotations

import streamlit as st

from starvideos.changes import ADDED, REMOVED, cost_and_time, prompt_changed, setting_changes, word_diff
from starvideos.history import HistoryRecord

from .runtime import Backend
from .text import md_escape, md_inert


def what_changed(backend: Backend, before: HistoryRecord, after: HistoryRecord, *, settings: bool = True,
                 spend: bool = True) -> None:
    """A word diff of the prompts (removed struck through, added in green), the settings that differ, and each
    take's cost and time. ``settings=False`` where a table shows those already (Compare); ``spend=False`` for a
    link holder (what the team pays is the team's)."""
    if prompt_changed(before.prompt, after.prompt):
        words = []
        for op, text in word_diff(before.prompt, after.prompt):
            escaped = md_inert(text)
            words.append(f":red[~~{escaped}~~]" if op == REMOVED else f":green[{escaped}]" if op == ADDED
                         else escaped)
        st.markdown(" ".join(words))
    if not settings:
        return
    changes = setting_changes(before, after)
    if spend:
        changes += cost_and_time(before, after, price_per_second=backend.settings.price_per_second,
                                 currency=backend.settings.currency)
    if not changes:
        return
    st.caption(" · ".join(f"{c.name}: {md_escape(c.before)} → {md_escape(c.after)}" for c in changes))
