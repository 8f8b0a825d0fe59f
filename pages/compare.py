"""Compare two to four takes (?ids=1,2,3) side by side, in step. Opened from a board (&board=N), it goes back to
that board; from the Gallery, back to the Gallery with its search, filters, page and selection as they were."""

from __future__ import annotations

import streamlit as st

from components import address, registry, runtime
from components.compare import compare
from components.messages import stop_unless_database
from components.router import ensure_router
from components.showcase_ui import viewer
from components.text import label

ensure_router()

# The Gallery's own parameters ride along, so its back link restores them.
GALLERY_PARAMS = ("q", "ratio", "on", "stars", "by", "page")

backend = runtime.backend()
stop_unless_database(backend.database_problem())
# Without ``ids``, the Gallery's selection stands for them when its Compare button would have taken it (two to four,
# newest first): a live part's timer can ask for a run of the new page with the address the Gallery had a moment
# before (seen in Chromium: /compare?selected=4,3,2, and no players).
selected = address.query_ids("selected", limit=5)
ids = address.query_ids("ids", limit=4) or (sorted(selected, reverse=True) if 2 <= len(selected) <= 4 else [])
board = backend.showcase.board(board_id) if (board_id := address.query_id("board")) is not None else None
st.title("Compare")
if board is not None:
    st.page_link(registry.BOARDS.path, label=f"Back to “{label(board.name, 60)}”", icon=":material/arrow_back:",
                 query_params={"board": str(board.id)})
else:
    st.page_link(registry.GALLERY.path, label="Gallery", icon=":material/arrow_back:",
                 query_params={**address.params(GALLERY_PARAMS),  # its selection as it had it, else what is compared
                               **(address.params(["selected"]) if selected
                                  else {"selected": address.ids_value(ids)} if ids else {})})
compare(backend, backend.showcase.takes(ids, rater=viewer()[0]))
