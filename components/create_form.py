"""The Create form: inputs, the one-click-one-task submission, duplicate checks, and what a new task continues.
What each create became is followed below the form ("Created just now", ``created.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from starvideos.errors import DatabaseError
from starvideos.models import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MAX_PROMPT_CHARS,
    MIN_DURATION,
    RATIOS,
    VideoRequest,
    image_field_labels,
    url_problem,
)
from starvideos.variants import VariantGrid

from . import registry
from .created import follow
from .drafts import restore_pending_draft
from .form_state import fill_form, pictures_of
from .image_preview import reference_doubts
from .labels import MODE_BY_LABEL, MODE_NAMES
from .messages import show_error, show_problems
from .prompt_builder import prompt_builder
from .queueing import estimate_line, standing
from .runtime import Backend, current_user, session_id
from .text import md_escape, shorten
from .timing import ago, clock
from .uploads_ui import image_keys, recent_uploads, upload_picker
from .variants_ui import grid_controls, variants_toggle

if TYPE_CHECKING:
    from starvideos.history import HistoryRecord

DURATIONS = list(range(MIN_DURATION, MAX_DURATION + 1))
PROMPT_HINT = "Describe the subject, the action, the camera and the style."
PROMPT_COUNT_FROM = MAX_PROMPT_CHARS * 4 // 5
# Every form field, with its default; the draft keeper and "Reuse settings" use this list.
FORM_DEFAULTS: dict[str, object] = {
    "form_mode": MODE_NAMES["text"][0], "form_prompt": "", "form_duration": DEFAULT_DURATION, "form_ratio": RATIOS[0],
    "form_image_url": "", "form_first_url": "", "form_last_url": "",
}


DURATION_LABELS = {seconds: f"{seconds} seconds" for seconds in DURATIONS}
MODE_FIELDS = {"image": ("form_image_url",), "first_last": ("form_first_url", "form_last_url")}
IMAGE_FIELDS = frozenset(key for keys in MODE_FIELDS.values() for key in keys)


def _duration_label(seconds: object) -> str:
    return DURATION_LABELS.get(seconds) or f"{seconds} seconds"  # type: ignore[call-overload]


def render_inputs(backend: Backend, *, craft: bool = False) -> tuple[VideoRequest, VariantGrid | None]:
    """Draw the form; return the request it describes (only the visible mode's images) and, with Variants on, the
    grid asked for. ``craft`` adds the prompt builder under the prompt and the Variants switch."""
    settings = backend.settings
    ss = st.session_state
    # Defaults through Session State only, so reuse/restore never clash with them. The image fields get theirs only
    # once their mode is picked: every key in Session State is work for each field drawn on every rerun (B16).
    for key, value in FORM_DEFAULTS.items():
        if key not in IMAGE_FIELDS:
            ss.setdefault(key, value)
    restore_pending_draft()
    mode_label_value = st.radio("Mode", [label for label, _ in MODE_NAMES.values()], key="form_mode",
                                horizontal=True, persist_state="session")
    mode = MODE_BY_LABEL.get(mode_label_value or "", "text")
    continuation_note(mode)
    retake_note()
    prompt = st.text_area("Prompt", key="form_prompt", height=130, placeholder=PROMPT_HINT, help=PROMPT_HINT,
                          persist_state="session") or ""
    # The count only once it matters: the hint is the placeholder and the help, and every element drawn is work on
    # each rerun (B5, B16).
    if len(prompt) > PROMPT_COUNT_FROM:
        count_colour = "red" if len(prompt) > MAX_PROMPT_CHARS else "gray"
        st.caption(f":{count_colour}[{len(prompt):,} / {MAX_PROMPT_CHARS:,} characters]")
    grid: VariantGrid | None = None
    variants = False
    if craft:
        prompt_builder()
        variants = variants_toggle()

    # One wrapping row rather than columns: fewer blocks to build on every rerun (B5, B16).
    with st.container(horizontal=True, gap="small"):
        model = st.selectbox("Model", settings.models, key="form_model", persist_state="session", width=170)
        if variants:
            # The single values stay in Session State (persisted) for when Variants is switched off again.
            duration, ratio = ss.form_duration, ss.form_ratio
            grid = grid_controls(ratio, duration)
        else:
            # A selectbox, not a slider: it reuses the Model field's browser code, where a slider pulls ~200 KB of
            # number and date formatting into the first paint (B4).
            duration = st.selectbox("Duration (seconds)", DURATIONS, format_func=_duration_label,
                                    key="form_duration", persist_state="session", width=170)
            ratio = st.radio("Aspect ratio", RATIOS, key="form_ratio", horizontal=True, persist_state="session",
                             width="content")

    images: tuple[str, ...] = ()
    for key in MODE_FIELDS.get(mode, ()):
        ss.setdefault(key, "")
    if mode == "image":
        url_col, file_col = st.columns([3, 2], vertical_alignment="bottom")
        with url_col:
            images = (st.text_input("Image URL", key="form_image_url", placeholder="https://…/reference.png",
                                    persist_state="session") or "",)
        with file_col:
            upload_picker(backend, "form_image_url", "Or upload a picture")
        recent_uploads(backend, [("form_image_url", "Use")])
    elif mode == "first_last":
        first_col, last_col = st.columns(2)
        with first_col:
            first = st.text_input("First frame URL", key="form_first_url", placeholder="https://…/first.png",
                                  persist_state="session") or ""
            upload_picker(backend, "form_first_url", "Or upload the first frame")
        with last_col:
            last = st.text_input("Last frame URL", key="form_last_url", placeholder="https://…/last.png",
                                 persist_state="session") or ""
            upload_picker(backend, "form_last_url", "Or upload the last frame")
        recent_uploads(backend, [("form_first_url", "First"), ("form_last_url", "Last")])
        images = (first, last)
    for label, url in zip(image_field_labels(len(images)), images, strict=True):
        problem = url_problem(label, url) if url.strip() else None
        if problem:  # at once, before any click; the URL never reaches st.image
            st.caption(f":orange[{md_escape(problem)}]")
    if mode != "text" and backend.sandbox is not None:
        st.button("Use sample images", icon=":material/image:", on_click=_use_samples, args=(backend,),
                  type="tertiary")
    return VideoRequest(prompt, model or "", int(duration or DEFAULT_DURATION), ratio or "", images), grid


def _use_samples(backend: Backend) -> None:
    assert backend.sandbox is not None
    urls = backend.sandbox.sample_image_urls()
    fill_form(pictures={"form_image_url": urls["wide"], "form_first_url": urls["wide"],
                        "form_last_url": urls["wide-last"]})


def continuation(mode: str) -> tuple[int, str, str, float] | None:
    """The take the form continues (id, its last frame's link, its prompt, when it was made), while the form still
    uses that last frame; None otherwise."""
    parent = st.session_state.get("form_parent")
    if not parent or len(parent) < 4:
        return None
    images = {str(st.session_state.get(key) or "") for key in MODE_FIELDS.get(mode, ())}
    return parent if parent[1] in images else None


def continuation_note(mode: str) -> None:
    """"Continues: <the parent's prompt> · <when>" with "Remove": what the new task will be recorded as continuing."""
    parent = continuation(mode)
    if parent is None:
        return
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="continues_note"):
        # Plain text: the parent's prompt is someone's words, never Markdown or HTML.
        st.text(f"Continues: {shorten(parent[2], 90)} · {clock(parent[3])}", width="content")
        st.button("Remove", key="continues_remove", icon=":material/close:", type="tertiary",
                  on_click=_drop_parent, help="Create this as a shot of its own, not a continuation.")


def _drop_parent() -> None:
    st.session_state.pop("form_parent", None)


def retake_note() -> None:
    """"Retake of a note at 0:03.2: <its words>" with "Remove": the note the new take will answer (shown in its
    thread; approving the take resolves the note). Set by a note's "Retake from here"."""
    note = st.session_state.get("form_note")
    if not note:
        return
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="retake_note"):
        st.text(f"Retake of the note at {note[1]}: {shorten(note[2], 90)}", width="content")  # someone's words
        st.button("Remove", key="retake_note_remove", icon=":material/close:", type="tertiary",
                  on_click=st.session_state.pop, args=("form_note", None),
                  help="Create this as a take of its own, not an answer to the note.")


def reuse_settings(record: HistoryRecord, relink: Callable[[str], str | None] = lambda key: None) -> None:
    """Fill the form with a record's parameters ("Reuse settings"). Call from a button callback or before the form
    renders, so Streamlit takes the values as the widgets' own. ``relink`` signs a fresh link for a stored picture."""
    ss = st.session_state
    keys = list(record.image_keys) + [None] * len(record.images)
    # An uploaded picture gets a fresh link, never a dead one.
    urls = [(relink(key) if key else None) or str(url) for url, key in zip(record.images, keys, strict=False)]
    fill_form(mode=record.mode, prompt=record.prompt, model=record.model, duration=record.duration,
              ratio=record.ratio, pictures=pictures_of(record.mode, urls))
    for url, key in zip(urls, keys, strict=False):
        if key:
            ss.setdefault("upload_keys", {})[url] = key
    ss.pop("form_parent", None)  # reused settings are a shot of their own: no "Continues" note left from before
    ss.pop("form_note", None)
    ss.pop("form_preset", None)


def submit_area(backend: Backend, request: VideoRequest) -> None:
    """The Create button and everything that follows one click: checks, one POST at most. What it made is followed
    below the form."""
    ss = st.session_state
    line, refusal = estimate_line(backend, [request], standing(backend))
    clicked = st.button("Create video", type="primary", icon=":material/movie:", key="create_button",
                        disabled=refusal is not None)
    if line:
        st.caption(line)
    if refusal is not None:
        st.warning(md_escape(refusal), icon=":material/savings:")
    anyway = ss.pop("create_anyway_confirmed", None) == _fingerprint(request)
    clicked = ss.pop("create_again_confirmed", False) or anyway or clicked
    if clicked:
        ss.pop("create_refused", None)
        problems = request.problems(backend.settings.models)
        if problems:
            ss.pop("pending_duplicate", None)
            show_problems(problems)
            return
        doubts = reference_doubts(backend, request)
        if doubts and not anyway:
            _create_anyway(_fingerprint(request), doubts)
        else:
            _create(backend, request)
    _duplicate_prompt(backend)
    _refused(request)


def _create(backend: Backend, request: VideoRequest) -> None:
    ss = st.session_state
    try:
        duplicate = backend.store.recent_duplicate(request)
    except DatabaseError as exc:
        show_error(exc)  # the attempt could not be recorded either: refuse before anything is sent
        return
    # A double click, an Enter or a rerun mid-request lands here too: the first attempt is already stored, so the
    # second click asks instead of paying twice. Only an explicit confirmation for this very duplicate goes through.
    if duplicate is not None and ss.pop("confirmed_duplicate_of", None) != duplicate.id:
        ss.pending_duplicate = duplicate.id
        return
    ss.pop("pending_duplicate", None)
    keys = image_keys(tuple(request.images))
    parent = continuation(request.mode)
    note = ss.get("form_note")
    preset = ss.get("form_preset")
    extra = {"image_keys": keys if any(keys) else None, "parent_id": parent[0] if parent else None,
             "note_id": note[0] if note else None,
             # A preset deleted since it was loaded credits nothing (and never fails the create).
             "preset_id": preset if preset is not None and backend.presets.get(preset) is not None else None}
    # No st.* call between sending and storing: the queue commits the attempt, sends (or queues, when the team's
    # pace says wait) and commits the id as it arrives.
    submission = backend.queue.submit(request, session_id=session_id(), created_by=current_user(), **extra)
    if submission.record_id is None:
        ss.create_refused = (submission.error, request)  # nothing recorded, nothing sent: said under the button
    else:
        follow(submission.record_id, None if submission.queued else submission.error)
        if note:  # the retake joins the note's board, next to the take it answers
            ss.pop("form_note", None)
            backend.review.place_retake(submission.record_id, added_by=current_user())
    backend.poller.wake()


def _refused(request: VideoRequest) -> None:
    refused = st.session_state.get("create_refused")
    if not refused:
        return
    error, submitted = refused
    if submitted != request:  # the form changed since: that refusal was about another request
        st.session_state.pop("create_refused", None)
        return
    if error is not None:
        show_error(error)


def _fingerprint(request: VideoRequest) -> str:
    return repr(request.to_payload(validate=False))


@st.dialog("Create anyway?", icon=":material/warning:")
def _create_anyway(fingerprint: str, doubts: list[str]) -> None:
    st.write("The server could not confirm the reference picture, so the API will likely fail on it, and a task "
             "that fails may still be billed.")
    for doubt in doubts:
        st.warning(md_escape(doubt), icon=":material/broken_image:")
    yes, no = st.columns(2)
    with yes:
        # A callback, so the confirmation counts whether the dialog reruns alone (a browser) or with the page.
        st.button("Create anyway", type="primary", key="confirm_create_anyway", on_click=_confirm_anyway,
                  args=(fingerprint,))
    with no:
        if st.button("Cancel", key="cancel_create_anyway"):
            st.rerun()
    if st.session_state.get("create_anyway_confirmed") == fingerprint:
        st.rerun()  # close the dialog and run the page, which sends the confirmed request


def _confirm_anyway(fingerprint: str) -> None:
    st.session_state.create_anyway_confirmed = fingerprint


def _duplicate_prompt(backend: Backend) -> None:
    dup_id = st.session_state.get("pending_duplicate")
    record = backend.store.get(dup_id) if dup_id is not None else None
    if record is None:
        return
    with st.container(border=True):
        st.warning(f"You created this {ago(record.attempted_at)} — open it, or create again.",
                   icon=":material/content_copy:")
        open_col, again_col, _ = st.columns([1, 1, 2])
        with open_col:
            if record.task_id:
                st.page_link(registry.HISTORY.path, label="Open it", icon=":material/open_in_new:",
                             query_params={"task": record.task_id})
            else:
                st.page_link(registry.HISTORY.path, label="Open History", icon=":material/open_in_new:")
        with again_col:
            st.button("Create again", key="create_again", on_click=_confirm_again, args=(record.id,))


def _confirm_again(duplicate_id: int) -> None:
    st.session_state.confirmed_duplicate_of = duplicate_id
    st.session_state.create_again_confirmed = True
    st.session_state.pop("pending_duplicate", None)


