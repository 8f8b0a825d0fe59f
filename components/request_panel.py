"""The exact request the app will send, as JSON and as a copyable cURL command."""

from __future__ import annotations

import json

import streamlit as st

from starvideos import VideoRequest
from starvideos.client import curl_command


def request_panel(request: VideoRequest, *, base_url: str, models: tuple[str, ...], valid: bool,
                  sender: str = "**Create video** will send") -> None:
    """The JSON body and cURL command of ``request``; ``sender`` names what sends it."""
    panel = st.expander("Request", icon=":material/data_object:", key="request_panel", on_change="rerun")
    if not panel.open:
        return  # the code blocks (and the highlighter the browser loads for them) only when asked for
    payload = request.to_payload(models, validate=False)
    with panel:
        if valid:
            st.caption(f"The exact JSON body {sender}.")
        else:
            st.caption("Draft: fix the problems before it can be sent.")
        st.code(json.dumps(payload, ensure_ascii=False, indent=2), language="json", wrap_lines=True)
        st.caption("The same call with cURL (the key stays in `$STARVIDEOS_API_KEY`):")
        st.code(curl_command(base_url, payload), language="bash", wrap_lines=True)
