"""Make sure every page runs under app.py's router, even on a fresh server's first request.

With a folder named ``pages/`` next to ``app.py``, Streamlit starts each process in its legacy multipage mode: until
some run calls ``st.navigation``, a deep link such as ``/history?task=…`` (say, a reload right after a server
restart) runs the page file directly, skipping the router, its settings, password gate and sidebar. Each page
calls ``ensure_router()`` first: in that case it switches the legacy mode off and reruns, so ``app.py`` routes the
same URL.
"""

from __future__ import annotations

import streamlit as st

try:  # internal API: if it moves, pages still work (only the fresh-server deep link loses the sidebar)
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # pragma: no cover
    PagesManager = None  # type: ignore[assignment,misc]


def ensure_router() -> None:
    if PagesManager is not None and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
