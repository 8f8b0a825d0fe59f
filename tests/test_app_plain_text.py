"""AppTest: people's text (a prompt, a board name, a comment, a visitor's name) is never handed to Markdown raw,
on any showcase page or view: it goes out as st.text, as an escaped <h1>, in a data grid or an input, or escaped
(md_escape) in a label or alert. The same strings are rendered in Chromium, with a listener counting fetches, in
tests/e2e/test_plain_text_e2e.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from components import runtime
from components.text import label
from starvideos.models import VideoRequest
from tests.apptest_support import new_app, plain
from tests.test_app_showcase import page, takes

PICTURE = "![b](http://127.0.0.1:9/pixel.png)"
# A picture, a link, bare web and e-mail addresses, an icon, a heading underline and a heading.
PROMPT = f"{PICTURE} see [here](http://127.0.0.1:9/link) www.example.org ceo@example.com :material/home:\n===\n# big"
BOARD = f"{PICTURE} board http://127.0.0.1:9/board"
COMMENT = f"{PICTURE} comment <img src=x> **bold**\n---"
NAME = f"{PICTURE} ceo@example.com"

# Elements that never parse Markdown: their raw text is what a person sees.
PLAIN_TYPES = {"text", "html", "code", "text_input", "text_area", "selectbox", "multiselect", "arrow_data_frame",
               "dataframe", "json"}
# What any of the strings above looks like when Markdown would act on it.
LIVE_MARKDOWN = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|://|www\.|\w@\w|:material/|^ {0,3}(=+|-+|#)\s*$|"
                           r"^#|<img|\*\*", re.MULTILINE)


def markdown_strings(at: AppTest) -> list[tuple[str, str]]:
    """(element type, string) for every string the app handed to a Markdown renderer."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        kind = getattr(node, "type", "")
        if kind not in PLAIN_TYPES:
            proto = getattr(node, "proto", None)
            for attr in ("value", "label", "body", "help", "placeholder"):
                value = getattr(node, attr, None)
                if not isinstance(value, str):  # elements AppTest does not model (page links, popovers)
                    value = getattr(proto, attr, None) if proto is not None and attr != "value" else None
                if isinstance(value, str):
                    found.append((kind, value))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or []):
            walk(child)

    walk(at._tree)
    return found


def people_text_is_inert(at: AppTest, where: str) -> None:
    assert not at.exception, (where, at.exception)
    for kind, value in markdown_strings(at):
        if "pixel" in value or "example" in value:
            assert not LIVE_MARKDOWN.search(value), (where, kind, value)


def shown_plainly(at: AppTest) -> str:
    """Everything a person reads on the page, escapes and word joiners removed."""
    parts = [t.value for t in at.text] + [plain(v) for _, v in markdown_strings(at)]
    parts += [e.proto.body for e in at.get("html")]
    return "\n".join(parts)


def test_people_text_stays_text_on_every_showcase_page(app_env: Path) -> None:
    """Test a prompt, a board name, a comment and a visitor's name full of Markdown (a picture, links, addresses,
    an icon, headings) on the Gallery and its "Add to board" dialog, Boards, a board, Present, Compare, a shared
    board with its Present and Compare, History (and its "removed" notice) and a task with its lineage: none of it
    reaches Markdown unescaped, and each is still shown."""
    new_app().run()
    first, second = takes(2, PROMPT)
    b = runtime.backend()
    child = b.store.record_attempt(VideoRequest(PROMPT + " (continued)"), parent_id=first)
    showcase = b.showcase
    board = showcase.board_named(BOARD)
    showcase.add(board.id, [first, second])
    showcase.comment(first, NAME, COMMENT, board_id=board.id)  # on the board's card: its link's holders see it
    token, _ = showcase.share(board.id)

    at = page("pages/gallery.py")
    people_text_is_inert(at, "gallery")
    assert PROMPT + " 0" in [t.value for t in at.text]
    at.checkbox(key=f"select_gallery_{first}").check().run()
    at.button(key="gallery_add_to_board").click().run()
    at.selectbox(key="board_name_choice").set_value(BOARD).run()
    people_text_is_inert(at, "add to board dialog")
    at.button(key="add_to_board_confirm").click().run()
    people_text_is_inert(at, "board notice")
    assert f"Open “{PICTURE} board" in shown_plainly(at)  # the name, shortened to fit a link

    at = page("pages/boards.py", at)
    people_text_is_inert(at, "boards")
    assert at.button(key=f"open_board_{board.id}").label == label(BOARD)
    at = page("pages/boards.py", at, board=str(board.id))
    at.toggle(key=f"board_feedback_on_{first}").set_value(True).run()  # its comments and their names
    people_text_is_inert(at, "board")
    assert BOARD.replace("&", "&amp;") in shown_plainly(at)
    assert COMMENT in [t.value for t in at.text] and NAME in shown_plainly(at)
    at = page("pages/present.py", at, board=str(board.id))
    people_text_is_inert(at, "present")
    at = page("pages/compare.py", at, ids=f"{first},{second}", board=str(board.id))
    people_text_is_inert(at, "compare")

    stranger = page("pages/shared.py", token=token)
    stranger.toggle(key=f"shared_feedback_on_{first}").set_value(True).run()
    people_text_is_inert(stranger, "shared board")
    stranger.text_input(key=f"shared_name_{first}").set_value(NAME)
    stranger.text_area(key=f"shared_comment_{first}").set_value(COMMENT)
    stranger.button(key=f"FormSubmitter:shared_comment_form_{first}-Post comment").click().run()
    people_text_is_inert(stranger, "shared board after a comment")
    assert len(showcase.comments(first)) == 2
    stranger = page("pages/shared.py", stranger, token=token, view="present")
    people_text_is_inert(stranger, "shared present")
    stranger = page("pages/shared.py", stranger, token=token, view="compare", ids=f"{first},{second}")
    people_text_is_inert(stranger, "shared compare")

    at = page("pages/history.py", at)
    people_text_is_inert(at, "history")
    at = page("pages/history.py", at, record=str(child))
    people_text_is_inert(at, "task with a parent")
    at = page("pages/history.py", at, task=b.store.get(first).task_id)
    people_text_is_inert(at, "task")
    assert PROMPT + " 0" in [t.value for t in at.text]
    at.button(key="confirm_remove").click().run()
    people_text_is_inert(at, "removed from history")
    assert "Removed “" in shown_plainly(at)
