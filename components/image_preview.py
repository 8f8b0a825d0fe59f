"""Reference image previews in a frame of the chosen aspect ratio, with the server's check of each image.

The preview is a thumbnail of the bytes the server fetched, served by the app itself: what you see is what the API
will get, teammates on other machines see it too (the sandbox's own address is not theirs), and viewers' browsers
never contact third-party image hosts. Checks run in the background: the page shows "Checking…" at once and fills
the finding in when it is ready, so a slow host never holds the page.
"""

from __future__ import annotations

import streamlit as st

from starvideos.models import VideoRequest, is_http_url
from starvideos.probe import ImageProbe, frames_advice, ratio_advice

from .live import on_its_own_timer
from .runtime import Backend
from .styles import inject_styles
from .text import md_escape
from .uploads_ui import image_keys, upload_finding

CHECK_EVERY = 0.5  # seconds between looks at a check that is still running


def reference_previews(backend: Backend, request: VideoRequest) -> dict[str, ImageProbe | None]:
    """The previews the request's mode calls for; returns each URL's finding so far (None while checking)."""
    if request.mode == "text":
        return {}
    inject_styles()
    urls = [str(u) for u in request.images]
    keys = dict(zip(urls, image_keys(tuple(urls)), strict=True))

    def finding(url: str) -> ImageProbe | None:
        key = keys.get(url)
        return upload_finding(backend, url, key) if key else backend.probes.get(url)

    findings = {u: finding(u) for u in urls if is_http_url(u)}
    checking = any(f is None for f in findings.values())

    @st.fragment(run_every=CHECK_EVERY if checking else None)
    def previews() -> None:
        current = {u: finding(u) for u in urls if is_http_url(u)}
        labels = ["Reference image"] if len(urls) == 1 else ["First frame", "Last frame"]
        columns = st.columns(len(urls)) if len(urls) > 1 else [st.container()]
        for column, label, url in zip(columns, labels, urls, strict=True):
            with column:
                _frame(label, url, current.get(url), request.ratio)
        if len(urls) == 2 and all(current.get(u) for u in urls):
            advice = frames_advice(current[urls[0]], current[urls[1]])  # type: ignore[arg-type]
            if advice:
                st.warning(md_escape(advice), icon=":material/compare:")
        if on_its_own_timer() and checking and all(f is not None for f in current.values()):
            st.rerun()  # every check is in: redraw the page once, without the timer (and with the findings)

    previews()
    return findings


def _frame(label: str, url: str, probe: ImageProbe | None, ratio: str) -> None:
    frame = "9x16" if ratio == "9:16" else "16x9"
    with st.container(border=True, key=f"frame_{frame}_{label.split()[0].lower()}"):
        st.markdown(f"**{label}**")
        if not is_http_url(url):
            # Anything but an http(s) URL is never handed to st.image: it would be read as a server file path.
            st.caption("Enter a valid image URL to see it here.")
            return
        if probe is None:
            st.caption(":material/hourglass_top: Checking…")
            return
        if not probe.ok or probe.thumbnail is None:
            with st.container(key=f"placeholder_{label.split()[0].lower()}"):
                st.warning(md_escape(probe.summary()), icon=":material/broken_image:")
            return
        st.image(probe.thumbnail, width="stretch")
        st.caption(f":material/check: {md_escape(probe.summary())}")
        advice = ratio_advice(probe, ratio)
        if advice:
            st.warning(md_escape(advice), icon=":material/aspect_ratio:")



def reference_doubts(backend: Backend, request: VideoRequest) -> list[str]:
    """Why each visible reference picture is known to be unusable (unreachable, not a picture), to ask "Create
    anyway?" before paying for a task that would likely fail. A check still running holds nothing up."""
    urls = [str(u) for u in request.images]
    keys = dict(zip(urls, image_keys(tuple(urls)), strict=True))
    labels = ["Image URL"] if len(urls) == 1 else ["First frame URL", "Last frame URL"]
    doubts = []
    for label, url in zip(labels, urls, strict=False):
        if keys.get(url):
            continue  # an upload was checked when it was stored
        probe = backend.probes.get(url)
        if probe is not None and not probe.ok:
            doubts.append(f"{label}: {probe.summary()}")
    return doubts
