"""What changed between two takes, for a retake thread and Compare: a word diff of the prompts (removed words
struck through in red, added ones in green), the settings that differ, and how long each took to make. Prompts are
people's text: every word goes through ``md_inert``."""

from __future__ import annotations

import streamlit as st

from starvideos.changes import ADDED, REMOVED, generation_seconds, prompt_changed, setting_changes, word_diff
from starvideos.history import HistoryRecord

from .text import md_escape, md_inert


def what_changed(before: HistoryRecord, after: HistoryRecord, *, settings: bool = True) -> None:
    """A word diff of the prompts (removed struck through, added in green) and the settings that differ."""
    if prompt_changed(before.prompt, after.prompt):
        words = []
        for op, text in word_diff(before.prompt, after.prompt):
            escaped = md_inert(text)
            words.append(f":red[~~{escaped}~~]" if op == REMOVED else f":green[{escaped}]" if op == ADDED
                         else escaped)
        st.markdown(" ".join(words))
    if not settings:
        return
    changes = [f"{c.name}: {md_escape(c.before)} → {md_escape(c.after)}" for c in setting_changes(before, after)]
    took = [generation_seconds(r) for r in (before, after)]
    if all(t is not None for t in took):
        changes.append(f"Made in {took[0]:.0f} s → {took[1]:.0f} s")
    if changes:
        st.caption(" · ".join(changes))
