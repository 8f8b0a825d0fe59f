"""Compare two to four takes (?ids=1,2,3) side by side, in step."""

from __future__ import annotations

import streamlit as st

from components import registry, runtime
from components.compare import compare
from components.router import ensure_router
from components.showcase_ui import viewer

ensure_router()

backend = runtime.backend()
ids = [int(i) for i in (st.query_params.get("ids") or "").split(",") if i.isdigit()][:4]
st.title("Compare")
st.page_link(registry.GALLERY.path, label="Gallery", icon=":material/arrow_back:")
compare(backend, backend.showcase.takes(ids, rater=viewer()[0]))
