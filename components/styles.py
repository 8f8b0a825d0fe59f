"""Static CSS for the preview frames. It contains no user text, so st.html cannot carry anything injected."""

from __future__ import annotations

import streamlit as st

_CSS = """
<style>
[class*="st-key-frame_16x9"] img { aspect-ratio: 16 / 9; width: 100%; object-fit: contain; background: #0b0d12;
  border-radius: 6px; }
[class*="st-key-frame_9x16"] img { aspect-ratio: 9 / 16; height: 320px; width: auto; max-width: 100%;
  object-fit: contain; background: #0b0d12; border-radius: 6px; display: block; margin: 0 auto; }
</style>
"""


def inject_styles() -> None:
    st.html(_CSS)
