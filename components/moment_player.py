"""A video player that knows its moment: a components-v2 component (inline code, no CDN) with the browser's own
player, markers on a timeline under it, and buttons that carry the current time as they are pressed ("Note at
0:03.2"; another page may ask for "Set in" / "Set out"). The button's label follows the playhead in the browser, so
playing reruns nothing; pressing one pauses the video and sends ``(action, seconds)`` to Python once.

Python can move the playhead: ``seek_to`` asks every player showing that take to jump there (the board card's, an
open notes panel's, Present's stage: one press moves them all; each request is numbered, so asking for the same moment
twice seeks twice). Only numbers, the video's address and the buttons' fixed labels
reach the component's code: no text a person typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

# Trusted, static code. ``data``: {src, markers: [seconds], actions: [[id, label]], seek: {to, n}, stage: bool,
# reveal: bool (just opened by a person: scroll it, buttons and all, into view)}.
_PLAYER_JS = """
const timecode = (s) => {
  const tenths = Math.floor(Math.max(0, s) * 10 + 1e-6);
  const m = Math.floor(tenths / 600), sec = Math.floor(tenths / 10) % 60;
  return m + ":" + String(sec).padStart(2, "0") + "." + (tenths % 10);
};
export default function(component) {
  const { parentElement: root, data, setTriggerValue } = component;
  let box = root.querySelector(".sv-moment");
  if (!box) {
    box = document.createElement("div");
    box.className = "sv-moment";
    box.innerHTML = '<video class="sv-video" controls playsinline muted preload="metadata"></video>' +
      '<div class="sv-line" aria-label="Notes on the timeline"></div><div class="sv-row">' +
      '<span class="sv-now">0:00.0</span><span class="sv-actions"></span></div>';
    root.appendChild(box);
    box.seekN = 0;
  }
  box.classList.toggle("sv-stage", !!data.stage);
  box.classList.toggle("sv-bare", !!data.bare);
  const video = box.querySelector(".sv-video");
  // Present's stage plays at once and loops: a new element per take, so a take shown again starts again.
  if (data.stage && !video.autoplay) { video.muted = true; video.loop = true; video.autoplay = true; }
  const line = box.querySelector(".sv-line");
  const now = box.querySelector(".sv-now");
  const actions = box.querySelector(".sv-actions");
  if (data.src && video.getAttribute("src") !== data.src) video.setAttribute("src", data.src);
  const wanted = JSON.stringify(data.actions || []);
  if (actions.dataset.wanted !== wanted) {
    actions.dataset.wanted = wanted;
    actions.replaceChildren(...(data.actions || []).map(([id, label]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sv-action";
      button.dataset.action = id;
      button.dataset.label = label;
      button.onclick = () => {
        video.pause();
        const at = Math.round(video.currentTime * 1000) / 1000;
        setTriggerValue("action", { action: id, at: at });
      };
      return button;
    }));
  }
  const draw = () => {
    const t = video.currentTime || 0;
    now.textContent = timecode(t) + (video.duration ? " / " + timecode(video.duration) : "");
    actions.querySelectorAll(".sv-action").forEach((b) => { b.textContent = b.dataset.label + " " + timecode(t); });
  };
  const place = () => {
    const length = video.duration || 0;
    line.replaceChildren(...(length ? (data.markers || []) : []).map((at) => {
      const mark = document.createElement("button");
      mark.type = "button";
      mark.className = "sv-mark";
      mark.title = timecode(at);
      mark.setAttribute("aria-label", "Go to the note at " + timecode(at));
      mark.style.left = Math.min(100, (at / length) * 100) + "%";
      mark.onclick = () => { video.pause(); video.currentTime = at; };
      return mark;
    }));
  };
  video.ontimeupdate = draw;
  video.onseeked = draw;
  // Its height is known only once the video's size is: scroll then too.
  const reveal = () => { if (box.reveal) box.scrollIntoView({ block: "nearest" }); };
  if (data.reveal && !box.revealed) { box.revealed = true; box.reveal = true; }
  video.onloadedmetadata = () => { draw(); place(); seek(); reveal(); box.reveal = false; };
  const seek = () => {
    const ask = data.seek;
    if (!ask || ask.n <= box.seekN || !(video.readyState >= 1)) return;
    box.seekN = ask.n;
    video.pause();
    video.currentTime = ask.to;
    draw();
  };
  draw();
  place();
  seek();
  reveal();
}
"""
_PLAYER_CSS = """
.sv-moment { display: flex; flex-direction: column; gap: 0.35rem; scroll-margin: 1rem 0; }
.sv-video { width: 100%; max-height: 60vh; background: #000; border-radius: 0.5rem; }
.sv-stage .sv-video { max-height: calc(100vh - 16rem); object-fit: contain; }
.sv-stage.sv-bare .sv-video { max-height: calc(100vh - 11rem); }
.sv-bare .sv-line, .sv-bare .sv-row { display: none; }
.sv-line { position: relative; height: 0.9rem; margin: 0 0.5rem; border-radius: 0.45rem;
  background: color-mix(in srgb, var(--st-text-color) 12%, transparent); }
.sv-mark { position: absolute; top: 0.1rem; width: 0.7rem; height: 0.7rem; margin-left: -0.35rem; padding: 0;
  border: 2px solid var(--st-background-color); border-radius: 50%; background: var(--st-primary-color);
  cursor: pointer; }
.sv-row { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
.sv-now { font-variant-numeric: tabular-nums; color: var(--st-text-color); min-width: 7rem; }
.sv-actions { display: flex; gap: 0.5rem; }
.sv-action { background: var(--st-primary-color); color: white; border: none; border-radius: 0.5rem;
  padding: 0.4rem 0.9rem; cursor: pointer; font: inherit; font-variant-numeric: tabular-nums; }
"""
_player = st.components.v2.component("starvideos_moment_player", js=_PLAYER_JS, css=_PLAYER_CSS)

NOTE_AT = {"pin": "Note at"}


@dataclass(frozen=True)
class MomentAction:
    """A button pressed on the player: which one, at how many seconds into the video."""

    action: str
    at: float


def moment_player(src: str, *, key: str, take: int, markers: Sequence[float] = (),
                  actions: Mapping[str, str] = NOTE_AT, on_action: Callable[..., None] | None = None,
                  args: tuple[Any, ...] = (), stage: bool = False, reveal: bool = False) -> None:
    """Draw the player of the take (record id) ``take``. ``on_action(*args)`` runs (before the page is drawn
    again) when one of ``actions``' buttons is pressed; it reads what was pressed with ``pressed(key)``.
    ``stage``: Present's stage: as tall as it allows, playing at once (muted) and looping; with no markers and no
    buttons, the video alone. ``reveal``: a person has just opened it: it scrolls into view, its buttons too."""
    seek = st.session_state.get(_seek_key(take))
    _player(key=key, data={"src": src, "markers": [round(float(m), 3) for m in markers],
                           "actions": [[name, label] for name, label in actions.items()], "seek": seek,
                           "stage": stage, "bare": stage and not markers and not actions, "reveal": reveal},
            on_action_change=(lambda: on_action(*args)) if on_action else (lambda: None))


def pressed(key: str) -> MomentAction | None:
    """The button pressed on the player ``key`` in this run (in ``on_action``, or in the run it caused)."""
    state = st.session_state.get(key)
    value = state.get("action") if isinstance(state, Mapping) else getattr(state, "action", None)
    if not isinstance(value, Mapping):
        return None
    at = value.get("at")
    if not isinstance(at, (int, float)) or at != at or at < 0:
        return None
    return MomentAction(str(value.get("action") or ""), float(at))


def seek_to(take: int, seconds: float) -> None:
    """Ask every player of the take ``take`` to jump to ``seconds`` on its next draw (call in a callback, before
    they are drawn). Keyed by the take, not by a player: whichever parts of the page show it, all of them move."""
    previous = st.session_state.get(_seek_key(take)) or {"n": 0}
    st.session_state[_seek_key(take)] = {"to": round(float(seconds), 3), "n": int(previous["n"]) + 1}


def _seek_key(take: int) -> str:
    return f"moment_seek_{take}"
