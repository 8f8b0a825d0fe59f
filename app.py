"""StarVideos Studio: the router. Page config, settings, the optional password gate, navigation, sidebar."""

from __future__ import annotations

import hmac
from pathlib import Path

import streamlit as st

from components import runtime
from components.sidebar import mode_sidebar
from starvideos import SettingsError

# A local icon: a ":material/…" page icon makes every browser fetch the favicon from a Google font CDN.
ICON = Path(__file__).parent / "components" / "assets" / "favicon.png"
st.set_page_config(page_title="StarVideos Studio", page_icon=str(ICON), layout="wide")


def _check_password(expected: str) -> None:
    typed = st.session_state.get("password_input") or ""
    st.session_state.password_input = ""  # never keep what was typed
    st.session_state.authenticated = hmac.compare_digest(typed.encode(), expected.encode())
    st.session_state.password_failed = not st.session_state.authenticated


def password_gate(expected: str | None) -> None:
    """Render nothing else until the shared password is entered (when STARVIDEOS_APP_PASSWORD is set)."""
    if not expected or st.session_state.get("authenticated"):
        return
    st.title("StarVideos Studio")
    st.text_input("Password", type="password", key="password_input", on_change=_check_password, args=(expected,))
    if st.session_state.get("password_failed"):
        st.error("That password is not right.")
    st.stop()


try:
    settings = runtime.settings()
except SettingsError as exc:
    st.error(f"**Configuration problem.** {exc.message}\n\n{exc.hint}", icon=":material/settings:")
    st.stop()

password_gate(settings.app_password)
runtime.session_id()

if settings.effective_mode == "setup":
    pages = [st.Page("pages/setup.py", title="Set up", icon=":material/key:", default=True)]
    mode_sidebar(settings, sandbox_url=None)
else:
    backend = runtime.backend()
    pages = [
        st.Page("pages/create.py", title="Create", icon=":material/movie:", default=True),
        st.Page("pages/history.py", title="History", icon=":material/history:", url_path="history"),
    ]
    mode_sidebar(settings, sandbox_url=backend.sandbox.base_url if backend.sandbox else None)

st.navigation(pages).run()
