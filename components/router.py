"""Make sure every page runs under app.py's router, even on a fresh server's first request.

With a folder named ``pages/`` next to ``app.py``, Streamlit starts each process in its legacy multipage mode: until
some run declares ``st.navigation``, a deep link such as ``/history?task=…`` (a reload right after a restart) runs
the page file directly, skipping the router, its gate and sidebar. The router marks the runs it makes; a page run
any other way declares the navigation itself (which, documented, turns the legacy mode off for the process) and
reruns, so ``app.py`` routes the same URL.

Why every page calls ``ensure_router()`` (checked against Streamlit 1.67.0's source; issue #20 item 7 asked for a
supported way to drop it while the folder keeps its name, and there is none):

- ``runtime/pages_manager.py`` 60–63: the first ``PagesManager`` of a process sets the class-wide
  ``uses_pages_directory`` to whether ``<main script's folder>/pages`` exists; nothing else is consulted.
- ``runtime/scriptrunner/script_runner.py`` 933–934: while that flag is true a run calls ``_mpa_v1`` (144–181), which
  builds a navigation from ``pages/*.py`` and runs the URL's page file itself; ``app.py`` runs only for ``/``.
- ``commands/navigation.py`` 399: the only thing that clears the flag is ``st.navigation`` (documented: "As soon as
  any session of your app executes the st.navigation command, your app will ignore the pages/ directory").
- No option declares it up front: ``config.py`` mentions ``pages/`` only in ``client.showSidebarNavigation`` (662),
  which shapes the legacy menu; ``st.App`` (``web/server/starlette/starlette_app.py`` 441) takes ``script_path``,
  ``secrets``, ``lifespan``, ``routes``, ``middleware``, ``on_script_error``, ``exception_handlers`` and ``debug``.
- Calling ``st.navigation`` from the server's lifespan, before any session, would clear the flag, but outside a run
  it takes the branch marked "This should never run in Streamlit" (``commands/navigation.py`` 451–456): not supported.
- ``testing/v1/app_test.py`` 666 resets the flag to None before every AppTest run, so each run starts in the legacy
  mode again; ``components/testing.py::steady_router`` stands for a server past its first request there (the
  fresh-server case is ``tests/e2e/test_app_e2e.py::test_fresh_server_deep_link_runs_the_router``).

Renaming ``pages/`` would remove all of this, but the project's layout names that folder.
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
    """First line of every page: a run that skipped the router declares the navigation and reruns through it."""
    if getattr(_ROUTED, "active", False):
        return
    st.navigation([st.Page(spec.path, title=spec.title, url_path=None if spec.default else spec.url_path,
                           default=spec.default) for spec in registry.APP_PAGES], position="hidden")
    st.rerun()
