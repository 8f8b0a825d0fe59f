"""Reference pictures from a teammate's laptop: a file picker beside each image field, and "Recent uploads".

A picked file is checked and stripped by the core (``starvideos.images``), stored once, and its field then holds a
link the API can fetch (a bucket's signed link, or the sandbox's own). The field remembers which stored picture it
holds, so the task keeps the storage key and reusing it later signs a fresh link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from starvideos.errors import DatabaseError, StarVideosError, StorageError
from starvideos.images import MAX_UPLOAD_BYTES, thumbnail_from_bytes
from starvideos.probe import ImageProbe

from .runtime import Backend, current_user
from .text import md_escape

if TYPE_CHECKING:
    from starvideos.uploads import Upload

TYPES = ["png", "jpg", "jpeg", "webp"]


def upload_picker(backend: Backend, field: str, label: str) -> None:
    """The picker beside the URL field whose session key is ``field``."""
    if not backend.uploads_possible:
        st.file_uploader(label, type=TYPES, key=f"{field}_file", disabled=True,
                         help="Uploads need a bucket the API can fetch from.")
        st.caption("Uploads need a bucket: the API only fetches public links. Set `STARVIDEOS_STORAGE_URL` to "
                   "`s3://bucket/prefix` to pick files here.")
        return
    st.file_uploader(label, type=TYPES, key=f"{field}_file", max_upload_size=MAX_UPLOAD_BYTES // 2**20,
                     on_change=_store_upload, args=(backend, field), help="PNG, JPEG or WebP, up to 20 MB. GPS and "
                     "other metadata are removed before it is stored.")
    problem = st.session_state.get(f"{field}_upload_error")
    if problem:
        st.error(md_escape(problem), icon=":material/broken_image:")


def _store_upload(backend: Backend, field: str) -> None:
    ss = st.session_state
    picked = ss.get(f"{field}_file")
    ss.pop(f"{field}_upload_error", None)
    if picked is None:
        return
    try:
        upload = backend.uploads.add(picked.getvalue(), name=picked.name, created_by=current_user())
        link = backend.upload_link(upload.storage_key)
    except (StarVideosError, DatabaseError, StorageError) as exc:
        ss[f"{field}_upload_error"] = f"{exc.message} {exc.hint}"
        return
    if link is not None:
        use_upload(field, link, upload)


def use_upload(field: str, link: str, upload: Upload) -> None:
    """Put a stored picture's link in a field (from a callback, before the field is drawn)."""
    ss = st.session_state
    ss[field] = link
    ss.setdefault("upload_keys", {})[link] = upload.storage_key


def image_keys(images: tuple[str, ...]) -> list[str | None]:
    """The storage key behind each image link (None for a link typed by hand)."""
    known = st.session_state.get("upload_keys", {})
    return [known.get(url) for url in images]


def recent_uploads(backend: Backend, fields: list[tuple[str, str]]) -> None:
    """Earlier uploads to pick again; each pick signs a fresh link (an expired one is never reused)."""
    if not backend.uploads_possible:
        return
    with st.popover("Recent uploads", icon=":material/photo_library:"):
        try:
            recent = backend.uploads.recent(limit=8)
        except StarVideosError as exc:
            st.error(md_escape(exc.message))
            return
        if not recent:
            st.caption("No uploads yet. Pick a file beside an image field.")
            return
        columns = st.columns(4)
        for index, upload in enumerate(recent):
            with columns[index % 4]:
                thumb = upload_thumbnail(backend, upload.storage_key)
                if thumb:
                    st.image(thumb, width="stretch")
                st.caption(md_escape(upload.name or "picture"))
                for field, name in fields:
                    st.button(name, key=f"recent_{upload.id}_{field}", on_click=_pick_recent,
                              args=(backend, field, upload), type="tertiary")


def _pick_recent(backend: Backend, field: str, upload: Upload) -> None:
    link = backend.upload_link(upload.storage_key)
    if link is not None:
        backend.uploads.touch(upload.id)
        use_upload(field, link, upload)


def upload_thumbnail(backend: Backend, key: str) -> bytes | None:
    return _thumbnail(backend, key)


@st.cache_data(max_entries=256, show_spinner=False)
def _thumbnail(_backend: Backend, key: str) -> bytes | None:
    try:
        return thumbnail_from_bytes(_backend.storage.read_bytes(key))
    except (StarVideosError, OSError):
        return None


def upload_finding(backend: Backend, url: str, key: str) -> ImageProbe | None:
    """What the app knows of an uploaded picture, shaped like a probe finding (it is trusted: never re-fetched)."""
    upload = backend.uploads.get_by_key(key)
    if upload is None:
        return None
    return ImageProbe(url, ok=True, content_type=upload.content_type, size=upload.size, width=upload.width,
                      height=upload.height, thumbnail=upload_thumbnail(backend, key))
