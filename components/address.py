"""The address bar as page state, and every query parameter read as untrusted input.

What a person expects to keep across a reload, Back, or a pasted link (the board they opened, History's search and
page, the takes they selected) lives in ``st.query_params``. Everything read from there comes from whoever wrote
the URL, so it is parsed here, once: ASCII digits only (``"²".isdigit()`` is True, and ``int("²")`` raises), ids
within SQL's 64-bit range, text without control characters and of bounded length. A malformed value reads as
absent; nothing here raises.

Changes go out as one ``page_info_changed`` message (``from_dict``), so the browser gets one history entry per
change, and Back returns to the previous state.

A page's own controls (filters, page, selection) are also kept in the session (``keep``), because the address a
browser sends with each rerun can be stale: a live fragment's timer and a click sent together both carry the
address from before the change the first of them makes, and the second would undo it. While a person stays on a
page, the session's values win and are written back to the address; arriving (a link, Back, a new tab, another
page) the address wins; from the sidebar (no parameters at all), the page comes back as it was left.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

MAX_ID = 2**63 - 1
MAX_TEXT = 200


def parse_id(raw: object) -> int | None:
    """A positive database id from a query value, or None."""
    value = str(raw or "").strip()
    if not value or len(value) > 19 or not (value.isascii() and value.isdecimal()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(raw: object, *, limit: int) -> list[int]:
    """Comma-separated ids, in order, without repeats or junk, at most ``limit`` of them."""
    found: dict[int, None] = {}
    for part in str(raw or "").split(",")[: limit * 4]:
        number = parse_id(part)
        if number is not None:
            found[number] = None
        if len(found) >= limit:
            break
    return list(found)


def parse_text(raw: object, *, limit: int = MAX_TEXT) -> str:
    """Free text from a query value: control and unassigned characters as spaces, one line, at most ``limit``."""
    value = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Cn", "Co") else ch for ch in str(raw or ""))
    return " ".join(value.split())[:limit]


def parse_choices(raw: object, allowed: Iterable[str]) -> list[str]:
    """Comma-separated values that are in ``allowed``, in ``allowed``'s order."""
    wanted = set(str(raw or "").split(","))
    return [value for value in allowed if value in wanted]


def parse_page(raw: object, *, limit: int = 500) -> int:
    """A page number from 1 (the default, also for junk) to ``limit`` (a pasted page is found by walking from the
    first, one small read a page: the limit bounds what a link can ask for)."""
    number = parse_id(raw)
    return min(number, limit) if number is not None else 1


def parse_index(raw: object) -> int:
    """A position from 0 (the default, also for junk)."""
    value = str(raw or "").strip()
    return int(value) if value and len(value) <= 6 and value.isascii() and value.isdecimal() else 0


def query_id(name: str) -> int | None:
    return parse_id(_get(name))


def query_ids(name: str, *, limit: int) -> list[int]:
    return parse_ids(_get(name), limit=limit)


def query_text(name: str, *, limit: int = MAX_TEXT) -> str:
    return parse_text(_get(name), limit=limit)


def query_choices(name: str, allowed: Iterable[str]) -> list[str]:
    return parse_choices(_get(name), allowed)


def query_index(name: str) -> int:
    return parse_index(_get(name))


def query_page(name: str = "page") -> int:
    return parse_page(_get(name))


def query_flag(name: str) -> bool:
    return _get(name) == "1"


def _get(name: str) -> str | None:
    _settle()
    return st.query_params.get(name)


def present(name: str) -> bool:
    """True when the parameter is in the address at all (even with a value that does not parse)."""
    _settle()
    return name in st.query_params


def params(names: Iterable[str]) -> dict[str, str]:
    """The current values of ``names`` that are set (as they are: each page parses its own)."""
    _settle()
    return _raw(names)


def _raw(names: Iterable[str]) -> dict[str, str]:
    return {name: str(st.query_params[name]) for name in names if name in st.query_params}


def change(values: Mapping[str, object | None], *, keep: Iterable[str] | None = None) -> None:
    """Set (or, with None or "", remove) parameters in one step. With ``keep``, every other parameter goes."""
    _settle()
    current = {name: str(value) for name, value in st.query_params.to_dict().items()
               if keep is None or name in set(keep)}
    for name, value in values.items():
        text = _value(value)
        if text is None:
            current.pop(name, None)
        else:
            current[name] = text
    if current != st.query_params.to_dict():
        st.query_params.from_dict(current)
    memory = _memory_key()
    names = st.session_state.get(f"{memory}_names")
    if names is not None:
        st.session_state[memory] = {n: current[n] for n in names if n in current}


def change_filters(values: Mapping[str, object | None]) -> None:
    """A filter widget's ``on_change``: write the filters and go back to page one, but only when they differ from
    the address. A rerun the browser asked for before the last one arrived (a live fragment's timer) replays the
    widgets' values; it must not reset the page or undo where the person went."""
    wanted = {name: _value(value) for name, value in values.items()}
    if any(wanted[name] != _get(name) for name in wanted):
        change({**values, "page": None})


def _value(value: object | None) -> str | None:
    if value is None or value == "" or value is False:
        return None
    return "1" if value is True else str(value)


def show(key: str, value: object) -> None:
    """Before a widget is drawn: give it the value the address holds, so Back, a reload or a pasted link shows
    what the address says (its ``on_change`` writes the address back). Set on every run, even when equal: a widget
    drawn again after a run without it (a task was open) shows its default otherwise, whatever its state says."""
    st.session_state[key] = value


def keep(names: Iterable[str]) -> None:
    """Keep these parameters of this page in the session as well as the address (first thing on the page; see the
    module's docstring for which wins when)."""
    st.session_state[f"{_memory_key()}_names"] = tuple(names)
    _settle()


def _settle() -> None:
    """Make the address this run reads agree with where the person is (idempotent: cheap after the first call)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    ss = st.session_state
    arrived = ss.get("address_page") != ctx.page_script_hash or ctx.is_history_navigation
    ss["address_page"] = ctx.page_script_hash
    memory = _memory_key()
    names = ss.get(f"{memory}_names")
    if not names:
        return
    url, kept = _raw(names), ss.get(memory)
    if kept is None or (arrived and (url or ctx.is_history_navigation)):
        ss[memory] = url  # a new tab, a link, Back: the address wins
    elif url != kept:  # a stale rerun, or the sidebar: the session wins, and the address is told
        others = {k: str(v) for k, v in st.query_params.to_dict().items() if k not in names}
        st.query_params.from_dict({**others, **kept})


def _memory_key() -> str:
    ctx = get_script_run_ctx()
    return f"address_of_{ctx.page_script_hash if ctx is not None else ''}"


def switch_page_keeping_back(path: str) -> NoReturn:
    """Open another page so that the browser's Back returns to this one as it is (History's open task, not its list).

    ``st.switch_page`` first writes the new page's parameters (none, by default) into *this* page's address, and the
    browser keeps that as an entry of its own; Back then lands there: on this page without its parameters. Handing
    the current parameters on changes nothing here, so the page switch is the only new entry. The next page carries
    them in its address but reads none of them."""
    _settle()
    st.switch_page(path, query_params=st.query_params.to_dict())


def ids_value(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in ids)


def page_cursors(name: str, filters: object, page: int, next_cursor: Callable[[int | None], int | None]) \
        -> list[int | None]:
    """Keyset pages for a list whose page number is in the address: the stack of each page's starting point, up
    to ``page``. It is kept in the session while ``filters`` stay the same (so a page does not shift under a
    person paging through it) and rebuilt from the first page when it is not there (a reload, a pasted link).
    ``next_cursor(start)`` gives the start of the page after the one at ``start``, or None when there is none.
    When the list is shorter, the last page it has is shown, and the address says so."""
    ss = st.session_state
    if ss.get(f"{name}_filter") != filters or f"{name}_cursors" not in ss:
        ss[f"{name}_filter"], ss[f"{name}_cursors"] = filters, [None]
    cursors: list[int | None] = ss[f"{name}_cursors"]
    del cursors[max(1, page):]
    while len(cursors) < page:
        cursor = next_cursor(cursors[-1])
        if cursor is None:
            break
        cursors.append(cursor)
    if len(cursors) < page:
        change({"page": len(cursors) if len(cursors) > 1 else None})
    return cursors


def next_page(cursors: list[int | None], cursor: int | None) -> None:
    """A pager's "Next" (a callback): one page on, in the session and the address."""
    cursors.append(cursor)
    change({"page": len(cursors)})


def previous_page(cursors: list[int | None]) -> None:
    if len(cursors) > 1:
        cursors.pop()
    change({"page": len(cursors) if len(cursors) > 1 else None})
