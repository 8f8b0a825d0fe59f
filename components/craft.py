"""Craft on the Create page: the prompt builder, team presets, variants, and what a create will cost.

The builder draws its fields only when opened (like the Request panel), and Variants replaces the single duration,
ratio and "Create video" rather than adding to them, so the Create page stays quick to rerun (B16).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from starvideos.errors import StarVideosError
from starvideos.models import MAX_DURATION, MIN_DURATION, RATIOS, VideoRequest

from .labels import MODE_BY_LABEL, mode_label
from .queueing import Plan, queue_all
from .runtime import Backend, current_user
from .text import md_escape

BUILDER_FIELDS = {"subject": ("Subject", "a red fox"), "action": ("Action", "runs through fresh snow"),
                  "camera": ("Camera", "low tracking shot"), "style": ("Style", "golden hour, cinematic")}
MAX_TAKES = 8
DURATION_CHOICES = list(range(MIN_DURATION, MAX_DURATION + 1))
TAKE_CHOICES = list(range(1, MAX_TAKES + 1))
VARIANTS_HELP = "Several ratios, durations and takes of this prompt at once, queued together at the team's pace."


def compose(parts: Sequence[str]) -> str:
    """The builder's prompt: the filled-in parts, in order, as one sentence."""
    words = [" ".join(p.split()) for p in parts if p and p.strip()]
    if not words:
        return ""
    sentence = ", ".join(words)
    return sentence[0].upper() + sentence[1:] + ("" if sentence.endswith((".", "!", "?")) else ".")


def prompt_builder() -> None:
    """"Subject", "Action", "Camera", "Style" → the prompt (which stays editable)."""
    panel = st.expander("Prompt builder", icon=":material/construction:", key="builder_panel", on_change="rerun")
    if not panel.open:
        return
    with panel:
        # Stacked, with no row or columns around them: every block is work on each rerun (B16).
        for key, (label, example) in BUILDER_FIELDS.items():
            st.text_input(label, key=f"builder_{key}", placeholder=example, max_chars=300)
        st.button("Use as prompt", icon=":material/arrow_upward:", on_click=_use_built)


def _use_built() -> None:
    ss = st.session_state
    built = compose([str(ss.get(f"builder_{key}") or "") for key in BUILDER_FIELDS])
    if built:
        ss.form_prompt = built


def presets_bar(backend: Backend) -> None:
    """Load a team preset into the form, or save the form as one (drawn, and read from the database, only when
    opened)."""
    panel = st.expander("Presets", icon=":material/bookmarks:", key="presets_panel", on_change="rerun")
    if not panel.open:
        return
    with panel:
        _presets(backend)


def _presets(backend: Backend) -> None:
    try:
        presets = {p.id: p for p in backend.presets.all()}
    except StarVideosError as exc:
        st.caption(md_escape(exc.message))
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox("Preset", list(presets), format_func=lambda i: presets[i].name, index=None,
                              key="preset_choice", placeholder="Start from a team preset", width=260)
        st.button("Load", key="preset_load", disabled=chosen is None, on_click=_load_preset,
                  args=(presets.get(chosen) if chosen is not None else None,))
        with st.popover("Delete", icon=":material/delete:", disabled=chosen is None):
            st.write("Delete this preset for the whole team?")
            st.button("Yes, delete it", key="preset_delete", type="primary", on_click=_delete_preset,
                      args=(backend, chosen))
        _save_preset(backend)


def _delete_preset(backend: Backend, preset_id: int | None) -> None:
    if preset_id is None:
        return
    try:
        backend.presets.delete(preset_id)
    except StarVideosError as exc:
        st.toast(md_escape(exc.message), icon=":material/error:")
        return
    st.session_state.pop("preset_choice", None)


def _save_preset(backend: Backend) -> None:
    with st.popover("Save as preset", icon=":material/bookmark_add:"):
        name = st.text_input("Preset name", key="preset_name", placeholder="Product hero shot")
        if st.button("Save", key="preset_save", type="primary"):
            try:
                saved = backend.presets.save(name or "", _form_now(), created_by=current_user())
            except StarVideosError as exc:
                st.error(md_escape(exc.message))
            else:
                st.success(f"Saved “{md_escape(saved.name)}” for the whole team.", icon=":material/bookmark:")


def _form_now() -> dict[str, object]:
    ss = st.session_state
    form = {"mode": MODE_BY_LABEL.get(ss.get("form_mode") or "", "text"), "prompt": ss.get("form_prompt") or "",
            "model": ss.get("form_model"), "duration": ss.get("form_duration"), "ratio": ss.get("form_ratio")}
    form.update({key: ss.get(f"builder_{key}") or "" for key in BUILDER_FIELDS})
    return form


def _load_preset(preset: object) -> None:
    if preset is None:
        return
    form = preset.form  # type: ignore[attr-defined]
    ss = st.session_state
    ss.form_preset = preset.id  # type: ignore[attr-defined]  # takes made from here count for it (wins by preset)
    ss.form_mode = mode_label(str(form.get("mode") or "text"))
    if isinstance(form.get("prompt"), str):
        ss.form_prompt = form["prompt"]
    if form.get("ratio") in RATIOS:
        ss.form_ratio = form["ratio"]
    if isinstance(form.get("duration"), int) and MIN_DURATION <= form["duration"] <= MAX_DURATION:
        ss.form_duration = form["duration"]
    for key in BUILDER_FIELDS:
        if isinstance(form.get(key), str):
            ss[f"builder_{key}"] = form[key]


@dataclass(frozen=True)
class VariantGrid:
    """What the Variants controls ask for: every ratio × every duration × ``takes``."""

    ratios: tuple[str, ...]
    durations: tuple[int, ...]
    takes: int

    def requests(self, request: VideoRequest) -> list[VideoRequest]:
        """The grid for ``request``'s prompt, model and pictures, one request per task."""
        return [VideoRequest(request.prompt, request.model, d, r, tuple(request.images))
                for r in self.ratios for d in sorted(self.durations) for _ in range(self.takes)]


def first_of_grid(request: VideoRequest, grid: VariantGrid | None) -> VideoRequest:
    """The request the Request panel shows: the form's own, or with Variants on the grid's first task."""
    requests = grid.requests(request)[:1] if grid is not None else []
    return requests[0] if requests else request


def variants_toggle() -> bool:
    """"Variants" on turns the form's single duration and ratio into a grid, and "Create video" into "Queue all"."""
    return st.toggle("Variants", key="variants_on", help=VARIANTS_HELP)


def grid_controls(ratio: str, duration: int) -> VariantGrid:
    """Drawn in place of the single Duration and Aspect ratio: one set of controls for what gets made, never two."""
    # Keyless: the grid starts from the form's ratio and duration, and a keyed widget's value would be presented
    # again for every text field and select box on each rerun (B16).
    ratios = st.pills("Ratios", RATIOS, selection_mode="multi", default=[ratio] if ratio in RATIOS else [])
    durations = st.pills("Durations (seconds)", DURATION_CHOICES, selection_mode="multi",
                         default=[duration] if duration in DURATION_CHOICES else [])
    takes = st.segmented_control("Takes", TAKE_CHOICES, default=1, help=f"Takes of each setting (at most {MAX_TAKES}).")
    return VariantGrid(tuple(ratios), tuple(durations), int(takes or 1))


def queue_variants_area(backend: Backend, request: VideoRequest, grid: VariantGrid) -> None:
    """The grid's count and cost against what is left, then "Queue all" (in place of "Create video"): one batch
    however often it is pressed."""
    queue_all(backend, Plan("variants", grid.requests(request), "variants", "Queue all",
                            problems=request.problems(backend.settings.models)))
