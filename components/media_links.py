"""Links to stored files, served by the app's ``/files/`` route and signed for this page (see ``server/media.py``):
the only way a page shows or offers a stored video, poster, preview or upload."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import streamlit as st

from starvideos.services import Services


def media_url(services: Services, key: str, *, download_name: str | None = None) -> str:
    """An absolute link (``st.video`` and ``st.image`` take only absolute ones) on the host this browser used."""
    path = services.signer.media_path(key, ttl=services.settings.media_url_ttl)
    if download_name:
        path += "&d=" + quote(download_name, safe="")
    return origin() + path


def origin() -> str:
    """The scheme and host this browser used to reach the app."""
    url = st.context.url
    if url:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return "http://localhost"  # no browser (AppTest): the link is drawn but never fetched
