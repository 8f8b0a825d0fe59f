"""Present a board (?board=<id>) or chosen takes (?ids=1,2,3), one take at a time, or a cut (?cut=<id>) as one
item."""

from __future__ import annotations

import streamlit as st

from components import registry, runtime
from components.cuts_ui import present_cut
from components.present import present
from components.router import ensure_router
from components.showcase_ui import viewer

ensure_router()

backend = runtime.backend()
showcase = backend.showcase
board_param = st.query_params.get("board")
ids_param = st.query_params.get("ids") or ""
cut_param = st.query_params.get("cut") or ""
rater = viewer()[0]
cut = backend.cuts.get(int(cut_param)) if cut_param.isdigit() else None
takes = []
if cut_param:
    back = ((registry.BOARDS.path, {"board": str(cut.board_id)}) if cut is not None and cut.board_id is not None
            else (registry.HISTORY.path, {"record": str(cut.chain_id)}) if cut is not None
            else (registry.BOARDS.path, {}))
elif (board_param or "").isdigit():
    takes = showcase.items(int(board_param), rater=rater)
    back = (registry.BOARDS.path, {"board": board_param})
else:
    takes = showcase.takes([int(i) for i in ids_param.split(",") if i.isdigit()], rater=rater)
    back = (registry.GALLERY.path, {})


def leave() -> None:
    st.session_state.present_leave = True


if st.session_state.pop("present_leave", False):
    st.switch_page(back[0], query_params=back[1])
if cut_param:
    present_cut(backend, cut, on_exit=leave)
else:
    present(backend, takes, on_exit=leave)
