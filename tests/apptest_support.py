"""Helpers for AppTest: a sandbox-mode app with its own history file, and a view of what it rendered."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components.testing import fresh_backend, steady_router
from starvideos.settings import SETTINGS_DOC
from tests.conftest import empty_history

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture(scope="session", autouse=True)
def _installed_components_scanned_once() -> Iterator[None]:
    """Every new AppTest scans all installed packages for Streamlit components (about 0.6 s, most of a short test);
    the installed packages do not change during a test session, so the scan's answer is kept."""
    from streamlit.components.v2 import manifest_scanner

    original = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(original)  # type: ignore[assignment]
    try:
        yield
    finally:
        manifest_scanner.scan_component_manifests = original  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def _project_config() -> None:
    """The app's own .streamlit/config.toml, as `streamlit run` reads it. Streamlit reads that file from the working
    directory once per process, and AppTest cases run from a temporary one (so no developer's secrets.toml is read):
    read there, the cases ran under Streamlit's defaults (error details shown, a full garbage collection after every
    run, each script rewritten for "magic")."""
    from streamlit import config

    with contextlib.chdir(ROOT):
        config.get_config_options(force_reparse=True)


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_history: Path) -> Iterator[Path]:
    """Sandbox mode, a fresh history file, fast simulated tasks, and no cached resources from other tests."""
    monkeypatch.chdir(tmp_path)  # no developer secrets.toml is read
    empty_history(migrated_history, tmp_path / "history.sqlite3")
    for name in SETTINGS_DOC:  # set, even if empty: the real environment wins over a developer's .env
        monkeypatch.setenv(name, "")
    for name, value in {"STARVIDEOS_MODE": "sandbox", "STARVIDEOS_API_KEY": "",
                        "STARVIDEOS_HISTORY_PATH": str(tmp_path / "history.sqlite3"),
                        "STARVIDEOS_STORAGE_URL": str(tmp_path / "media"),
                        "STARVIDEOS_SANDBOX_PORT": "0", "STARVIDEOS_SANDBOX_SPEED": "30",
                        "STARVIDEOS_POLL_INTERVAL": "0.2", "STARVIDEOS_APP_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    with steady_router(), fresh_backend():
        yield tmp_path


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
    """Markdown source with the app's escaping removed (backslashes, and the invisible word joiners that keep
    addresses from turning into links), to compare with plain text."""
    return markdown.replace("\\", "").replace("\u2060", "")


def served_key(url: str) -> str:
    """The storage key a page's link serves, after checking it is the app's own signed /files link, valid now."""
    from urllib.parse import parse_qs, unquote, urlsplit

    from components import runtime

    parts = urlsplit(url)
    assert parts.path.startswith("/files/"), f"not a link to a stored file: {url}"
    key = unquote(parts.path.removeprefix("/files/"))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert runtime.backend().signer.media_grant(key, query["e"], query["s"]) is not None, f"not signed: {url}"
    return key
