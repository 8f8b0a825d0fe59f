"""One task in full: parameters, live status, the video, the raw answer, and what can be done with it."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from starvideos import HistoryRecord
from starvideos.models import MODE_LABELS, is_http_url
from starvideos.submit import submit_video

from .create_form import reuse_settings
from .feedback import show_error
from .history_view import go_to
from .runtime import Backend, session_id
from .status import status_badge
from .text import md_escape

CREATE_PAGE = "pages/create.py"


def task_detail(backend: Backend, record: HistoryRecord) -> None:
    if st.button("All tasks", icon=":material/arrow_back:", type="tertiary", key="back_to_list"):
        go_to()

    @st.fragment(run_every=backend.settings.poll_interval if record.is_live else None)
    def live_part() -> None:
        current = backend.store.get(record.id)
        if current is None:
            st.info("This task was removed from history.")
            return
        if current.is_live and current.task_id:
            backend.poller.refresh([current.task_id], timeout=2.0)
            current = backend.store.get(record.id) or current
        _summary(backend, current)
        if current.is_live != record.is_live:
            st.rerun()  # finished: stop the timer and show the final actions

    live_part()
    _actions(backend, record)


def _summary(backend: Backend, record: HistoryRecord) -> None:
    head, badge = st.columns([4, 1], vertical_alignment="center")
    with head:
        st.subheader("Task")
    with badge:
        status_badge(record.status)
    if record.task_id:
        st.code(record.task_id, language=None)
    st.text(record.prompt)  # as text: a prompt is never formatted or run
    info, media = st.columns(2, gap="large")
    with info:
        _parameters(record)
    with media:
        _status_and_video(backend, record)
    if record.raw:
        with st.expander("Last raw answer", icon=":material/data_object:"):
            st.json(record.raw)


def _parameters(record: HistoryRecord) -> None:
    st.dataframe([
        {"Field": "Mode", "Value": MODE_LABELS.get(record.mode, record.mode)},
        {"Field": "Model", "Value": record.model},
        {"Field": "Duration", "Value": f"{record.duration} seconds"},
        {"Field": "Aspect ratio", "Value": record.ratio},
        *({"Field": name, "Value": url} for name, url in zip(_image_names(record), record.images, strict=False)),
        {"Field": "Attempted", "Value": _when(record.attempted_at)},
        {"Field": "Last update", "Value": _when(record.updated_at)},
        *([{"Field": "Created (API)", "Value": _when(record.remote_created)}] if record.remote_created else []),
    ], hide_index=True, width="stretch")


def _status_and_video(backend: Backend, record: HistoryRecord) -> None:
    if record.task_id and record.is_live:
        error = backend.poller.state(record.task_id).error
        if error:
            st.warning(md_escape(error), icon=":material/sync_problem:")
        else:
            st.info("Generating… status updates on its own every few seconds.", icon=":material/hourglass_top:")
    if record.error and record.status != "outcome_unknown":
        st.error(md_escape(record.error), icon=":material/error:")
    if record.status == "completed":
        if is_http_url(record.video_url):
            st.video(record.video_url)
            st.link_button("Download video", record.video_url, icon=":material/download:")
        else:
            st.info("The task completed, but the API gave no video URL.", icon=":material/videocam_off:")


def _actions(backend: Backend, record: HistoryRecord) -> None:
    if record.status == "outcome_unknown":
        _outcome_unknown(backend, record)
    reuse_col, refresh_col, remove_col = st.columns(3)
    with reuse_col:
        if st.button("Reuse settings", icon=":material/replay:", key="reuse"):
            reuse_settings(record)
            st.switch_page(CREATE_PAGE)
    with refresh_col:
        if record.task_id and st.button("Refresh now", icon=":material/refresh:", key="refresh"):
            backend.poller.refresh([record.task_id], force=True, timeout=backend.settings.read_timeout)
            st.rerun()
    with remove_col, st.popover("Remove from history", icon=":material/delete:"):
        st.write("Remove this task from the history? The task itself is not cancelled.")
        if st.button("Yes, remove it", type="primary", key="confirm_remove"):
            backend.store.delete(record.id)
            go_to()


def _outcome_unknown(backend: Backend, record: HistoryRecord) -> None:
    with st.container(border=True, key="outcome_unknown"):
        st.warning("**Outcome unknown.** The request was sent but no answer came back, so the task may exist and "
                   "may be billed. Nothing is re-sent on its own.", icon=":material/help:")
        if record.error:
            st.caption(md_escape(record.error))
        task_id = st.text_input("Task id", key="unknown_task_id",
                                placeholder="video_… (from the provider's dashboard or logs)")
        if st.button("Check status", key="check_status", disabled=not (task_id or "").strip()):
            assert task_id is not None
            if backend.store.get_by_task_id(task_id.strip()) is not None:
                st.error("That task id is already in the history.")
            else:
                backend.store.attach_task_id(record.id, task_id.strip())
                backend.poller.refresh([task_id.strip()], force=True, timeout=backend.settings.read_timeout)
                go_to(task_id=task_id.strip())
        with st.popover("Create again", icon=":material/restart_alt:"):
            st.write("This sends the same request again and may create (and bill) a second task.")
            if st.button("Yes, create again", type="primary", key="confirm_recreate"):
                submission = submit_video(backend.client, backend.store, record.request(), session_id=session_id())
                if submission.error is not None:
                    show_error(submission.error)
                else:
                    go_to(record_id=submission.record_id)


def _image_names(record: HistoryRecord) -> list[str]:
    return ["Image URL"] if record.mode == "image" else ["First frame URL", "Last frame URL"]


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S") if timestamp else "—"
