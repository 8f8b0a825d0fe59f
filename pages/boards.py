"""Boards: named, ordered collections of takes (anyone's). Each board can be presented, compared and shared."""

from __future__ import annotations

import streamlit as st

from components import registry, runtime
from components.boards_ui import board_view, boards_list
from components.messages import show_error
from components.router import ensure_router

ensure_router()

backend = runtime.backend()
problem = backend.database_problem()
if problem is not None:
    st.title("Boards")
    show_error(problem)
    st.stop()

board_param = st.query_params.get("board")
board = backend.showcase.board(int(board_param)) if (board_param or "").isdigit() else None
if board_param and board is None:
    st.title("Boards")
    st.warning("No such board (it may have been deleted).", icon=":material/search_off:")
    st.page_link(registry.BOARDS.path, label="All boards", icon=":material/arrow_back:")
elif board is None:
    boards_list(backend)
else:
    board_view(backend, board)
