"""Running the app in-process, for the tests (AppTest) and the benchmarks alike; no test framework needed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from streamlit.runtime.pages_manager import PagesManager

from . import runtime


@contextmanager
def fresh_backend() -> Iterator[None]:
    """No cached settings, database, client or sandbox from before; everything started inside is stopped after."""
    runtime.reset()
    try:
        yield
    finally:
        runtime.reset()


@contextmanager
def steady_router() -> Iterator[None]:
    """Run AppTest the way a real server runs after its first request.

    AppTest starts every run in Streamlit's legacy pages/ mode, which a real server leaves for good after the first
    st.navigation call; there, each page's ensure_router() would rerun every run (and drop button clicks). The
    fresh-server case itself is covered by an e2e test.
    """
    original_init = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        PagesManager.__init__ = original_init  # type: ignore[method-assign]
