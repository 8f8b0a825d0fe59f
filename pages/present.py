"""Present a board (?board=<id>) or chosen takes (?ids=1,2,3), one take at a time (with each take's notes a switch
away), or a cut (?cut=<id>) as one item; Exit goes back where it came from (the board, the Gallery with those takes
selected, or the cut's board or chain)."""

from __future__ import annotations

import streamlit as st

from components import address, registry, runtime
from components.cuts_ui import present_cut
from components.messages import stop_unless_database
from components.present import PresentNotes, present
from components.router import ensure_router
from components.showcase_ui import MAX_SELECTED, viewer

ensure_router()

backend = runtime.backend()
stop_unless_database(backend.database_problem())
showcase = backend.showcase
board_id = address.query_id("board")
rater = viewer()[0]
cut = backend.cuts.get(cut_id) if (cut_id := address.query_id("cut")) is not None else None
takes = []
if address.present("cut"):
    back = ((registry.BOARDS.path, {"board": str(cut.board_id)}) if cut is not None and cut.board_id is not None
            else (registry.HISTORY.path, {"record": str(cut.chain_id)}) if cut is not None
            else (registry.BOARDS.path, {}))
elif board_id is not None:
    takes = showcase.items(board_id, rater=rater)
    back = (registry.BOARDS.path, {"board": str(board_id)})
else:
    ids = address.query_ids("ids", limit=MAX_SELECTED)
    takes = showcase.takes(ids, rater=rater)
    back = (registry.GALLERY.path, {"selected": address.ids_value(ids)} if ids else {})


def leave() -> None:
    st.session_state.present_leave = True


if st.session_state.pop("present_leave", False):
    st.switch_page(back[0], query_params=back[1])
if address.present("cut"):
    present_cut(backend, cut, on_exit=leave)
else:
    present(backend, takes, on_exit=leave, notes=PresentNotes(board_id=board_id))
