"""One task in full: the video, its live status, parameters, the raw answer, and what can be done with it."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import streamlit as st

from starvideos.history import HistoryRecord
from starvideos.models import UNSETTLED

from . import address, registry
from .create_form import reuse_settings
from .cuts_ui import Subject, cut_panel
from .history_view import go_to, show_task
from .labels import mode_label
from .live import on_its_own_timer
from .notes_ui import notes_panel, notes_toggle
from .players import continue_button, downloads, saving_state, video_source
from .references import describe, frame_names, reference_pictures
from .runtime import Backend
from .showcase_ui import add_to_board_dialog, board_notice, feedback_panel, open_add_to_board, stars_text, viewer
from .status import status_badge
from .text import label, md_escape, md_inert, plain
from .timing import time_left


def task_detail(backend: Backend, record: HistoryRecord) -> None:
    st.button("All tasks", icon=":material/arrow_back:", type="tertiary", key="back_to_list", on_click=_to_list)

    stage = _stage(backend, record)

    @st.fragment(run_every=backend.settings.poll_interval if stage.may_change else None)
    def live_part() -> None:
        current = backend.store.get(record.id)
        if current is None:
            st.info("This task was removed from history.")
            return
        _summary(backend, current)
        if on_its_own_timer() and _stage(backend, current) != stage:
            st.rerun()  # its id came, it ended, or its copy is kept: the actions follow; the timer stops at the end

    live_part()
    reference_pictures(backend, record, key="task")
    _actions(backend, record)
    _chain_cut(backend, record)


def may_change(record: HistoryRecord, *, saving: bool) -> bool:
    """Whether the task view keeps looking: while the task waits to be sent, is being sent or runs (a task the team's
    pace holds back has no id yet, and still moves on by itself), or its finished video is being kept."""
    return record.status in UNSETTLED or saving


class _Stage(NamedTuple):
    """What the page's actions and its timer depend on."""

    runs: bool
    """The task has an id and is not done."""
    saving: bool
    """Its finished video is being kept."""
    may_change: bool
    """Anything shown can still change (the timer runs)."""


def _stage(backend: Backend, record: HistoryRecord) -> _Stage:
    saving = _saving(backend, record)
    return _Stage(record.is_live, saving, may_change(record, saving=saving))


def _saving(backend: Backend, record: HistoryRecord) -> bool:
    """True while the app's copy of a finished video is waiting or being made."""
    if record.status != "completed":
        return False
    copy = backend.media.get(record.id)
    return copy is not None and copy.state in ("pending", "saving")


def _to_list() -> None:
    show_task()


def _summary(backend: Backend, record: HistoryRecord) -> None:
    head, badge = st.columns([4, 1], vertical_alignment="center")
    with head:
        st.subheader("Task")
    with badge:
        status_badge(record.status)
    if record.task_id:
        st.code(record.task_id, language=None)
    plain(record.prompt)  # as text: a prompt is never formatted or run
    # The video first: on a phone the columns stack, and the take is what people open a task for.
    media, info = st.columns(2, gap="large")
    with media:
        _status_and_video(backend, record)
    with info:
        _parameters(backend, record)
        _lineage(backend, record)
    if record.raw:
        with st.expander("Last raw answer", icon=":material/data_object:"):
            st.json(record.raw)


def _parameters(backend: Backend, record: HistoryRecord) -> None:
    keys = list(record.image_keys) + [None] * len(record.images)
    st.dataframe([
        {"Field": "Mode", "Value": mode_label(record.mode)},
        {"Field": "Model", "Value": record.model},
        {"Field": "Duration", "Value": f"{record.duration} seconds"},
        {"Field": "Aspect ratio", "Value": record.ratio},
        *({"Field": name, "Value": describe(backend, str(url), key)}
          for name, url, key in zip(frame_names(len(record.images)), record.images, keys, strict=False)),
        *([{"Field": "Created by", "Value": record.created_by}] if record.created_by else []),
        {"Field": "Attempted", "Value": _when(record.attempted_at)},
        {"Field": "Last update", "Value": _when(record.updated_at)},
        *([{"Field": "Created (API)", "Value": _when(record.remote_created)}] if record.remote_created else []),
    ], hide_index=True, width="stretch")


def _showcase(backend: Backend, record: HistoryRecord) -> None:
    """Stars, comments and boards for a finished take."""
    takes = backend.showcase.takes([record.id], rater=viewer()[0])
    if not takes:
        return
    take = takes[0]
    st.caption(stars_text(take.rating).capitalize())  # a line of its own here, not the end of a caption
    feedback_panel(backend, take, prefix="task")
    on = backend.showcase.boards_of(record.id)
    if on:
        st.caption("On " + ", ".join(f"“{md_inert(b.name)}”" for b in on))
    st.button("Add to board", key="task_add_to_board", icon=":material/dashboard:", on_click=open_add_to_board,
              args=([record.id],))
    add_to_board_dialog(backend)
    board_notice()


def _chain_cut(backend: Backend, record: HistoryRecord) -> None:
    """A take that continues or is continued: its chain can be made into one cut, here where the chain shows."""
    if record.parent_id is None and not backend.store.children(record.id):
        return
    cut_panel(backend, Subject(record_id=record.id), present_query=lambda cut: {"cut": str(cut.id)})


def _lineage(backend: Backend, record: HistoryRecord) -> None:
    """A chain of shots: the take this one continues, and the takes that continue it."""
    parent = backend.store.get(record.parent_id) if record.parent_id else None
    if parent is not None:
        st.caption("Continues")
        _link(parent)
    children = backend.store.children(record.id)
    if children:
        st.caption("Continued by")
        for child in children:
            _link(child)


def _link(record: HistoryRecord) -> None:
    # A button, not a page link: a link to this same page would not put the task in the address, and the next
    # rerun would show the previous task again. It sits in the live fragment, so it reruns the whole page.
    if st.button(label(record.prompt, 60), key=f"lineage_{record.id}", icon=":material/movie:", type="tertiary",
                 on_click=show_task, kwargs={"task_id": record.task_id, "record_id": record.id}):
        st.rerun()


def _status_and_video(backend: Backend, record: HistoryRecord) -> None:
    if record.is_live:
        if record.lookup_error:
            st.warning(md_escape(record.lookup_error), icon=":material/sync_problem:")
        else:
            st.info("Generating… status updates on its own every few seconds.", icon=":material/hourglass_top:")
        time_left(backend, record)
    if record.status == "pending":
        st.info("Waiting in the queue: it goes out at the team's pace, on its own.",
                icon=":material/hourglass_empty:")
    if record.error and record.status != "outcome_unknown":
        st.error(md_escape(record.error), icon=":material/error:")
    if record.status == "completed":
        copy = backend.media.get(record.id)
        source = video_source(backend, record, copy)
        if source is None:
            if copy is not None and copy.state == "failed":
                pass  # saving_state says why, with "Retry saving"
            elif record.video_url:
                st.info("Done. The video plays here as soon as the app has its copy (a moment).",
                        icon=":material/cloud_upload:")
            else:
                st.info("The task completed, but the API gave no video URL.", icon=":material/videocam_off:")
            saving_state(backend, record, copy)
            return
        if notes_toggle(record.id, backend.review.note_counts([record.id]).get(record.id), prefix="task"):
            notes_panel(backend, record, prefix="task")
        else:
            st.video(str(source) if not isinstance(source, str) else source)
        saving_state(backend, record, copy)
        downloads(backend, record, copy)
        continue_button(backend, record, copy)
        _showcase(backend, record)


def _actions(backend: Backend, record: HistoryRecord) -> None:
    if record.status == "outcome_unknown":
        _outcome_unknown(backend, record)
    columns = st.columns(4)
    with columns[0]:
        if st.button("Reuse settings", icon=":material/replay:", key="reuse"):
            _to_create(backend, record)
    with columns[1]:
        if record.task_id and st.button("Refresh now", icon=":material/refresh:", key="refresh"):
            backend.poller.refresh([record.task_id], force=True, timeout=backend.settings.read_timeout)
            st.rerun()
    with columns[2]:
        if record.status in ("failed", "rejected"):
            _try_again(backend, record)
    with columns[3], st.popover("Remove from history", icon=":material/delete:"):
        st.write("Remove this task from the history? The task itself is not cancelled; you can undo this.")
        st.button("Yes, remove it", type="primary", key="confirm_remove", on_click=_remove, args=(backend, record))


def _remove(backend: Backend, record: HistoryRecord) -> None:
    if backend.store.delete(record.id):
        st.session_state.removed_record = (record.id, record.prompt)
    show_task()


def _try_again(backend: Backend, record: HistoryRecord) -> None:
    if st.button("Try again", icon=":material/restart_alt:", key="try_again",
                 help="Opens Create with these settings; Create video makes a new, billed task."):
        _to_create(backend, record)


def _to_create(backend: Backend, record: HistoryRecord) -> None:
    """The one way from a task to a new one: Create, with the form filled from it. Create makes it (through the
    queue, asking first when the same request was just sent), never this page."""
    reuse_settings(record, backend.upload_link)
    address.switch_page_keeping_back(registry.CREATE.path)


def _outcome_unknown(backend: Backend, record: HistoryRecord) -> None:
    with st.container(border=True, key="outcome_unknown"):
        st.warning("**Outcome unknown.** The request was sent but no usable answer came back, so the task may "
                   "exist and may be billed. Nothing is re-sent on its own.", icon=":material/help:")
        if record.error:
            st.caption(md_escape(record.error))
        task_id = st.text_input("Task id", key="unknown_task_id",
                                placeholder="video_… (from the provider's dashboard or logs)")
        if st.button("Check status", key="check_status", disabled=not (task_id or "").strip()):
            assert task_id is not None
            if not backend.store.attach_task_id(record.id, task_id.strip()):
                st.error("That task id is already in the history (perhaps in a removed task).")
            else:
                backend.poller.refresh([task_id.strip()], force=True, timeout=backend.settings.read_timeout)
                go_to(task_id=task_id.strip())
        if st.button("Create again", icon=":material/restart_alt:", key="recreate",
                     help="Opens Create with the same request; a second task may be created and billed."):
            _to_create(backend, record)


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S") if timestamp else "—"
