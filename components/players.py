"""Playing and downloading a take from the app's own copy (the provider's link is only the fallback until the copy
exists), its saving state, and "Continue from last frame"."""

from __future__ import annotations

import streamlit as st

from starvideos.copies import FAILED, MediaRecord
from starvideos.errors import StarVideosError
from starvideos.history import HistoryRecord
from starvideos.models import is_http_url

from . import address, registry
from .form_state import fill_form
from .media_links import media_url
from .runtime import Backend, current_user
from .text import md_escape
from .uploads_ui import use_upload


def media_source(backend: Backend, key: str | None) -> str | None:
    """What st.video/st.image are given for a stored file: the app's own signed link to it (never a path, which
    Streamlit would read whole into the server's memory)."""
    return media_url(backend, key) if key else None


def video_source(backend: Backend, record: HistoryRecord, copy: MediaRecord | None, *,
                 for_link_holder: bool = False) -> str | None:
    """The stored copy when there is one; else the provider's link (an http(s) URL only), except the sandbox's:
    its loopback address is not a teammate's browser's, so that take waits the moment its copy takes. Someone holding
    a share link gets the stored copy only: the provider's address may carry the provider's own credentials."""
    if copy is not None and copy.saved:
        return media_source(backend, copy.video_key)
    if for_link_holder or not is_http_url(record.video_url):
        return None
    if backend.sandbox is not None and str(record.video_url).startswith(backend.sandbox.base_url + "/"):
        return None
    return record.video_url


def saving_state(backend: Backend, record: HistoryRecord, copy: MediaRecord | None, *,
                 key: str = "retry_saving") -> None:
    """"Saved", "Saving…" or "Could not save: <reason>" with "Retry saving"."""
    if copy is None:
        return
    if copy.saved:
        info = copy.video_info
        detail = f" · {info.width}×{info.height} · {info.codec.upper()}" if info else ""
        st.caption(f":material/cloud_done: Saved{detail}")
        if info and info.warning:
            st.warning(md_escape(info.warning), icon=":material/videocam_off:")
    elif copy.state == FAILED:
        st.warning(f"Could not save: {md_escape(copy.error or 'unknown reason')}", icon=":material/cloud_off:")
        st.button("Retry saving", key=key, icon=":material/cloud_sync:", on_click=_retry,
                  args=(backend, record.id))
    else:
        st.caption(":material/cloud_upload: Saving… a copy is being kept so this take still plays when the "
                   "provider's link expires.")


def _retry(backend: Backend, record_id: int) -> None:
    backend.media.retry(record_id)
    backend.copier.wake()


def downloads(backend: Backend, record: HistoryRecord, copy: MediaRecord | None) -> None:
    """The MP4, the poster and the animated preview, from the stored copy."""
    if copy is None or not copy.saved:
        if is_http_url(record.video_url):
            st.link_button("Download video", record.video_url, icon=":material/download:")
        return
    stem = (record.task_id or f"take-{record.id}").replace("/", "_")
    columns = st.columns(3)
    for column, key, label, name in (
            (columns[0], copy.video_key, "Video", f"{stem}.{(copy.video_key or '').rsplit('.', 1)[-1]}"),
            (columns[1], copy.poster_key, "Poster", f"{stem}-poster.jpg"),
            (columns[2], copy.preview_key, "Preview", f"{stem}-preview.webp")):
        if not key:
            continue
        with column:
            help_text = {"Video": "The take as a video file.", "Poster": "A still frame, for slides.",
                         "Preview": "A small looping animation, for slides and chat."}[label]
            st.link_button(label, media_url(backend, key, download_name=name), icon=":material/download:",
                           help=help_text)


def can_continue(backend: Backend, copy: MediaRecord | None) -> bool:
    """True when the take's last frame is stored and a new task could be given a link to it."""
    return copy is not None and copy.saved and bool(copy.last_frame_key) and backend.uploads_possible


def continue_button(backend: Backend, record: HistoryRecord, copy: MediaRecord | None, *,
                    key: str = "continue_last_frame") -> None:
    """Make the last frame the reference of a new shot, opening Create with it (from a page other than Create)."""
    if copy is None or not copy.saved or not copy.last_frame_key:
        return
    if not backend.uploads_possible:
        st.caption("Continue from last frame needs a bucket the API can fetch from (STARVIDEOS_STORAGE_URL).")
        return
    if st.button("Continue from last frame", key=key, icon=":material/arrow_forward:"):
        problem = continue_from(backend, record, copy)
        if problem:
            st.error(md_escape(problem))
            return
        address.switch_page_keeping_back(registry.CREATE.path)


def continue_from(backend: Backend, record: HistoryRecord, copy: MediaRecord) -> str | None:
    """Fill Create's form to continue ``record``: its prompt (to edit) and settings, its last frame as the image,
    and the link to it that the "Continues: …" note shows. Returns what went wrong, or None. Call before the form's
    widgets are drawn (a callback, or on another page)."""
    if not copy.last_frame_key:
        return "This take has no stored last frame yet."
    link = use_picture(backend, copy.last_frame_key, f"last frame of {record.task_id or record.id}.png",
                       "Continue from last frame")
    if not link.startswith(("http://", "https://")):
        return link
    ss = st.session_state
    fill_form(prompt=record.prompt, model=record.model, duration=record.duration, ratio=record.ratio)
    ss.form_parent = (record.id, link, record.prompt, record.finished_at or record.attempted_at)
    ss.pop("variants_on", None)  # one shot continues one shot
    return None


def use_picture(backend: Backend, key: str, name: str, action: str) -> str:
    """Make a stored picture Create's image (image to video): a copy among the uploads, a link the API can fetch,
    the form's mode and image field. Returns the link, or what went wrong (``action`` names what needed it)."""
    try:
        upload = backend.uploads.add(backend.storage.read_bytes(key), name=name, created_by=current_user())
        link = backend.upload_link(upload.storage_key)
    except StarVideosError as exc:
        return f"{exc.message} {exc.hint}"
    if link is None:
        return f"{action} needs a bucket the API can fetch from (STARVIDEOS_STORAGE_URL)."
    fill_form(mode="image")
    use_upload("form_image_url", link, upload)
    return link
