"""The gate: the one page a visitor sees until they are let in, whichever of sign-in or the shared password is on.

The router declares it as every page of the navigation (so a deep link keeps its URL and lands where it pointed
once the visitor is in), with the navigation hidden: the gate renders nothing but itself.

With the shared password, the right password also earns the browser a session cookie (signed, HttpOnly,
SameSite=Lax; see ``starvideos.signing``): reloads, deep links and new tabs go straight in until it expires
(``STARVIDEOS_SESSION_HOURS``) or the person presses Sign out. Changing the password invalidates every cookie.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable

import streamlit as st

from starvideos.access import admit, password_matches
from starvideos.errors import StarVideosError, ThrottledError
from starvideos.settings import Settings
from starvideos.signing import SESSION_COOKIE

from . import identity, runtime
from .cookies import clear_session_cookie, set_cookie


def allowed(settings: object) -> bool:
    """True when this session may see the app."""
    if identity.signin_configured():
        return admit(st.user, settings).allowed  # type: ignore[arg-type]
    password = settings.app_password  # type: ignore[attr-defined]
    if not password or st.session_state.get("authenticated"):
        return True
    if not st.session_state.get("signed_out") and _session_cookie_valid(password):
        st.session_state.authenticated = True
        return True
    return False


def _session_cookie_valid(password: str) -> bool:
    token = st.context.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    try:
        return runtime.backend().signer.session_valid(token, password)
    except StarVideosError:  # the secret is kept in the database: while it is down, the password still works
        return False


def keep_signed_in() -> None:
    """After the right password: hand the browser its session cookie (drawn by the router once the app shows, on
    every run of this session, posted once)."""
    token = st.session_state.get("session_cookie")
    if token:
        set_cookie("session", token, key="session_cookie_setter")


def sign_out() -> None:
    """Sign out of the password: this tab now, and the browser's cookie with the gate's next run."""
    ss = st.session_state
    ss.authenticated = False
    ss.signed_out = True  # for the rest of this session: its cookies were read when it opened
    ss.signout_nonce = uuid.uuid4().hex
    ss.pop("session_cookie", None)


def gate_page(settings: object) -> Callable[[], None]:
    """The page to show instead of every page until ``allowed``."""
    if identity.signin_configured():
        return _signin_page if not st.user.get("is_logged_in") else lambda: _not_allowed_page(settings)
    return lambda: _password_page(settings)  # type: ignore[arg-type]


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


def _not_allowed_page(settings: object) -> None:
    st.title("StarVideos Studio")
    st.error("**Not allowed.**", icon=":material/block:")
    st.text(admit(st.user, settings).reason)  # type: ignore[arg-type] # it holds the address as sent: plain text
    st.button("Sign out", key="logout", on_click=st.logout, icon=":material/logout:")


def _providers() -> list[str]:
    """Named providers (``[auth.google]`` …); none when ``[auth]`` itself holds the provider's settings."""
    section = st.secrets.get("auth", {})
    return [name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")]


def _check_password(settings: Settings) -> None:
    ss = st.session_state
    typed = ss.get("password_input") or ""
    ss.password_input = ""  # never keep what was typed
    throttle = runtime.guess_throttle()
    address, session = identity.client_address(settings.trusted_proxies), identity.session_id()
    ss.password_failed = False
    try:
        throttle.check(address, session)
    except ThrottledError as exc:
        ss.password_wait = exc.message
        return
    ss.pop("password_wait", None)
    if not password_matches(typed, settings.app_password or ""):
        throttle.failed(address, session)
        ss.password_failed = True
        return
    throttle.succeeded(address, session)
    ss.authenticated = True
    ss.pop("signed_out", None)
    ss.pop("signout_nonce", None)
    # The secret is kept in the database: while it is down this tab is in, and the next one asks again.
    with contextlib.suppress(StarVideosError):
        ss.session_cookie = runtime.backend().signer.session_token(settings.app_password or "",
                                                                   hours=settings.session_hours)


def _password_page(settings: Settings) -> None:
    ss = st.session_state
    # One container: the page shown after the right password replaces it whole at once, so the field never
    # lingers while that page draws.
    with st.container(key="gate"):
        st.title("StarVideos Studio")
        st.text_input("Password", type="password", key="password_input", on_change=_check_password,
                      args=(settings,))
        if ss.get("password_wait"):
            st.warning(ss["password_wait"], icon=":material/hourglass_top:")
        elif ss.get("password_failed"):
            st.error("That password is not right.")
        if ss.get("signout_nonce"):
            clear_session_cookie(ss.signout_nonce, key="session_cookie_clearer")
