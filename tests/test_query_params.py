"""Every query parameter is untrusted: property-based tests (Hypothesis) over the parsing helpers, and over the
query parameters of every page with AppTest. Junk such as ``²`` (``"²".isdigit()`` is True, ``int("²")`` raises),
other scripts' digits, huge numbers, NUL and control characters must never crash a page."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components import runtime
from components.address import MAX_ID, parse_choices, parse_id, parse_ids, parse_index, parse_page, parse_text
from starvideos.models import TaskStatus, VideoRequest, VideoTask
from tests.apptest_support import new_app

JUNK = ["²", "³²", "١٢", "１２", "߁", "-1", "0", "00", "+1", " 1", "1e3", "0x10", "1.5", "NaN", "∞", "9" * 30,
        str(2**63), str(2**63 - 1), "1,2,²", ",,,", "1,,1,1", "%", "%00", "\x00", "1\x00", "\n", "[]", "a" * 300,
        "present", "compare", "PRESENT"]
value = st.one_of(
    st.sampled_from(JUNK),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.integers(-(2**70), 2**70).map(str),
    st.lists(st.one_of(st.integers(-3, 2**66), st.sampled_from(["²", "", "x"])), max_size=6).map(
        lambda parts: ",".join(map(str, parts))),
)
fast = settings(max_examples=300, deadline=None)


@fast
@given(value)
@example("²")
@example("9" * 5000)  # past int()'s digit limit
def test_parse_id_never_raises(raw: str) -> None:
    """Test that an id is a plain ASCII number in SQL's 64-bit range, or None."""
    found = parse_id(raw)
    assert found is None or (0 < found <= MAX_ID and str(found) == raw.strip().lstrip("0"))


@fast
@given(value, st.integers(1, 10))
def test_parse_ids_never_raises(raw: str, limit: int) -> None:
    """Test that a list of ids holds only valid ids, without repeats, at most ``limit``."""
    found = parse_ids(raw, limit=limit)
    assert len(found) <= limit and len(set(found)) == len(found)
    assert all(parse_id(str(i)) == i for i in found)


@fast
@given(value)
def test_parse_text_index_page_and_choices_never_raise(raw: str) -> None:
    """Test free text (no control characters, one line, bounded), positions, pages and choices."""
    text = parse_text(raw, limit=50)
    assert len(text) <= 50 and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)
    assert 0 <= parse_index(raw) < 10**6 and 1 <= parse_page(raw) <= 500
    assert set(parse_choices(raw, ["text", "image"])) <= {"text", "image"}


def test_parsing_examples() -> None:
    """Test the values a person or a link really carries, and the look-alikes that must not pass."""
    assert [parse_id(v) for v in ("12", " 7 ", "²", "١٢", "１２", "-1", "0", "1.0", str(2**63))] == [
        12, 7, None, None, None, None, None, None, None]
    assert parse_ids("3,²,3,x,4,-5,9", limit=3) == [3, 4, 9]
    assert parse_text("fox\x00\n in\tthe  snow") == "fox in the snow"
    assert (parse_index("2"), parse_index("²"), parse_page("0"), parse_page("3"), parse_page("9999")) == (
        2, 0, 1, 3, 500)
    assert parse_choices("failed,²,completed", ["completed", "failed"]) == ["completed", "failed"]


PAGES = {
    "pages/create.py": ["task", "record", "batch"],
    "pages/batch.py": ["batch"],
    "pages/usage.py": ["month"],
    "pages/history.py": ["task", "record", "q", "status", "mode", "session", "mine", "page"],
    "pages/gallery.py": ["q", "ratio", "on", "stars", "by", "page", "selected"],
    "pages/boards.py": ["board", "selected"],
    "pages/present.py": ["board", "ids", "i"],
    "pages/compare.py": ["ids", "board", "q", "page", "selected"],
    "pages/shared.py": ["token", "view", "i", "ids", "selected"],
}


@pytest.mark.parametrize("path", list(PAGES))
def test_no_page_crashes_on_any_query(app_env: Path, path: str) -> None:
    """Test that each page, given any mix of its own parameters (and strangers) with junk values, renders
    without an exception; real ids and a real share token are in the mix, so the pages get past their checks."""
    at = new_app().run()
    store = runtime.backend().store
    ids = [store.record_attempt(VideoRequest(f"take {n}")) for n in range(2)]
    for n, record_id in enumerate(ids):  # finished, without a copy: nothing to wait for
        store.mark_created(record_id, VideoTask(f"video_query_{n}", TaskStatus.COMPLETED))
    showcase = runtime.backend().showcase
    board = showcase.board_named("Board")
    showcase.add(board.id, ids)
    token, _ = showcase.share(board.id)
    real = st.sampled_from([str(ids[0]), f"{ids[0]},{ids[1]}", str(board.id), token, "present", "compare", "1"])
    params = st.dictionaries(st.sampled_from([*PAGES[path], "x"]), st.one_of(real, value), max_size=4)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(params)
    @example({"board": "²", "ids": "²", "i": "²", "record": "²", "page": "²", "on": "²", "stars": "²",
              "selected": "²"})
    @example({"token": token, "view": "present", "i": "²"})
    @example({"token": token, "view": "compare", "ids": "²"})
    @example({"task": "\x00", "record": "9" * 30, "q": "\x00" * 3})
    def visit(query: dict[str, str]) -> None:
        at.query_params.clear()
        at.query_params.update(query)
        at.session_state["address_page"] = "another page"  # each example arrives by a link: its address wins
        at.switch_page(path).run()
        assert not at.exception, (query, at.exception)

    visit()
