"""The Create form's draft survives a reload: it is kept in the browser's own storage (never on the server), and a
fresh page with an empty form gets it back."""

from __future__ import annotations

from typing import Any

import streamlit as st

from starvideos.models import MAX_DURATION, MIN_DURATION

from .form_state import fill_form
from .labels import MODE_BY_LABEL

# Static code, no user text: the draft travels as data and is written with JSON, never as HTML.
_JS = """
export default function(component) {
  const [values, empty] = component.data;
  const { setTriggerValue } = component;
  const KEY = "starvideos.createDraft.v1";
  if (empty) {
    if (window.__starvideosDraftOffered) return;
    window.__starvideosDraftOffered = true;
    let stored = null;
    try { stored = JSON.parse(window.localStorage.getItem(KEY) || "null"); } catch (e) { stored = null; }
    if (stored && typeof stored === "object") setTriggerValue("restore", stored);
    return;
  }
  window.__starvideosDraftOffered = true;
  try { window.localStorage.setItem(KEY, JSON.stringify(values)); } catch (e) { /* storage full or off */ }
}
"""
_keeper = st.components.v2.component("starvideos_draft_keeper", js=_JS)
_PENDING = "draft_to_restore"
_TEXT_FIELDS = ("form_prompt", "form_image_url", "form_first_url", "form_last_url")


def keep_draft(values: dict[str, Any]) -> None:
    """Save the form in the browser; on a fresh page with an empty form, put the saved draft back.

    Drawn last on the page, so the form paints first. Keyless on purpose: a keyed component's value is presented
    again for every field the page draws, on every rerun (B16). A draft the browser offers is held for one rerun and
    applied before the form's widgets (the supported way to set their values)."""
    empty = not any(str(values.get(key) or "").strip() for key in _TEXT_FIELDS)
    # A list, not a dict: Streamlit checks each value of a dict for a dataframe (a quarter of a Create rerun).
    result = _keeper(data=[values, empty], height=0, on_restore_change=_held_for_the_next_run)
    saved = getattr(result, "restore", None)
    if empty and isinstance(saved, dict):
        st.session_state[_PENDING] = saved
        st.rerun()


def _held_for_the_next_run() -> None:
    """The offered draft is read in the run itself (``keep_draft``), after this callback."""


def restore_pending_draft() -> None:
    """Call before the form's widgets: put back the draft the browser offered on the previous run, if the form is
    still empty."""
    saved = st.session_state.pop(_PENDING, None)
    if isinstance(saved, dict) and not any(str(st.session_state.get(key) or "").strip() for key in _TEXT_FIELDS):
        _apply(saved)


def _apply(saved: dict[str, Any]) -> None:
    """Take back only well-formed values: the browser's storage is the user's to edit."""
    duration = saved.get("form_duration")
    fill_form(mode=MODE_BY_LABEL.get(str(saved.get("form_mode"))), prompt=saved.get("form_prompt"),
              ratio=saved.get("form_ratio"), pictures={k: saved.get(k) for k in _TEXT_FIELDS if k != "form_prompt"},
              duration=duration if type(duration) is int and MIN_DURATION <= duration <= MAX_DURATION else None)
