"""Static CSS, one sheet per purpose. None of it contains user text, so st.html cannot carry anything injected."""

from __future__ import annotations

import streamlit as st

_FRAMES = """
<style>
[class*="st-key-frame_16x9"] img { aspect-ratio: 16 / 9; width: 100%; object-fit: contain; background: #0b0d12;
  border-radius: 6px; }
[class*="st-key-frame_9x16"] img { aspect-ratio: 9 / 16; height: 320px; width: auto; max-width: 100%;
  object-fit: contain; background: #0b0d12; border-radius: 6px; display: block; margin: 0 auto; }
</style>
"""

# Cards: a fixed 16:9 poster box (9:16 posters are letterboxed), the prompt (st.text) clamped to two lines; the
# Boards list's poster strips.
_CARDS = """
<style>
[class*="st-key-card_"] [data-testid="stImage"] img { aspect-ratio: 16 / 9; width: 100%; object-fit: contain;
  background: #0b0d12; border-radius: 6px; }
[class*="st-key-card_"] .stCaption, [class*="st-key-card_"] [data-testid="stCaptionContainer"] { margin: 0; }
[class*="st-key-prompt_"] [data-testid="stText"] { display: -webkit-box; -webkit-line-clamp: 2;
  -webkit-box-orient: vertical; overflow: hidden; overflow-wrap: anywhere; white-space: normal; margin: 0;
  min-height: 3em; }
[class*="st-key-strip_"] img { aspect-ratio: 16 / 9; object-fit: contain; background: #0b0d12; border-radius: 4px;
  margin-right: 4px; }
[class*="st-key-poster_missing"] { aspect-ratio: 16 / 9; display: flex; align-items: center; justify-content: center;
  background: #0b0d12; border-radius: 6px; }
</style>
"""

# Present: the sidebar out of the way, the video as big as the window allows, controls in one row below it.
_PRESENT = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem; padding-bottom: 0.5rem; max-width: 100%; }
.st-key-present_stage video { width: 100%; max-height: calc(100vh - 11rem); object-fit: contain; background: #000;
  border-radius: 8px; }
.st-key-present_caption [data-testid="stText"] { font-size: 1.25rem; line-height: 1.4; text-align: center;
  overflow-wrap: anywhere; }
.st-key-present_notes { max-width: 56rem; margin: 0 auto; }
</style>
"""

_COMPARE = """
<style>
.st-key-compare_players video { width: 100%; max-height: 60vh; object-fit: contain; background: #000;
  border-radius: 6px; }
</style>
"""


def inject_styles() -> None:
    """The preview frames of the Create page."""
    st.html(_FRAMES)


def card_styles() -> None:
    st.html(_CARDS)


def present_styles() -> None:
    st.html(_PRESENT)


def compare_styles() -> None:
    st.html(_COMPARE)
