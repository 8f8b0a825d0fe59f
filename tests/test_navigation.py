"""The app's page list: made once per session, but never shared between two runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def _two_runs_of_one_session() -> None:
    import os

    import streamlit as st

    from components.navigation import app_pages
    from components.registry import PageSpec

    folder = os.environ["PAGES_FOLDER"]
    specs = (PageSpec(f"{folder}/one.py", "One", ":material/movie:", "one", default=True),
             PageSpec(f"{folder}/two.py", "Two", ":material/movie:", "two"))
    first, second = app_pages(specs), app_pages(specs)
    st.text(repr([(p._script_hash, p.title, p.url_path) for p in first] ==
                 [(p._script_hash, p.title, p.url_path) for p in second]))
    st.text(repr([a is b for a, b in zip(first, second, strict=True)]))
    page = st.navigation(first)  # the first run ordains its page ...
    st.navigation(second).run()  # ... an overlapping second run ordains and runs its own ...
    page.run()  # ... and the first run's page still runs


def test_two_runs_of_one_session_are_given_their_own_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that two runs of one session get equal pages (the same scripts, titles and addresses) but not the same
    objects: ``st.navigation`` marks the page it returns and ``page.run()`` clears the mark on the object, so a run
    whose mark an overlapping run had cleared failed with Streamlit's "This page cannot be called directly" (seen on
    a shared board in Chromium, two browsers on one server)."""
    for name in ("one", "two"):
        (tmp_path / f"{name}.py").write_text(f"import streamlit as st\nst.text('{name} ran')\n")
    monkeypatch.setenv("PAGES_FOLDER", str(tmp_path))
    at = AppTest.from_function(_two_runs_of_one_session, default_timeout=30).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.text] == ["True", "[False, False]", "one ran", "one ran"]
