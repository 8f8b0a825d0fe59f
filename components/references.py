"""A task's reference pictures, shown as pictures the app serves, never as addresses.

An uploaded picture (or a take's last frame kept to continue from) lives in the app's storage: its thumbnail comes
from there. Any other reference is fetched by the server's safe fetcher and shown from those bytes, so a viewer's
browser never contacts the picture's host, and an address only the server can reach (the sandbox's, a private
host's) is never written on a page.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import streamlit as st

from starvideos.history import HistoryRecord
from starvideos.models import is_http_url
from starvideos.probe import ImageProbe

from .live import on_its_own_timer
from .runtime import Backend
from .uploads_ui import upload_finding

LOOK_AGAIN = 0.5  # seconds between looks while a picture is being fetched


def frame_names(count: int) -> list[str]:
    return ["Reference image"] if count == 1 else ["First frame", "Last frame"][:count]


def describe(backend: Backend, url: str, key: str | None, *, for_link_holder: bool = False) -> str:
    """The words for one reference where a picture cannot go (tables): an uploaded picture by its file name, a
    picture at a server-only address as such, a public address as it is (a teammate may want to copy it). Someone
    holding a share link is told only that there is one: an address a teammate typed may carry its own token, and
    a file name is the team's."""
    if for_link_holder:
        return "Reference picture"
    if key:
        upload = backend.uploads.get_by_key(key)
        return f"Uploaded picture “{upload.name}”" if upload is not None and upload.name else "Uploaded picture"
    if _server_only(backend, url):
        return "Picture served by this app"
    return url


def reference_pictures(backend: Backend, record: HistoryRecord, *, key: str) -> None:
    """The record's reference pictures side by side, each under its name (nothing for text to video)."""
    images = [str(u) for u in record.images]
    if not images:
        return
    keys = list(record.image_keys) + [None] * (len(images) - len(record.image_keys))

    def findings() -> list[ImageProbe | None]:
        return [_finding(backend, url, k) for url, k in zip(images, keys, strict=False)]

    # One reading per run: the full run's serves the fragment's first drawing; its own reruns read afresh.
    first = [findings()]
    waiting = any(f is None and is_http_url(u) for f, u in zip(first[0], images, strict=True))

    @st.fragment(run_every=LOOK_AGAIN if waiting else None)
    def pictures() -> None:
        found = first.pop() if first else findings()
        with st.container(key=f"references_{key}"):
            columns = st.columns(len(images))
            for column, name, url, finding in zip(columns, frame_names(len(images)), images, found, strict=True):
                with column:
                    st.caption(name)
                    _picture(url, finding)
        if on_its_own_timer() and waiting and all(f is not None or not is_http_url(u)
                                                  for f, u in zip(found, images, strict=True)):
            st.rerun()  # every picture is in: the page once more, without the timer

    pictures()


def _finding(backend: Backend, url: str, key: str | None) -> ImageProbe | None:
    if key:
        return upload_finding(backend, url, key)
    return backend.probes.get(url) if is_http_url(url) else None


def _picture(url: str, finding: ImageProbe | None) -> None:
    if finding is None:
        st.caption(":material/hourglass_top: Loading the picture…" if is_http_url(url)
                   else ":material/image_not_supported: Not a picture address")
    elif not finding.ok or finding.thumbnail is None:
        st.caption(":material/broken_image: This picture can no longer be fetched.")
    else:
        st.image(finding.thumbnail, width="stretch")


def _server_only(backend: Backend, url: str) -> bool:
    """True for an address a viewer's browser cannot (and must not) use: the sandbox's, or a loopback or private
    host written as an address."""
    if backend.sandbox is not None and url.startswith(backend.sandbox.base_url + "/"):
        return True
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global
