"""The pages ``st.navigation`` is given: the app's own, grouped by section, or one stand-in (a configuration problem,
the gate) for every app URL so that a deep link survives it.

The app's page list is built once per browser session, not on every run: each ``st.Page`` resolves its file on
the disk when made, and on the Create page that was a tenth of a rerun. Each run is handed its own copies, though:
``st.navigation`` marks the page it returns as the one that may run, and ``page.run()`` clears that mark, on the
page object itself. Two runs of one session can overlap for a moment (a rerun asked for while the last run's
thread is finishing starts a new one), and with shared objects the later run's ``page.run()`` then found the mark
already cleared: Streamlit's "This page cannot be called directly" in place of the page.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import registry

# The favicon as a data URL, made once: given a file, set_page_config reads, hashes and registers it on every run
# (a thirtieth of a Create rerun); a ":material/…" icon would make every browser fetch it from a Google font CDN.
FAVICON = "data:image/png;base64," + base64.b64encode(
    (Path(__file__).parent / "assets" / "favicon.png").read_bytes()).decode("ascii")
_MAX_SESSIONS = 2000
_cache: OrderedDict[tuple[str, tuple[str, ...], bool], list[st.Page]] = OrderedDict()
_lock = threading.Lock()


def stand_in(render: Callable[[], None], specs: tuple[registry.PageSpec, ...]) -> list[st.Page]:
    """One page (a function) standing in for every app URL, keeping each URL so a deep link survives the gate."""
    return [st.Page(render, title=spec.title, url_path=None if spec.default else spec.url_path,
                    default=spec.default) for spec in specs if not spec.public]


def app_pages(specs: tuple[registry.PageSpec, ...], *, public_only: bool = False) -> list[st.Page]:
    """The real pages (only the public ones, behind the gate), made once per session."""
    ctx = get_script_run_ctx()
    key = (ctx.session_id if ctx else "", tuple(spec.path for spec in specs), public_only)
    with _lock:
        pages = _cache.get(key)
        if pages is not None:
            _cache.move_to_end(key)
    if pages is None:
        pages = [st.Page(spec.path, title=spec.title, icon=spec.icon,
                         url_path=None if spec.default else spec.url_path, default=spec.default,
                         visibility="hidden" if spec.hidden else "visible")
                 for spec in specs if spec.public or not public_only]
        with _lock:
            _cache[key] = pages
            while len(_cache) > _MAX_SESSIONS:
                _cache.popitem(last=False)
    return [copy.copy(page) for page in pages]  # this run's own: see the module's docstring


def by_section(pages: list[st.Page], specs: tuple[registry.PageSpec, ...]) -> dict[str, list[st.Page]]:
    grouped: dict[str, list[st.Page]] = {}
    for page, spec in zip(pages, specs, strict=True):
        grouped.setdefault(spec.section, []).append(page)
    return grouped
