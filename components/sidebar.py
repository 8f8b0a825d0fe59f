"""The shared sidebar: which API the app talks to, who is signed in, and where the history lives."""

from __future__ import annotations

import streamlit as st

from starvideos.settings import Settings

from . import runtime
from .gate import sign_out
from .text import md_escape


def app_sidebar(settings: Settings) -> None:
    with st.sidebar:
        if settings.effective_mode == "sandbox":
            st.success("**Sandbox — simulated tasks, no credits used**", icon=":material/science:")
            # Where the sandbox listens is the server's business (and a loopback address means nothing in a
            # teammate's browser); the log says it at start-up.
            about = "A simulated API built into this app. Set `STARVIDEOS_API_KEY` to go live."
        elif settings.effective_mode == "live":
            st.info(f"**Live** · {settings.api_host}", icon=":material/cloud_done:")
            about = "Tasks created here are real and use credits."
        else:
            st.warning("**Setup needed**: live mode without an API key.", icon=":material/key_off:")
            about = ""
        key_state = "API key: configured" if settings.api_key else "API key: not configured"
        st.caption(f"{about}\n\n{key_state}" if about else key_state)
        user = runtime.current_user()
        if user:
            st.caption(f"Signed in as {md_escape(user)}")
            st.button("Sign out", key="sidebar_logout", on_click=st.logout, icon=":material/logout:",
                      type="tertiary")
        elif settings.app_password:
            st.button("Sign out", key="sidebar_password_logout", on_click=sign_out, icon=":material/logout:",
                      type="tertiary", help="Asks for the password again, in this browser's every tab after a reload.")


def mode_badge(settings: Settings) -> None:
    """Sandbox or Live as a badge in the page itself: on a phone the sidebar, and its banner, are folded away."""
    if settings.effective_mode == "sandbox":
        st.badge("Sandbox · no credits used", icon=":material/science:", color="green")
    elif settings.effective_mode == "live":
        st.badge(f"Live · {md_escape(settings.api_host)}", icon=":material/cloud_done:", color="blue")
