"""The Batch page's parts: a CSV of prompts checked row by row before anything is queued, and the queue's progress
with Pause, Resume and Cancel pending."""

from __future__ import annotations

import hashlib
import time

import streamlit as st

from starvideos.batch import MAX_BYTES, MAX_ROWS, ParsedBatch, parse_csv
from starvideos.errors import StarVideosError
from starvideos.models import TaskStatus
from starvideos.queue import Batch, batch_fingerprint

from .labels import state_label
from .queueing import Plan, focus_label, one_line, queue_all
from .runtime import Backend
from .text import md_escape, shorten
from .timing import clock


def csv_intake(backend: Backend) -> None:
    # The widget's own limit is the real one (5 MB), so the picker says it and refuses a bigger file itself.
    picked = st.file_uploader("CSV file", type=["csv"], key="batch_csv", max_upload_size=MAX_BYTES // 2**20,
                              help="A header row naming the columns: prompt (required), duration, ratio, model, "
                                   "image_url, last_frame_url. UTF-8, comma or semicolon separated, at most "
                                   f"{MAX_ROWS:,} rows and {MAX_BYTES // 2**20} MB.")
    if picked is None:
        st.caption("Columns: `prompt` (required), `duration`, `ratio`, `model`, `image_url`, `last_frame_url`. "
                   "Every row is checked first; nothing is queued until you press “Queue all”.")
        return
    data = picked.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    parsed, fingerprint = _parsed(digest, data, tuple(backend.settings.models))
    ready, skipped = len(parsed.requests), parsed.skipped_rows
    st.subheader(f"{parsed.rows} row{'s' if parsed.rows != 1 else ''}: {ready} ready, {len(skipped)} with problems")
    if parsed.problems:
        st.dataframe([{"Row": p.row or "—", "Field": p.field, "Problem": p.problem} for p in parsed.problems],
                     hide_index=True, width="stretch", key="batch_problems")
    if ready:
        st.dataframe([{"Row": n, "Duration": f"{r.duration} s", "Ratio": r.ratio, "Images": len(r.images),
                       "Prompt": shorten(str(r.prompt), 80)} for n, r in parsed.requests[:200]],
                     hide_index=True, width="stretch", key="batch_ready")
    ss = st.session_state
    if ss.get("batch_name_for") != digest:
        # A new file: its name and the time tell batches apart in the queue (and the name stays editable).
        ss.batch_name_for = digest
        ss.batch_name = f"{_stem(picked.name)} · {clock(time.time())}"
    name = st.text_input("Batch name", key="batch_name", max_chars=200)
    try:
        known = backend.queue.find_batch(fingerprint) if ready else None
    except StarVideosError:
        known = None  # the press says what is wrong
    queue_all(backend, Plan("batch", [r for _, r in parsed.requests], "csv", f"Queue all ({ready})",
                            name=(name or "").strip() or _stem(picked.name), known_fingerprint=fingerprint,
                            note=_skipped_note(skipped)), known=known)


def _stem(file_name: str) -> str:
    stem = file_name.rsplit(".", 1)[0] or file_name
    return " ".join(stem.split())  # a file's name may hold line breaks: a batch name is one line


def _skipped_note(skipped: list[int]) -> str:
    if not skipped:
        return ""
    rows = ", ".join(map(str, skipped[:10])) + ("…" if len(skipped) > 10 else "")
    plural = "s" if len(skipped) != 1 else ""
    return f"; skipped {len(skipped)} row{plural} with problems (rows {rows}; see the table above)"


@st.cache_data(max_entries=8, show_spinner=False)
def _parsed(_digest: str, data: bytes, models: tuple[str, ...]) -> tuple[ParsedBatch, str]:
    parsed = parse_csv(data, models)
    return parsed, batch_fingerprint([r for _, r in parsed.requests])


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
    with st.container(border=True, key=f"batch_{batch.id}"):
        done = sum(n for s, n in counts.items() if s not in (TaskStatus.PENDING, TaskStatus.SENDING))
        st.markdown(f"**{one_line(batch.name)}**{focus_label(batch, counts)}")
        st.progress(done / batch.total if batch.total else 1.0,
                    text=f"{done} of {batch.total} sent or settled")
        parts = [f"{n} {state_label(status).lower()}" for status, n in sorted(counts.items()) if n]
        who = f" by {md_escape(batch.created_by)}" if batch.created_by else ""
        st.caption(f"Queued at {clock(batch.created_at)}{who} · " + (" · ".join(parts) or "empty"))
