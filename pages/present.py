"""Present a board (?board=<id>) or chosen takes (?ids=1,2,3), one take at a time."""

from __future__ import annotations

import streamlit as st

from components import registry, runtime
from components.present import present
from components.router import ensure_router
from components.showcase_ui import viewer

ensure_router()

backend = runtime.backend()
showcase = backend.showcase
board_param = st.query_params.get("board")
ids_param = st.query_params.get("ids") or ""
rater = viewer()[0]
if (board_param or "").isdigit():
    takes = showcase.items(int(board_param), rater=rater)
    back = (registry.BOARDS.path, {"board": board_param})
else:
    takes = showcase.takes([int(i) for i in ids_param.split(",") if i.isdigit()], rater=rater)
    back = (registry.GALLERY.path, {})


def leave() -> None:
    st.session_state.present_leave = True


if st.session_state.pop("present_leave", False):
    st.switch_page(back[0], query_params=back[1])
present(backend, takes, on_exit=leave)
