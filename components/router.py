"""Make sure every page runs under app.py's router, even on a fresh server's first request.

With a folder named ``pages/`` next to ``app.py``, Streamlit starts each process in its legacy multipage mode: until
some run declares ``st.navigation``, a deep link such as ``/history?task=…`` (a reload right after a restart) runs
the page file directly, skipping the router, its gate and sidebar. The router marks the runs it makes; a page run
any other way declares the navigation itself (which, documented, turns the legacy mode off for the process) and
reruns, so ``app.py`` routes the same URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from . import registry

_ROUTED = threading.local()


@contextmanager
def routed() -> Iterator[None]:
    """Wrap the router's ``page.run()``: pages run inside it are known to have passed the gate."""
    _ROUTED.active = True
    try:
        yield
    finally:
        _ROUTED.active = False


def ensure_router() -> None:
    if getattr(_ROUTED, "active", False):
        return
    st.navigation([st.Page(spec.path, title=spec.title, url_path=None if spec.default else spec.url_path,
                           default=spec.default) for spec in registry.APP_PAGES], position="hidden")
    st.rerun()
