"""Showing people's text (prompts, names, comments, board names) and API text safely: as text, never as Markdown,
HTML, links, pictures, icons or math.

People's prose goes through ``plain`` and ``heading``, which never touch Markdown. Where Streamlit only takes
Markdown (widget labels, alerts, captions), ``md_inert`` escapes every ASCII punctuation character, which stops
every syntax rule, and breaks the few rewrites Streamlit's renderer makes on the *parsed* text, which no escape
reaches: web and e-mail addresses turned into links, ``:material/…:`` and ``:streamlit:`` turned into pictures,
``->`` into arrows. It breaks them with an invisible WORD JOINER (U+2060), only where one of them would start.
``md_escape`` is for the app's and the API's own text, where an address may stay a link.
"""

from __future__ import annotations

import html
import re

import streamlit as st

WORD_JOINER = "\u2060"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# CommonMark lets any ASCII punctuation character be escaped, and an escaped one is always literal.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_REWRITES = (
    re.compile(r"(?<=:)(?=[A-Za-z0-9_/+])"),  # :material/x:, :streamlit:, :smile:, http://
    re.compile(r"(?<=[\w.+-])(?=@)"),  # ann@example.com
    re.compile(r"(?<=www)(?=\.)", re.IGNORECASE),  # www.example.com
    re.compile(r"(?<=[-<>~=])(?=[-<>=])"),  # -> <- <-> -- >= <= ~=
)
# st.title's look, on a plain <h1>.
_HEADING_STYLE = ("<style>.sv-heading { font-size: 2.75rem; font-weight: 700; line-height: 1.2; margin: 0; "
                  "padding: 1.25rem 0 1rem 0; overflow-wrap: anywhere; scroll-margin-top: 3.75rem; }</style>")


def md_escape(text: object) -> str:
    """Escape the app's own or an API's text for a Markdown context so its characters show literally (no
    formatting, HTML or math). Addresses in it stay links a person can copy; for text a person typed, which someone
    else reads, use ``md_inert``."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def md_inert(text: object) -> str:
    """Text a person typed, for a Markdown context (a label, an alert, a caption): nothing in it is interpreted, not
    a heading, list, table, link, picture, address, icon, arrow, HTML or math. Line breaks are kept; leading spaces
    (code blocks) are not."""
    lines = []
    for line in str(text).splitlines() or [""]:
        line = line.lstrip(" \t")
        for rewrite in _REWRITES:
            line = rewrite.sub(WORD_JOINER, line)
        lines.append(_PUNCTUATION.sub(r"\\\1", line))
    return "  \n".join(lines)


def label(text: object, limit: int = 80) -> str:
    """People's text as a widget label: one line, at most ``limit`` characters, inert."""
    return md_inert(shorten(str(text), limit))


def shorten(text: str, limit: int = 80) -> str:
    """One line, at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def plain(text: object, *, key: str | None = None) -> None:
    """People's text as a paragraph, exactly as typed (st.text parses nothing)."""
    if key is None:
        st.text(str(text))
        return
    with st.container(key=key):
        st.text(str(text))


def heading(text: object) -> None:
    """People's text as the page's title: a real <h1> (for screen readers and find-by-role), HTML-escaped, no
    Markdown."""
    st.html(f"{_HEADING_STYLE}<h1 class=\"sv-heading\">{html.escape(str(text))}</h1>")
