"""Helpers for AppTest: a sandbox-mode app with its own history file, and a view of what it rendered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Sandbox mode, a fresh history file, fast simulated tasks, and no cached resources from other tests."""
    monkeypatch.chdir(tmp_path)  # no developer .env or secrets are read
    for name, value in {"STARVIDEOS_MODE": "sandbox", "STARVIDEOS_API_KEY": "",
                        "STARVIDEOS_HISTORY_PATH": str(tmp_path / "history.sqlite3"),
                        "STARVIDEOS_SANDBOX_PORT": "0", "STARVIDEOS_SANDBOX_SPEED": "30",
                        "STARVIDEOS_POLL_INTERVAL": "0.2", "STARVIDEOS_APP_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    with steady_router(), fresh_backend():
        yield tmp_path


@contextmanager
def fresh_backend() -> Iterator[None]:
    """No cached settings, client, store or sandbox from before; the sandbox started inside is stopped after."""
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        yield
    finally:
        sandbox = _cached_sandbox()
        st.cache_resource.clear()
        st.cache_data.clear()
        if sandbox is not None:
            sandbox.stop()


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


def _cached_sandbox() -> SandboxServer | None:
    try:
        return runtime.backend().sandbox
    except Exception:
        return None


def new_app(**kwargs: Any) -> AppTest:
    return AppTest.from_file(APP, default_timeout=30, **kwargs)


def texts(at: AppTest) -> str:
    """Every string value the app rendered, for "does not contain" checks."""
    out: list[str] = []

    def walk(node: Any) -> None:
        for attr in ("value", "label", "body", "help", "placeholder", "options"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(str(v) for v in value)
        for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) \
                else getattr(node, "children", []) or []:
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def plain(markdown: str) -> str:
    """Markdown source with the app's escaping removed, to compare with plain text."""
    return markdown.replace("\\", "")
