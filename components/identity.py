"""Who this browser session is: its random id, the signed-in person (with sign-in on), this browser as one visitor
(a signed cookie: one rater however often the page is reloaded), and its client address (for the password
throttle)."""

from __future__ import annotations

import uuid

import streamlit as st

from starvideos.access import client_address as resolve_client_address
from starvideos.signing import VISITOR_COOKIE, Signer

from .cookies import set_cookie


def session_id() -> str:
    """A random id for this browser session, for the "This session only" filter."""
    if "session_id" not in st.session_state:
        st.session_state.session_id = uuid.uuid4().hex
    return str(st.session_state.session_id)


@st.cache_resource(show_spinner=False)
def auth_configured() -> bool:
    """True when ``[auth]`` is set in secrets.toml: the app then requires sign-in (st.login). Read once."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:
        return False


def signin_configured() -> bool:
    return auth_configured()


def current_user() -> str | None:
    """The signed-in email, or None without sign-in."""
    if not signin_configured():
        return None
    user = st.user
    return str(user.get("email")).lower() if user.get("is_logged_in") and user.get("email") else None


def client_address(trusted_proxies: tuple[str, ...]) -> str:
    """The address of the person's browser: the connection's peer, or what a trusted proxy says it forwarded."""
    # Streamlit reports a loopback peer as None.
    peer = st.context.ip_address or "127.0.0.1"
    return resolve_client_address(peer, st.context.headers.get_all("X-Forwarded-For"), trusted_proxies)


def visitor(signer: Signer) -> str:
    """This browser's visitor id, from its signed cookie. A browser without one (or with a forged one) gets a new id
    now, and the cookie with it, so a reload or a new tab in this browser is the same visitor."""
    ss = st.session_state
    if "visitor_id" not in ss:
        known = signer.visitor_id(st.context.cookies.get(VISITOR_COOKIE))
        if known is not None:
            ss.visitor_id = known
        else:
            ss.visitor_token = signer.visitor_token()
            ss.visitor_id = signer.visitor_id(ss.visitor_token)
    return str(ss.visitor_id)


def post_visitor_cookie() -> None:
    """Once a page handed this session a new visitor id, ask the browser to keep it (the router calls this after
    the page, on every run; the browser posts it once)."""
    token = st.session_state.get("visitor_token")
    if token:
        set_cookie("visitor", token, key="visitor_cookie_setter")
