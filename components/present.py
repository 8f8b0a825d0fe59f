"""Present: one take at a time, as big as the window allows, the prompt as its caption, autoplaying and looping;
Previous and Next on the ← and → keys, Exit on Esc. The sidebar is out of the way."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from starvideos.showcase import Take

from . import address
from .players import video_source
from .runtime import Backend
from .styles import present_styles
from .text import plain


def present(backend: Backend, takes: list[Take], *, on_exit: Callable[[], None]) -> None:
    """Show ``takes`` one at a time; the position lives in the URL (``?i=``), so a reload keeps it."""
    present_styles()
    if not takes:
        st.info("Nothing to present: this board has no takes yet.", icon=":material/slideshow:")
        st.button("Exit", key="present_exit", on_click=on_exit, icon=":material/close:")
        return
    index = _index(len(takes))
    take = takes[index]
    source = video_source(backend, take.record, take.copy)
    with st.container(key="present_stage"):
        if source is None:
            st.info("This take has no video yet.", icon=":material/videocam_off:")
        else:
            st.video(source, autoplay=True, loop=True, muted=True)
    plain(take.record.prompt, key="present_caption")
    previous, counter, following, leave = st.columns([2, 1, 2, 1], vertical_alignment="center")
    with previous:
        st.button("Previous", key="present_previous", shortcut="Left", icon=":material/arrow_back:",
                  on_click=_go, args=(index - 1, len(takes)), disabled=index == 0, width="stretch")
    with counter:
        st.caption(f"{index + 1} / {len(takes)}")
    with following:
        st.button("Next", key="present_next", shortcut="Right", icon=":material/arrow_forward:",
                  on_click=_go, args=(index + 1, len(takes)), disabled=index == len(takes) - 1, width="stretch")
    with leave:
        st.button("Exit", key="present_exit", shortcut="Esc", icon=":material/close:", on_click=on_exit,
                  width="stretch")


def _index(count: int) -> int:
    return min(count - 1, address.query_index("i"))


def _go(index: int, count: int) -> None:
    address.change({"i": max(0, min(count - 1, index)) or None})
