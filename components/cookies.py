"""HttpOnly cookies from a page: the page makes a signed value and a tiny component hands it to the server's
``/auth/cookie`` route, whose answer sets the cookie (a script cannot set an HttpOnly cookie itself). The browser
then sends it with every later page load, where ``st.context.cookies`` reads it.

The component posts each value once per browser tab and reports nothing back: a report would rerun the page (and
close whatever popover the person just opened). It is drawn in the sidebar, where it moves nothing on the page.
"""

from __future__ import annotations

import json

import streamlit as st

# Static code, no user text: the value travels as data and is posted as JSON.
_JS = """
export default function(component) {
  const [path, body] = component.data;
  window.__starvideosPosted = window.__starvideosPosted || {};
  if (window.__starvideosPosted[body]) return;
  window.__starvideosPosted[body] = true;
  fetch(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body })
    .catch(() => { window.__starvideosPosted[body] = false; });
}
"""
_poster = st.components.v2.component("starvideos_cookie", js=_JS)


def set_cookie(kind: str, token: str, *, key: str) -> None:
    """Ask the server to set the ``kind`` cookie (``session`` or ``visitor``) to ``token``."""
    with st.sidebar:
        _poster(data=["/auth/cookie", json.dumps({"kind": kind, "token": token})], height=0, key=key)


def clear_session_cookie(nonce: str, *, key: str) -> None:
    """Ask the server to drop this browser's session cookie (Sign out); ``nonce`` makes each sign-out a new post."""
    _poster(data=["/auth/signout", json.dumps({"n": nonce})], height=0, key=key)
