"""HttpOnly cookies from a page: the page makes a signed value and a tiny component hands it to the server's
``/auth/cookie`` route, whose answer sets the cookie (a script cannot set an HttpOnly cookie itself). The browser
then sends it with every later page load, where ``st.context.cookies`` reads it."""

from __future__ import annotations

import json

import streamlit as st

# Static code, no user text: the value travels as data and is posted as JSON.
_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  const [path, body] = data;
  window.__starvideosPosted = window.__starvideosPosted || {};
  if (window.__starvideosPosted[body]) return;
  window.__starvideosPosted[body] = true;
  fetch(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body })
    .then((r) => setTriggerValue("done", r.ok))
    .catch(() => setTriggerValue("done", false));
}
"""
_poster = st.components.v2.component("starvideos_cookie", js=_JS)


def set_cookie(kind: str, token: str, *, key: str) -> bool | None:
    """Ask the server to set the ``kind`` cookie (``session`` or ``visitor``) to ``token``; True once it has."""
    result = _poster(data=["/auth/cookie", json.dumps({"kind": kind, "token": token})], height=0, key=key,
                     on_done_change=_noop)
    return getattr(result, "done", None)


def clear_session_cookie(nonce: str, *, key: str) -> bool | None:
    """Ask the server to drop this browser's session cookie (Sign out); ``nonce`` makes each sign-out a new post."""
    result = _poster(data=["/auth/signout", json.dumps({"n": nonce})], height=0, key=key, on_done_change=_noop)
    return getattr(result, "done", None)


def _noop() -> None:
    """The answer is read in the run itself."""
