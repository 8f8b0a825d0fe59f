"""The one way anything fills the Create form: Reuse settings, Try again, Continue from last frame, presets,
drafts and the sandbox's sample pictures all write the form's fields through ``fill_form``.

Call it from a button's callback, or before the form is drawn, so Streamlit takes the values as the widgets' own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from starvideos.models import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MAX_PROMPT_CHARS,
    MAX_URL_CHARS,
    MIN_DURATION,
    MODES,
    RATIOS,
)

from .labels import mode_label

IMAGE_FIELDS = {"text": (), "image": ("form_image_url",), "first_last": ("form_first_url", "form_last_url")}
"""The form's picture fields in each mode, in the order of a request's ``images``."""


def fill_form(*, mode: object = None, prompt: object = None, model: object = None, duration: object = None,
              ratio: object = None, pictures: Mapping[str, object] | None = None) -> None:
    """Write what is given (None leaves a field as it is), checked as the form checks it: a mode, ratio or text
    that does not fit is left out; a duration out of range becomes the default. ``pictures`` maps picture fields
    (``IMAGE_FIELDS``) to URLs."""
    ss = st.session_state
    if mode in MODES:
        ss.form_mode = mode_label(str(mode))
    if isinstance(prompt, str) and len(prompt) <= MAX_PROMPT_CHARS:
        ss.form_prompt = prompt
    if isinstance(model, str) and model:
        ss.form_model = model
    if duration is not None:
        ss.form_duration = duration if type(duration) is int and MIN_DURATION <= duration <= MAX_DURATION \
            else DEFAULT_DURATION
    if ratio in RATIOS:
        ss.form_ratio = ratio
    known = {field for fields in IMAGE_FIELDS.values() for field in fields}
    for field, url in (pictures or {}).items():
        if field in known and isinstance(url, str) and len(url) <= MAX_URL_CHARS:
            ss[field] = url


def pictures_of(mode: str, urls: Sequence[str]) -> dict[str, str]:
    """A request's ``images`` as the form's picture fields for its mode."""
    return dict(zip(IMAGE_FIELDS.get(mode, ()), urls, strict=False))
