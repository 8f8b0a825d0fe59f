"""The prompt builder on Create: "Subject", "Action", "Camera", "Style" → the prompt, which stays editable.

It draws its fields only when opened (like the Request panel), so the Create page stays quick to rerun (B16).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

BUILDER_FIELDS = {"subject": ("Subject", "a red fox"), "action": ("Action", "runs through fresh snow"),
                  "camera": ("Camera", "low tracking shot"), "style": ("Style", "golden hour, cinematic")}


def compose(parts: Sequence[str]) -> str:
    """The builder's prompt: the filled-in parts, in order, as one sentence."""
    words = [" ".join(p.split()) for p in parts if p and p.strip()]
    if not words:
        return ""
    sentence = ", ".join(words)
    return sentence[0].upper() + sentence[1:] + ("" if sentence.endswith((".", "!", "?")) else ".")


def prompt_builder() -> None:
    """"Subject", "Action", "Camera", "Style" → the prompt (which stays editable)."""
    panel = st.expander("Prompt builder", icon=":material/construction:", key="builder_panel", on_change="rerun")
    if not panel.open:
        return
    with panel:
        # Stacked, with no row or columns around them: every block is work on each rerun (B16).
        for key, (label, example) in BUILDER_FIELDS.items():
            st.text_input(label, key=f"builder_{key}", placeholder=example, max_chars=300)
        st.button("Use as prompt", icon=":material/arrow_upward:", on_click=_use_built)


def _use_built() -> None:
    ss = st.session_state
    built = compose([str(ss.get(f"builder_{key}") or "") for key in BUILDER_FIELDS])
    if built:
        ss.form_prompt = built
