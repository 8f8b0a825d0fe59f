"""Compare: two to four takes side by side, in step. One play/pause/seek bar drives every player (a small
components-v2 component: inline code, no CDN), and the settings that differ are highlighted under the players."""

from __future__ import annotations

import streamlit as st

from starvideos.changes import prompt_changed, take_cost, time_taken
from starvideos.history import HistoryRecord
from starvideos.pricing import money
from starvideos.showcase import ShareLink, Take

from .changes_ui import what_changed
from .labels import mode_label
from .notes_ui import note_byline
from .players import video_source
from .references import describe, reference_pictures
from .runtime import Backend
from .showcase_ui import board_scope, stars_text
from .styles import compare_styles

# Trusted, static code: it reads the players on the page and drives them together; no user text ever reaches it.
# ``data``: {seek: {to, n}}, a note's moment asked for from Python (numbers only).
_SYNC_JS = """
export default function(component) {
  const { parentElement, data } = component;
  const root = parentElement;
  if (!root.querySelector(".sv-sync")) {
    const bar = document.createElement("div");
    bar.className = "sv-sync";
    bar.innerHTML = '<button type="button" class="sv-play" aria-label="Play all">Play all</button>' +
      '<input class="sv-seek" type="range" min="0" max="1000" value="0" step="1" aria-label="Seek all">' +
      '<span class="sv-time">0.0 s</span>';
    root.appendChild(bar);
  }
  const play = root.querySelector(".sv-play");
  const seek = root.querySelector(".sv-seek");
  const time = root.querySelector(".sv-time");
  const players = () => Array.from(document.querySelectorAll(".st-key-compare_players video"));
  const longest = () => Math.max(0.001, ...players().map((v) => v.duration || 0));
  let following = false;
  const all = (action) => { following = true; try { players().forEach(action); } finally { following = false; } };
  const seekAll = (t) => all((v) => { v.currentTime = Math.min(t, v.duration || t); });
  play.onclick = () => {
    const vs = players();
    const start = vs.length && vs.every((v) => v.paused);
    const t = vs.length ? vs[0].currentTime : 0;
    seekAll(t);
    all((v) => { v.muted = true; if (start) { v.play(); } else { v.pause(); } });
  };
  seek.oninput = () => seekAll((seek.value / 1000) * longest());
  const ask = data && data.seek;
  if (ask && ask.n > (root.seekN || 0) && players().length) {
    root.seekN = ask.n;
    seekAll(ask.to);
  }
  const wired = new WeakSet();
  const wire = () => players().forEach((v) => {
    if (wired.has(v)) return;
    wired.add(v);
    v.addEventListener("play", () => {
      if (!following) all((o) => { if (o !== v) { o.currentTime = v.currentTime; o.play(); } });
    });
    v.addEventListener("pause", () => { if (!following) all((o) => { if (o !== v) o.pause(); }); });
    v.addEventListener("seeked", () => {
      if (following) return;
      all((o) => { if (o !== v && Math.abs(o.currentTime - v.currentTime) > 0.05) o.currentTime = v.currentTime; });
    });
  });
  let frame = 0;
  const tick = () => {
    wire();
    const vs = players();
    if (vs.length) {
      const lead = vs[0];
      vs.slice(1).forEach((v) => {
        if (!v.paused && !lead.paused && Math.abs(v.currentTime - lead.currentTime) > 0.2) {
          following = true; v.currentTime = lead.currentTime; following = false;
        }
      });
      if (document.activeElement !== seek) seek.value = Math.round((lead.currentTime / longest()) * 1000);
      time.textContent = lead.currentTime.toFixed(1) + " s";
      play.textContent = vs.every((v) => v.paused) ? "Play all" : "Pause all";
    }
    frame = requestAnimationFrame(tick);
  };
  frame = requestAnimationFrame(tick);
  return () => cancelAnimationFrame(frame);
}
"""
_SYNC_CSS = """
.sv-sync { display: flex; gap: 0.75rem; align-items: center; padding: 0.25rem 0; }
.sv-play { background: var(--st-primary-color); color: white; border: none; border-radius: 0.5rem;
  padding: 0.4rem 0.9rem; cursor: pointer; min-width: 6.5rem; font: inherit; }
.sv-seek { flex: 1; accent-color: var(--st-primary-color); }
.sv-time { font-variant-numeric: tabular-nums; min-width: 4rem; text-align: right; color: var(--st-text-color); }
"""
_MOMENT = "compare_moment"
_sync_bar = st.components.v2.component("starvideos_compare_sync", js=_SYNC_JS, css=_SYNC_CSS)


def compare(backend: Backend, takes: list[Take], *, link: ShareLink | None = None) -> None:
    """Players side by side, one bar driving them all, and what differs between them. Seen through a share
    ``link``: without who made them (the team's e-mail addresses stay with the team), and only the notes pinned on
    the link's board."""
    for_link_holder = link is not None
    compare_styles()
    if not 2 <= len(takes) <= 4:
        st.info("Select two to four takes to compare.", icon=":material/compare:")
        return
    with st.container(key="compare_players"):
        columns = st.columns(len(takes))
        for column, take in zip(columns, takes, strict=True):
            with column:
                source = video_source(backend, take.record, take.copy, for_link_holder=for_link_holder)
                if source is None:
                    st.info("No video yet.", icon=":material/videocam_off:")
                else:
                    st.video(source, muted=True)
                st.caption(f"Take {takes.index(take) + 1} · {stars_text(take.rating)}")
                _notes(backend, take, link=link)
    _sync_bar(key="compare_sync", height=48, data={"seek": st.session_state.get(_MOMENT)})
    if any(take.record.images for take in takes):
        columns = st.columns(len(takes))
        for column, take in zip(columns, takes, strict=True):
            with column:
                reference_pictures(backend, take.record, key=f"compare_{take.record.id}")
    differences(backend, takes, people=not for_link_holder)


def _notes(backend: Backend, take: Take, *, link: ShareLink | None) -> None:
    """The take's notes by time (through a share link: its board's only), folded under its player; a note's time
    moves every player there (they are in step), so the room sees that moment in each take."""
    found = backend.review.notes(take.record.id, board_id=board_scope(link))
    if not found:
        return
    with st.expander(f"Notes at a moment ({len(found)})", icon=":material/sticky_note_2:"), \
            st.container(key=f"compare_notes_{take.record.id}"):
        for note in found:
            st.button(note.timecode, key=f"compare_seek_{note.id}", icon=":material/play_arrow:", type="tertiary",
                      help="Show this moment in every player", on_click=_seek, args=(note.at,))
            st.caption(note_byline(note, for_link_holder=link is not None))
            st.text(note.body)  # plain text: never Markdown or HTML


def _seek(seconds: float) -> None:
    """Ask the bar to move every player to ``seconds``; counted, so asking for the same moment again seeks again."""
    previous = st.session_state.get(_MOMENT) or {"n": 0}
    st.session_state[_MOMENT] = {"to": round(float(seconds), 3), "n": int(previous["n"]) + 1}


def differences(backend: Backend, takes: list[Take], *, people: bool = True) -> None:
    """Each take's settings in a column; the rows where they differ are highlighted. ``people`` (the team, not a
    link holder): with who created each take, what it cost and how long it took."""
    import pandas as pd

    def settings(take: Take) -> dict[str, str]:
        record = take.record
        info = take.copy.video_info if take.copy is not None and take.copy.saved else None
        return {"Prompt": record.prompt, "Mode": mode_label(record.mode), "Model": record.model,
                "Duration": f"{record.duration} s", "Aspect ratio": record.ratio,
                "Reference images": "\n".join(describe(backend, str(u), k, for_link_holder=not people) for u, k in zip(
                    record.images, list(record.image_keys) + [None] * len(record.images), strict=False)) or "—",
                **({"Created by": record.created_by or "—"} if people else {}),
                "Video": f"{info.width}×{info.height} {info.codec.upper()}" if info else "—",
                **(spend(record) if people else {}),
                "Rating": stars_text(take.rating)}

    def spend(record: HistoryRecord) -> dict[str, str]:
        price = backend.settings.price_per_second
        return {**({"Cost": money(take_cost(record, price), backend.settings.currency)} if price is not None
                   else {}), "Took": time_taken(record)}

    table = pd.DataFrame({f"Take {n}": settings(t) for n, t in enumerate(takes, start=1)})
    differ = table.nunique(axis=1) > 1
    styled = table.style.apply(lambda row: ["background-color: rgba(124, 92, 255, 0.28); font-weight: 600"
                                            if differ[row.name] else "" for _ in row], axis=1)
    st.caption("Settings that differ are highlighted.")
    # As tall as its rows: at the default ten rows, Rating (and with a price, Took) hid behind the table's scrollbar.
    st.dataframe(styled, width="stretch", height="content", key="compare_differences")
    for n, take in enumerate(takes[1:], start=2):
        if prompt_changed(takes[0].record.prompt, take.record.prompt):
            with st.container(key=f"compare_diff_{n}"):
                st.caption(f"Take {n}'s prompt against take 1's")
                what_changed(backend, takes[0].record, take.record, settings=False, spend=False)  # the table has those
