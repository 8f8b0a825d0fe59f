"""The Batch page's parts: a CSV of prompts checked row by row before anything is queued, and the queue's progress
with Pause, Resume and Cancel pending."""

from __future__ import annotations

import hashlib

import streamlit as st

from starvideos.batch import ParsedBatch, parse_csv
from starvideos.errors import StarVideosError
from starvideos.queue import Batch

from .craft import cost_caption
from .labels import state_label
from .runtime import Backend, current_user, session_id
from .text import md_escape, shorten

DONE = ("queued", "processing", "unknown", "completed", "failed", "outcome_unknown", "rejected", "cancelled")


def csv_intake(backend: Backend) -> None:
    picked = st.file_uploader("CSV file", type=["csv"], key="batch_csv",
                              help="A header row naming the columns: prompt (required), duration, ratio, model, "
                                   "image_url, last_frame_url. UTF-8, comma or semicolon separated.")
    if picked is None:
        st.caption("Columns: `prompt` (required), `duration`, `ratio`, `model`, `image_url`, `last_frame_url`. "
                   "Every row is checked first; nothing is queued until you press “Queue all”.")
        return
    data = picked.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    parsed = _parsed(digest, data, tuple(backend.settings.models))
    ready, skipped = len(parsed.requests), parsed.skipped_rows
    st.subheader(f"{parsed.rows} row{'s' if parsed.rows != 1 else ''}: {ready} ready, {len(skipped)} with problems")
    if parsed.problems:
        st.dataframe([{"Row": p.row or "—", "Field": p.field, "Problem": p.problem} for p in parsed.problems],
                     hide_index=True, width="stretch", key="batch_problems")
    if ready:
        st.dataframe([{"Row": n, "Duration": f"{r.duration} s", "Ratio": r.ratio, "Images": len(r.images),
                       "Prompt": shorten(str(r.prompt), 80)} for n, r in parsed.requests[:200]],
                     hide_index=True, width="stretch", key="batch_ready")
        cost = cost_caption(backend, [r for _, r in parsed.requests])
        if cost:
            st.caption(cost)
    name = st.text_input("Batch name", value=picked.name.rsplit(".", 1)[0], key="batch_name", max_chars=200)
    if st.button(f"Queue all ({ready})", key="batch_queue", type="primary", icon=":material/playlist_add:",
                 disabled=not ready):
        _queue(backend, parsed, name or picked.name, digest)
    done = st.session_state.get("batch_queued")
    if done and done[0] == digest:
        st.success(done[1], icon=":material/playlist_add_check:")


@st.cache_data(max_entries=8, show_spinner=False)
def _parsed(_digest: str, data: bytes, models: tuple[str, ...]) -> ParsedBatch:
    return parse_csv(data, models)


def _queue(backend: Backend, parsed: ParsedBatch, name: str, digest: str) -> None:
    try:
        batch = backend.queue.enqueue([r for _, r in parsed.requests], name=name, source="csv",
                                      session_id=session_id(), created_by=current_user())
    except StarVideosError as exc:
        st.error(f"**{exc.title}** {md_escape(exc.message)}")
        return
    skipped = parsed.skipped_rows
    why = ""
    if skipped:
        rows = ", ".join(map(str, skipped[:10])) + ("…" if len(skipped) > 10 else "")
        plural = "s" if len(skipped) != 1 else ""
        why = f"; skipped {len(skipped)} row{plural} with problems (rows {rows}; see the table above)"
    st.session_state.batch_queued = (digest, f"Queued {batch.total} tasks as “{name}”{why}.")
    st.session_state.batch_focus = batch.id


def queue_panel(backend: Backend) -> None:
    """Live progress of recent batches, and the queue's switch."""

    @st.fragment(run_every=2.0)
    def panel() -> None:
        queue = backend.queue
        state = queue.state()
        waiting = queue.waiting()
        if state.paused:
            st.warning(f"The queue is paused; {waiting:,} task{'s' if waiting != 1 else ''} waiting.",
                       icon=":material/pause_circle:")
        elif state.holding():
            st.warning("The API asked to slow down; sending resumes on its own shortly. "
                       f"{md_escape(state.reason or '')}", icon=":material/hourglass_top:")
        else:
            st.caption(f"{waiting:,} waiting · sending at most {backend.settings.max_creates_per_minute:g} a minute, "
                       f"{backend.settings.max_in_flight} at once, for the whole team.")
        with st.container(horizontal=True, key="queue_switch"):
            st.button("Pause", key="queue_pause", icon=":material/pause:", on_click=queue.pause,
                      disabled=state.paused)
            st.button("Resume", key="queue_resume", icon=":material/play_arrow:", on_click=queue.resume,
                      disabled=not state.holding())
            with st.popover("Cancel pending", icon=":material/cancel:", disabled=not waiting):
                st.write("Cancel every task still waiting to be sent? Tasks already sent are not affected.")
                st.button("Yes, cancel them", key="queue_cancel", type="primary", on_click=_cancel,
                          args=(backend,))
        for batch in queue.batches(limit=8):
            _progress(queue.progress(batch.id), batch)

    panel()


def _cancel(backend: Backend) -> None:
    cancelled = backend.queue.cancel_pending()
    st.session_state.batch_cancelled = cancelled


def _progress(counts: dict[str, int], batch: Batch) -> None:
    focus = st.session_state.get("batch_focus") == batch.id or st.query_params.get("batch") == str(batch.id)
    with st.container(border=True, key=f"batch_{batch.id}"):
        done = sum(counts.get(s, 0) for s in DONE)
        title = f"**{md_escape(batch.name)}**" + (" · just queued" if focus else "")
        st.markdown(title)
        st.progress(done / batch.total if batch.total else 1.0,
                    text=f"{done} of {batch.total} sent or settled")
        parts = [f"{n} {state_label(status).lower()}" for status, n in sorted(counts.items()) if n]
        st.caption(" · ".join(parts) or "empty")
