"""The shared sidebar: which API the app talks to, at a glance."""

from __future__ import annotations

import streamlit as st

from starvideos import Settings


def mode_sidebar(settings: Settings, *, sandbox_url: str | None) -> None:
    with st.sidebar:
        if sandbox_url is not None:
            st.success("**Sandbox — simulated tasks, no credits used**", icon=":material/science:")
            st.caption(f"Simulated API at {sandbox_url}. Set `STARVIDEOS_API_KEY` to go live.")
        elif settings.effective_mode == "live":
            st.info(f"**Live** · {settings.api_host}", icon=":material/cloud_done:")
            st.caption("Tasks created here are real and use credits.")
        else:
            st.warning("**Setup needed**: live mode without an API key.", icon=":material/key_off:")
        st.caption("API key: configured" if settings.api_key else "API key: not configured")
