""""Created just now" on the Create page: every task made here in this session, newest first, followed in place to
its end (waiting, status, time left, then the video playing right there, with Open, Add to board and Continue from
last frame) while the form above stays ready for the next prompt.

It reads only what the background workers stored (the poller's statuses, the copier's videos), never asks the API,
and at most once a second however often the page reruns; it stops refreshing once everything it shows is settled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from starvideos.errors import StarVideosError

from . import registry
from .labels import mode_short
from .live import on_its_own_timer
from .messages import show_error
from .runtime import Backend
from .status import status_badge
from .text import md_escape, shorten
from .timing import clock, time_left

if TYPE_CHECKING:
    from starvideos.copies import MediaRecord
    from starvideos.history import HistoryRecord
    from starvideos.models import VideoRequest

# The players and the showcase need SQLAlchemy, which the Create page's first paint never waits for (B4): they are
# imported inside the functions that run once there is something to show.

FOLLOWED = 6
"""Tasks the strip keeps (the oldest goes when a seventh is made; all of them stay in History)."""
REFRESH = 1.0
_FOLLOWED_KEY = "created_now"
_SNAPSHOT_KEY = "created_snapshot"
_RERUN_KEY = "created_rerun_page"
# Static CSS (no user text): a task id wraps inside its card instead of being cut off on a phone.
_STYLE = """
<style>
[class*="st-key-created_card_"] code, .st-key-create_result code {
  white-space: pre-wrap !important; overflow-wrap: anywhere; word-break: break-all; }
[class*="st-key-created_card_"] video, .st-key-create_result video { max-height: 50vh; background: #000;
  border-radius: 6px; }
</style>
"""


@dataclass(frozen=True)
class Followed:
    record_id: int
    error: StarVideosError | None = None
    """What the create call itself said (shown with its title and next step while the record says no more)."""


@dataclass(frozen=True)
class _Snapshot:
    at: float
    ids: tuple[int, ...]
    records: dict[int, HistoryRecord]
    copies: dict[int, MediaRecord]
    read: bool = True
    """False when the database could not be read: nothing is known, so nothing counts as settled (the timer stays
    on and looks again)."""


def follow(record_id: int, error: StarVideosError | None = None) -> None:
    """Show a task just made (newest first) and follow it to its end."""
    ss = st.session_state
    kept = [f for f in ss.get(_FOLLOWED_KEY, []) if f.record_id != record_id]
    ss[_FOLLOWED_KEY] = [Followed(record_id, error), *kept][:FOLLOWED]
    ss.pop(_SNAPSHOT_KEY, None)


def board_dialogs(backend: Backend) -> None:
    """"Add to board" from a card: its dialog, and what it did (drawn by the page, outside the strip's fragment)."""
    ss = st.session_state
    if ss.get("add_to_board_ids") or ss.get("board_notice"):
        from .showcase_ui import add_to_board_dialog, board_notice

        board_notice()
        add_to_board_dialog(backend)


def created_strip(backend: Backend, request: VideoRequest | None = None) -> None:
    """The strip; nothing at all (not even a query) until something was created here. ``request`` is what the form
    describes now: the newest card is "the result" (``create_result``) only while the form still describes it."""
    followed: list[Followed] = st.session_state.get(_FOLLOWED_KEY, [])
    if not followed:
        return
    form = request.to_payload(validate=False) if request is not None else None
    moving = not _settled(_snapshot(backend, followed))

    @st.fragment(run_every=REFRESH if moving else None)
    def strip() -> None:
        if st.session_state.pop(_RERUN_KEY, False):
            st.rerun()  # a button here changed the form (Continue) or opened a dialog: the whole page redraws
        followed_now: list[Followed] = st.session_state.get(_FOLLOWED_KEY, [])
        snap = _snapshot(backend, followed_now)
        st.html(_STYLE)
        with st.container(horizontal=True, vertical_alignment="center", key="created_head"):
            st.markdown("**Created just now**")
            st.button("Clear", key="created_clear", icon=":material/clear_all:", type="tertiary", on_click=_clear,
                      help="Stop showing these here; they stay in History.")
        problem = st.session_state.get("continue_problem")
        if problem:
            st.error(md_escape(problem), icon=":material/error:")
        shown = [(item, snap.records[item.record_id]) for item in followed_now if item.record_id in snap.records]
        # The newest as wide as the form; the ones before it in a compact row that wraps (one column on a phone).
        for item, record in shown[:1]:
            _card(backend, record, snap.copies.get(record.id), item, newest=True, current=record.payload == form)
        if shown[1:]:
            with st.container(horizontal=True, gap="small", key="created_cards"):
                for item, record in shown[1:]:
                    _card(backend, record, snap.copies.get(record.id), item, newest=False)
        if on_its_own_timer() and _settled(snap) == moving:
            st.rerun()  # settled (or moving again): the whole page reruns to switch the timer off (or on)

    strip()


def _snapshot(backend: Backend, followed: list[Followed]) -> _Snapshot:
    """What the workers stored for these tasks, read at most once per REFRESH: a rerun for a keystroke in the form
    reuses the last reading instead of querying again."""
    ids = tuple(f.record_id for f in followed)
    ss = st.session_state
    cached = ss.get(_SNAPSHOT_KEY)
    now = time.monotonic()
    if isinstance(cached, _Snapshot) and cached.ids == ids and now - cached.at < REFRESH * 0.8:
        return cached
    try:
        records = backend.store.get_many(list(ids))
        copies = backend.media.get_many([i for i, r in records.items() if r.status == "completed"])
    except StarVideosError:
        if isinstance(cached, _Snapshot) and cached.ids == ids:
            return cached
        return _Snapshot(now, ids, {}, {}, read=False)
    snap = _Snapshot(now, ids, records, copies)
    ss[_SNAPSHOT_KEY] = snap
    return snap


def _settled(snap: _Snapshot) -> bool:
    """Nothing shown can change any more: every task ended, and every finished video is kept (or failed to be)."""
    if not snap.read:
        return False
    for record in snap.records.values():
        if record.status in ("pending", "sending") or record.is_live:
            return False
        copy = snap.copies.get(record.id)
        if record.status == "completed" and copy is not None and copy.state in ("pending", "saving"):
            return False
    return True


def _card(backend: Backend, record: HistoryRecord, copy: MediaRecord | None, item: Followed, *,
          newest: bool, current: bool = False) -> None:
    if current:  # the result of the form as it stands; once the form changes it is one card among the others
        key = "create_queued" if record.status in ("pending", "sending") else "create_result"
    else:
        key = f"created_card_{record.id}"
    with st.container(border=True, key=key, width="stretch" if newest else 248):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            status_badge(record.status)
            st.caption(f"{clock(record.attempted_at)} · {mode_short(record.mode)} · {record.duration} s · "
                       f"{record.ratio}")
        st.text(shorten(record.prompt, 140))  # as text: a prompt is never formatted or run
        if record.status in ("pending", "sending"):
            _waiting(backend, record)
        elif record.task_id:
            if newest and record.status != "failed":
                st.success("Task created. It plays here when it is done, and it is in History." if record.is_live
                           else "Task created. Finished: it plays below and stays in History.",
                           icon=":material/task_alt:")
            st.code(record.task_id, language=None)  # wrapped by _STYLE: whole, even on a phone
            if record.is_live:
                if record.lookup_error:
                    st.warning(md_escape(record.lookup_error), icon=":material/sync_problem:")
                time_left(backend, record)
            elif record.status == "completed":
                _finished(backend, record, copy, autoplay=newest)
            elif record.error:
                st.error(md_escape(record.error), icon=":material/error:")
        else:
            _not_created(record, item)
        _actions(backend, record, copy)


def _waiting(backend: Backend, record: HistoryRecord) -> None:
    if record.status == "pending" and record.error:  # put back after a 429
        st.warning(md_escape(record.error), icon=":material/hourglass_top:")
        return
    settings = backend.settings
    st.info(f"Queued: the team sends at most {settings.max_creates_per_minute:g} a minute and runs at most "
            f"{settings.max_in_flight} at once. It goes out on its own; this updates when it does.",
            icon=":material/hourglass_empty:")


def _not_created(record: HistoryRecord, item: Followed) -> None:
    if item.error is not None:
        show_error(item.error)
    elif record.error:
        st.error(md_escape(record.error), icon=":material/error:")
    if record.status == "outcome_unknown":
        st.page_link(registry.HISTORY.path, label="See it in History (Check status / Create again)",
                     icon=":material/history:", query_params={"record": str(record.id)})


def _finished(backend: Backend, record: HistoryRecord, copy: MediaRecord | None, *, autoplay: bool) -> None:
    from .players import saving_state, video_source

    source = video_source(backend, record, copy)
    if source is not None:
        # Muted, so the browser lets it start on its own: the newest take plays the moment it is kept.
        st.video(str(source) if not isinstance(source, str) else source, autoplay=autoplay, muted=autoplay)
    elif copy is None and not record.video_url:
        st.info("The task completed, but the API gave no video URL.", icon=":material/videocam_off:")
    elif copy is None:
        st.caption(":material/cloud_upload: Done. It plays here as soon as the app has its copy (a moment).")
    saving_state(backend, record, copy, key=f"created_retry_{record.id}")


def _actions(backend: Backend, record: HistoryRecord, copy: MediaRecord | None) -> None:
    from .players import can_continue

    finished = record.status == "completed" and copy is not None and copy.saved
    with st.container(horizontal=True, gap="small"):
        if record.task_id:
            st.page_link(registry.HISTORY.path, label="Open", icon=":material/open_in_new:",
                         query_params={"task": record.task_id})
        elif record.status not in ("pending", "sending"):
            st.page_link(registry.HISTORY.path, label="Open", icon=":material/open_in_new:",
                         query_params={"record": str(record.id)})
        if finished:
            st.button("Add to board", key=f"created_board_{record.id}", icon=":material/dashboard:",
                      on_click=_add_to_board, args=(record.id,))
        if finished and can_continue(backend, copy):
            st.button("Continue from last frame", key=f"created_continue_{record.id}",
                      icon=":material/arrow_forward:", on_click=_continue, args=(backend, record, copy))


def _add_to_board(record_id: int) -> None:
    from .showcase_ui import open_add_to_board

    open_add_to_board([record_id])
    st.session_state[_RERUN_KEY] = True  # the dialog is drawn by the page, outside this fragment


def _continue(backend: Backend, record: HistoryRecord, copy: MediaRecord | None) -> None:
    from .players import continue_from

    ss = st.session_state
    problem = continue_from(backend, record, copy) if copy is not None else "This take is not kept yet."
    if problem:
        ss.continue_problem = problem
    else:
        ss.pop("continue_problem", None)
    ss[_RERUN_KEY] = True  # the form (outside this fragment) now holds the take to continue


def _clear() -> None:
    for key in (_FOLLOWED_KEY, _SNAPSHOT_KEY, "continue_problem"):
        st.session_state.pop(key, None)
    st.session_state[_RERUN_KEY] = True
