"""Reference image previews in a frame of the chosen aspect ratio, with a server-side check of each URL."""

from __future__ import annotations

import streamlit as st

from starvideos import VideoRequest
from starvideos.models import is_http_url
from starvideos.probe import ImageProbe, frames_advice, probe_image, ratio_advice

from .styles import inject_styles
from .text import md_escape


@st.cache_data(ttl=300, max_entries=512, show_spinner=False)
def checked(url: str, allow: frozenset[tuple[str, int]]) -> ImageProbe:
    """The probe result, cached for five minutes so reruns never refetch an image."""
    return probe_image(url, allow=allow)


def image_preview(label: str, url: str, ratio: str, allow: frozenset[tuple[str, int]]) -> ImageProbe | None:
    """Preview one URL if it is a valid http(s) URL; returns its probe, or None when there is nothing to show."""
    frame = "9x16" if ratio == "9:16" else "16x9"
    with st.container(border=True, key=f"frame_{frame}_{label.split()[0].lower()}"):
        st.markdown(f"**{label}**")
        if not is_http_url(url):
            # Anything but an http(s) URL is never handed to st.image: it would be read as a server file path.
            st.caption("Enter a valid image URL to see it here.")
            return None
        st.image(url, width="stretch")
        probe = checked(url, allow)
        if probe.ok:
            st.caption(f":material/check: {md_escape(probe.summary())}")
        else:
            st.warning(md_escape(probe.summary()), icon=":material/warning:")
        advice = ratio_advice(probe, ratio)
        if advice:
            st.warning(md_escape(advice), icon=":material/aspect_ratio:")
        return probe


def reference_previews(request: VideoRequest, allow: frozenset[tuple[str, int]]) -> None:
    """The previews the request's mode calls for; the frame CSS is sent once, and only when there are previews."""
    if request.mode == "text":
        return
    inject_styles()
    if request.mode == "image":
        image_preview("Reference image", request.images[0], request.ratio, allow)
    else:
        frame_pair_preview(request.images[0], request.images[1], request.ratio, allow)


def frame_pair_preview(first_url: str, last_url: str, ratio: str, allow: frozenset[tuple[str, int]]) -> None:
    """First and last frame side by side, with a warning when their sizes differ."""
    left, right = st.columns(2)
    with left:
        first = image_preview("First frame", first_url, ratio, allow)
    with right:
        last = image_preview("Last frame", last_url, ratio, allow)
    if first and last:
        advice = frames_advice(first, last)
        if advice:
            st.warning(md_escape(advice), icon=":material/compare:")
