"""Boards: named, ordered collections of takes (anyone's). Each board can be presented, compared and shared.
The board that is open is in the address (?board=N), so a reload, Back or a pasted link lands on it."""

from __future__ import annotations

import streamlit as st

from components import address, runtime
from components.boards_ui import all_boards, board_view, boards_list
from components.messages import show_error
from components.router import ensure_router

ensure_router()

backend = runtime.backend()
problem = backend.database_problem()
if problem is not None:
    st.title("Boards")
    show_error(problem)
    st.stop()

board_id = address.query_id("board")
board = backend.showcase.board(board_id) if board_id is not None else None
if board is not None:
    board_view(backend, board)
elif address.present("board"):
    st.title("Boards")
    st.warning("No such board (it may have been deleted).", icon=":material/search_off:")
    st.button("All boards", key="missing_board_back", icon=":material/arrow_back:", on_click=all_boards)
else:
    boards_list(backend)
