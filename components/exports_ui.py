"""History's Export: links to the server's export route, signed for the filters shown (see ``server/exports.py``).
A press is an ordinary download the browser manages; nothing is built on a rerun or kept in the session."""

from __future__ import annotations

import streamlit as st

from starvideos.history import HistoryFilter
from starvideos.services import Services

from .media_links import origin

EXPORT_LINK_TTL = 600.0


def export_panel(services: Services, filters: HistoryFilter) -> None:
    with st.popover("Export", icon=":material/download:"):
        st.caption("Exports the tasks matching the filters, with ISO 8601 times. The API key is never included.")
        query = services.signer.export_query(filters.to_params(), ttl=EXPORT_LINK_TTL)
        st.link_button("Download CSV", f"{origin()}/export/history.csv?{query}", icon=":material/table:")
        st.link_button("Download JSON", f"{origin()}/export/history.json?{query}", icon=":material/data_object:")
