"""Team presets on Create: load one into the form, or save the form (and the builder's parts) as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from starvideos.errors import StarVideosError

from .form_state import fill_form
from .labels import MODE_BY_LABEL
from .prompt_builder import BUILDER_FIELDS
from .runtime import Backend, current_user
from .text import md_escape

if TYPE_CHECKING:  # the presets module brings SQLAlchemy, which Create's first paint never waits for (B4)
    from starvideos.presets import Preset


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


def _load_preset(preset: Preset | None) -> None:
    if preset is None:
        return
    form = preset.form
    ss = st.session_state
    ss.form_preset = preset.id  # takes made from here count for it (wins by preset)
    fill_form(mode=form.get("mode") or "text", prompt=form.get("prompt"),
              duration=form.get("duration") if type(form.get("duration")) is int else None, ratio=form.get("ratio"))
    for key in BUILDER_FIELDS:
        if isinstance(form.get(key), str):
            ss[f"builder_{key}"] = form[key]
