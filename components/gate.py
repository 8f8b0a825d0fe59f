"""The gate: the one page a visitor sees until they are let in, whichever of sign-in or the shared password is on.

The router declares it as every page of the navigation (so a deep link keeps its URL and lands where it pointed
once the visitor is in), with the navigation hidden: the gate renders nothing but itself.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from starvideos.access import admit, password_matches
from starvideos.errors import ThrottledError

from . import runtime


def allowed(settings: object) -> bool:
    """True when this session may see the app."""
    if runtime.signin_configured():
        return admit(st.user, settings).allowed  # type: ignore[arg-type]
    password = settings.app_password  # type: ignore[attr-defined]
    return not password or bool(st.session_state.get("authenticated"))


def gate_page(settings: object) -> Callable[[], None]:
    """The page to show instead of every page until ``allowed``."""
    if runtime.signin_configured():
        return _signin_page if not st.user.get("is_logged_in") else _not_allowed_page
    return lambda: _password_page(settings.app_password)  # type: ignore[attr-defined]


def _signin_page() -> None:
    st.title("StarVideos Studio")
    st.write("Sign in to create and review videos.")
    providers = _providers()
    if len(providers) > 1:
        for name in providers:
            st.button(f"Sign in with {name.capitalize()}", key=f"login_{name}", on_click=st.login, args=(name,),
                      type="primary", icon=":material/login:")
    else:
        st.button("Sign in", key="login", on_click=st.login, args=tuple(providers), type="primary",
                  icon=":material/login:")


def _not_allowed_page() -> None:
    st.title("StarVideos Studio")
    st.error(f"**Not allowed.** {runtime.current_user() or 'This account'} may not use this app. Ask an admin "
             "to add your address to STARVIDEOS_ALLOWED_EMAILS, or sign in with another account.",
             icon=":material/block:")
    st.button("Sign out", key="logout", on_click=st.logout, icon=":material/logout:")


def _providers() -> list[str]:
    """Named providers (``[auth.google]`` …); none when ``[auth]`` itself holds the provider's settings."""
    section = st.secrets.get("auth", {})
    return [name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")]


def _check_password(expected: str) -> None:
    ss = st.session_state
    typed = ss.get("password_input") or ""
    ss.password_input = ""  # never keep what was typed
    throttle, key = runtime.guess_throttle(), runtime.session_id()
    ss.password_failed = False
    try:
        throttle.check(key)
    except ThrottledError as exc:
        ss.password_wait = exc.message
        return
    ss.pop("password_wait", None)
    if password_matches(typed, expected):
        throttle.succeeded(key)
        ss.authenticated = True
    else:
        throttle.failed(key)
        ss.password_failed = True


def _password_page(expected: str) -> None:
    st.title("StarVideos Studio")
    st.text_input("Password", type="password", key="password_input", on_change=_check_password, args=(expected,))
    ss = st.session_state
    if ss.get("password_wait"):
        st.warning(ss["password_wait"], icon=":material/hourglass_top:")
    elif ss.get("password_failed"):
        st.error("That password is not right.")
