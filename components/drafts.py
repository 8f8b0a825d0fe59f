"""The Create form's draft survives a reload: it is kept in the browser's own storage (never on the server), and a
fresh page with an empty form gets it back."""

from __future__ import annotations

from typing import Any

import streamlit as st

from starvideos.models import MAX_DURATION, MAX_PROMPT_CHARS, MAX_URL_CHARS, MIN_DURATION, RATIOS

from .labels import MODE_BY_LABEL

# Static code, no user text: the draft travels as data and is written with JSON, never as HTML.
_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  const KEY = "starvideos.createDraft.v1";
  if (data.empty) {
    if (window.__starvideosDraftOffered) return;
    window.__starvideosDraftOffered = true;
    let stored = null;
    try { stored = JSON.parse(window.localStorage.getItem(KEY) || "null"); } catch (e) { stored = null; }
    if (stored && typeof stored === "object") setTriggerValue("restore", stored);
    return;
  }
  window.__starvideosDraftOffered = true;
  try { window.localStorage.setItem(KEY, JSON.stringify(data.values)); } catch (e) { /* storage full or off */ }
}
"""
_keeper = st.components.v2.component("starvideos_draft_keeper", js=_JS)
_TEXT_FIELDS = {"form_prompt": MAX_PROMPT_CHARS, "form_image_url": MAX_URL_CHARS, "form_first_url": MAX_URL_CHARS,
                "form_last_url": MAX_URL_CHARS}


def keep_draft(values: dict[str, Any]) -> None:
    """Save the form in the browser; on a fresh page with an empty form, put the saved draft back.

    Drawn last on the page, so the form paints first; a restored draft comes back through the callback, which
    Streamlit runs before the next run's widgets (the supported way to set their values)."""
    empty = not any(str(values.get(key) or "").strip() for key in _TEXT_FIELDS)
    _keeper(key="draft_keeper", data={"values": values, "empty": empty}, height=0, on_restore_change=_restore)


def _restore() -> None:
    ss = st.session_state
    saved = getattr(ss.get("draft_keeper"), "restore", None)
    if isinstance(saved, dict) and not any(str(ss.get(key) or "").strip() for key in _TEXT_FIELDS):
        _apply(saved)


def _apply(saved: dict[str, Any]) -> None:
    """Take back only well-formed values: the browser's storage is the user's to edit."""
    ss = st.session_state
    for key, limit in _TEXT_FIELDS.items():
        value = saved.get(key)
        if isinstance(value, str) and len(value) <= limit:
            ss[key] = value
    if saved.get("form_mode") in MODE_BY_LABEL:
        ss.form_mode = saved["form_mode"]
    if isinstance(saved.get("form_duration"), int) and MIN_DURATION <= saved["form_duration"] <= MAX_DURATION:
        ss.form_duration = saved["form_duration"]
    if saved.get("form_ratio") in RATIOS:
        ss.form_ratio = saved["form_ratio"]
