"""AppTest: the History page against the sandbox, seeded through the real store, with the background poller
finding the statuses the page shows."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.models import TaskStatus, VideoRequest
from starvideos.sandbox import Fault
from tests.apptest_support import new_app, plain, served_key, texts
from tests.creates import create_now


def history(app_env: Path, **query: str) -> AppTest:
    at = new_app().run()
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page("pages/history.py").run()
    assert not at.exception
    return at


def seed(n: int, prompt: str = "prompt", **kwargs: object) -> list[str]:
    b = runtime.backend()
    ids = []
    for i in range(n):
        submission = create_now(b.client, b.store, VideoRequest(f"{prompt} {i}", **kwargs), session_id="seed")
        assert submission.task is not None
        ids.append(submission.task.id)
    return ids


def rerun_until(at: AppTest, condition: Callable[[], bool], timeout: float = 15.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
        at.run()
    assert condition(), "condition not reached"
    return at


def warnings(at: AppTest) -> str:
    return "\n".join(plain(w.value) for w in at.warning)


def test_lists_newest_first_with_columns(app_env: Path) -> None:
    """Test that History lists every task newest first, time, status and prompt first (what fits on a phone)."""
    new_app().run()
    ids = seed(3)
    at = history(app_env)
    df = at.dataframe[0].value
    assert list(df.columns) == ["Time", "Status", "Prompt", "Mode", "Duration", "Ratio", "Task id"]
    assert list(df["Task id"]) == ids[::-1]
    assert list(df["Prompt"]) == ["prompt 2", "prompt 1", "prompt 0"]
    assert set(df["Duration"]) == {"5 s"} and set(df["Mode"]) == {"Text"}
    assert at.main.caption[-1].value == "Page 1 · 3 tasks"


def test_live_status_reaches_completed_without_clicks(app_env: Path) -> None:
    """Test that the background poller moves an unfinished task to completed, the page shows it, and a finished
    task is never looked up again."""
    new_app().run()
    [task_id] = seed(1)
    at = history(app_env)
    store, sandbox = runtime.backend().store, runtime.backend().sandbox
    rerun_until(at, lambda: store.get_by_task_id(task_id).status == "completed")
    at.run()
    assert at.dataframe[0].value["Status"][0] == "✓ Completed"
    lookups = len(sandbox.received("GET"))
    time.sleep(1.0)  # five poll intervals
    at.run()
    assert len(sandbox.received("GET")) == lookups  # finished tasks are not polled again


def test_failing_lookup_shows_on_that_task_only(app_env: Path) -> None:
    """Test that a 404 from the status path is shown for that task, naming STARVIDEOS_STATUS_PATH."""
    new_app().run()
    bad, good = seed(2)
    runtime.backend().sandbox.inject(Fault(404, method="GET", path_contains=bad, times=100))
    at = history(app_env)
    rerun_until(at, lambda: bool(at.warning))
    [warning] = at.warning
    assert plain(warning.value).startswith(f"Status of {bad}: HTTP 404 Not Found")
    assert "STARVIDEOS_STATUS_PATH" in plain(warning.value) and good not in warning.value


def test_filters_session_toggle_and_mine(app_env: Path) -> None:
    """Test the status, mode and text filters, "This session only", and (with sign-in) "Mine"."""
    at = new_app().run()
    seed(2, prompt="dog")
    seed(1, prompt="cat", images=("https://e.com/a.png",))
    b = runtime.backend()
    create_now(b.client, b.store, VideoRequest("mine"), session_id=at.session_state["session_id"])
    at.switch_page("pages/history.py").run()
    assert "filter_mine" not in [t.key for t in at.toggle]  # "Mine" only means something with sign-in
    at.multiselect(key="filter_mode").set_value(["image"]).run()
    assert list(at.dataframe[0].value["Prompt"]) == ["cat 0"]
    at.multiselect(key="filter_mode").set_value([]).run()
    at.text_input(key="filter_text").set_value("DOG").run()
    assert list(at.dataframe[0].value["Prompt"]) == ["dog 1", "dog 0"]
    at.text_input(key="filter_text").set_value("").run()
    at.toggle(key="filter_session").set_value(True).run()
    assert list(at.dataframe[0].value["Prompt"]) == ["mine"]
    at.toggle(key="filter_session").set_value(False).run()
    at.multiselect(key="filter_status").set_value(["rejected"]).run()
    assert at.info[0].value == "No tasks yet. Create one on the Create page."


def test_keyset_pages(app_env: Path) -> None:
    """Test that Next and Previous walk pages of 20 without repeating a task."""
    new_app().run()
    store = runtime.backend().store
    for i in range(45):
        store.record_attempt(VideoRequest(f"p{i}"))
    at = history(app_env)
    first = list(at.dataframe[0].value["Prompt"])
    at.button(key="page_next").click().run()
    second = list(at.dataframe[0].value["Prompt"])
    at.button(key="page_next").click().run()
    third = list(at.dataframe[0].value["Prompt"])
    assert first[0] == "p44" and second[0] == "p24" and third == [f"p{i}" for i in range(4, -1, -1)]
    assert at.main.caption[-1].value == "Page 3 · 45 tasks" and at.button(key="page_next").disabled
    at.button(key="page_prev").click().run()
    assert list(at.dataframe[0].value["Prompt"]) == second


def test_the_list_lives_in_the_address(app_env: Path) -> None:
    """Test that search, filters and page are in the address: a pasted link shows that page (found from the
    first), a page past the end shows the last one and says so, opening a task keeps them beside it, "All tasks"
    comes back to them, and the sidebar (no parameters) brings back the last list."""
    new_app().run()
    store = runtime.backend().store
    ids = {f"p{i}" if i % 9 else f"other {i}": store.record_attempt(VideoRequest(f"p{i}" if i % 9 else f"other {i}"))
           for i in range(45)}
    found = [f"p{i}" for i in range(44, -1, -1) if i % 9]  # what "p" finds, newest first: 40 tasks
    at = history(app_env, q="p", status="sending", page="2")
    assert at.text_input(key="filter_text").value == "p" and at.multiselect(key="filter_status").value == ["sending"]
    assert at.main.caption[-1].value == "Page 2 · 40 tasks" and list(at.dataframe[0].value["Prompt"]) == found[20:]
    at = history(app_env, q="p", page="9")
    assert at.main.caption[-1].value == "Page 2 · 40 tasks" and at.query_params == {"q": "p", "page": "2"}
    # The grid of page 2 (it starts after the last task of page 1), first visit: its first row is clicked.
    at.session_state[f"history_table_{ids[found[19]]}_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.query_params == {"q": "p", "page": "2", "record": str(ids[found[20]])}
    at.button(key="back_to_list").click().run()
    assert at.query_params == {"q": "p", "page": "2"} and at.main.caption[-1].value == "Page 2 · 40 tasks"
    at.switch_page("pages/gallery.py").run()
    at.query_params.clear()
    at.switch_page("pages/history.py").run()
    assert at.query_params == {"q": "p", "page": "2"} and list(at.dataframe[0].value["Prompt"]) == found[20:]


def test_clicking_a_cell_opens_the_task(app_env: Path) -> None:
    """Test that selecting any cell of a row (not only the row's checkbox) opens that row's task."""
    new_app().run()
    ids = seed(3)
    at = history(app_env)
    at.session_state["history_table_0_0"] = {"selection": {"rows": [], "columns": [], "cells": [[1, "Prompt"]]}}
    at.run()
    assert at.query_params["task"] == ids[1]


def test_task_detail_completed(app_env: Path) -> None:
    """Test that ?task=<id> shows the video first, the parameters, a download link and the raw answer."""
    new_app().run()
    [task_id] = seed(1, prompt="<b>bold</b> <script>alert(1)</script>", duration=8, ratio="9:16")
    store = runtime.backend().store
    at = history(app_env, task=task_id)
    rerun_until(at, lambda: store.get_by_task_id(task_id).status == "completed")
    at.run()
    assert at.code[0].value == task_id
    assert at.text[0].value == "<b>bold</b> <script>alert(1)</script> 0"  # st.text: never markup
    params = dict(zip(at.dataframe[0].value["Field"], at.dataframe[0].value["Value"], strict=True))
    assert (params["Mode"], params["Duration"], params["Aspect ratio"]) == ("Text to video", "8 seconds", "9:16")
    record = store.get_by_task_id(task_id)
    # The page, not only the database, has the copy (a rerun may have drawn it just before the copy was saved).
    rerun_until(at, lambda: [("/files/" in v.proto.url) for v in at.get("video")] == [True])
    [video] = at.get("video")
    assert served_key(video.proto.url) == runtime.backend().media.get(record.id).video_key  # the app's own copy
    assert [e.label for e in at.expander] == ["Comments (0)", "Last raw answer"]
    assert "No ratings yet" in [c.value for c in at.caption]  # a line of its own, so it starts as a sentence
    assert [m.value for m in at.markdown if "-badge[" in m.value] == [":green-badge[:material/check_circle: Completed]"]
    assert not [m for m in at.markdown if m.proto.allow_html and "<script" in m.value]


def test_unknown_id_and_back(app_env: Path) -> None:
    """Test that an unknown task id says so, and "All tasks" goes back to the list."""
    at = history(app_env, task="video_nope")
    assert at.warning[0].value == "No task with that id in the history."
    at.button(key="missing_back").click().run()
    assert not at.query_params.get("task") and at.title[0].value == "History" and not at.warning


def test_outcome_unknown_check_status(app_env: Path) -> None:
    """Test that an unknown outcome explains itself and "Check status" attaches the id and looks it up."""
    new_app().run()
    b = runtime.backend()
    b.sandbox.inject(Fault(200, drop="before", method="POST"))
    submission = create_now(b.client, b.store, VideoRequest("lost"), session_id="s")
    assert submission.outcome_unknown
    at = history(app_env, record=str(submission.record_id))
    assert at.warning[0].value.startswith("**Outcome unknown.** The request was sent but no usable answer came back")
    real_id = b.client.create_video(VideoRequest("found")).id  # the id the user found in the provider's dashboard
    at.text_input(key="unknown_task_id").set_value(real_id).run()
    at.button(key="check_status").click().run()
    assert not at.exception
    record = b.store.get(submission.record_id)
    assert record.task_id == real_id and record.status in ("queued", "processing", "completed")
    assert at.query_params["task"] == real_id
    other = create_now(b.client, b.store, VideoRequest("another lost one"), session_id="s")
    b.store.mark_unknown(other.record_id, "timed out")
    at = history(app_env, record=str(other.record_id))
    at.text_input(key="unknown_task_id").set_value(real_id).run()
    at.button(key="check_status").click().run()
    assert at.error[0].value == "That task id is already in the history (perhaps in a removed task)."


def test_outcome_unknown_create_again_goes_through_create(app_env: Path) -> None:
    """Test that "Create again" on a task whose outcome is unknown sends nothing itself: it opens Create with the
    same request, and Create asks first (the same request was just sent); "Create again" there sends one POST."""
    new_app().run()
    b = runtime.backend()
    b.sandbox.inject(Fault(200, drop="before", method="POST"))
    submission = create_now(b.client, b.store, VideoRequest("lost again"), session_id="s")
    at = history(app_env, record=str(submission.record_id))
    assert len(b.sandbox.received("POST")) == 1
    at.button(key="recreate").click().run()
    assert not at.exception and len(b.sandbox.received("POST")) == 1
    assert at.text_area(key="form_prompt").value == "lost again"
    at.query_params.clear()
    at.switch_page("pages/create.py").run()  # AppTest stays on the page it was given; a browser stays on Create
    at.button(key="create_button").click().run()
    assert len(b.sandbox.received("POST")) == 1, [w.value for w in at.warning] + [e.value for e in at.error]
    assert "You created this" in " ".join(w.value for w in at.warning)
    at.button(key="create_again").click().run()
    assert not at.exception and len(b.sandbox.received("POST")) == 2
    assert b.store.count() == 2 and b.store.list()[0].task_id


def test_failed_task_offers_try_again_on_create(app_env: Path) -> None:
    """Test that a failed task's "Try again" opens Create with its settings (nothing sent yet); Create video there,
    after Create's question about the same request, makes one new task with the same settings."""
    new_app().run()
    [task_id] = seed(1, prompt="storm #fail", duration=9)
    b = runtime.backend()
    at = history(app_env, task=task_id)
    rerun_until(at, lambda: b.store.get_by_task_id(task_id).status == "failed")
    at.run()
    assert "Sandbox: simulated failure" in plain(at.error[0].value)
    posts = len(b.sandbox.received("POST"))
    at.button(key="try_again").click().run()
    assert not at.exception and len(b.sandbox.received("POST")) == posts
    assert (at.text_area(key="form_prompt").value, at.selectbox(key="form_duration").value) == ("storm #fail 0", 9)
    at.query_params.clear()
    at.switch_page("pages/create.py").run()
    at.button(key="create_button").click().run()
    assert "You created this" in " ".join(w.value for w in at.warning)  # the same request, minutes ago
    at.button(key="create_again").click().run()
    assert not at.exception and len(b.sandbox.received("POST")) == posts + 1
    newest = b.store.list()[0]
    assert newest.task_id != task_id and (newest.prompt, newest.duration) == ("storm #fail 0", 9)


def test_remove_with_undo(app_env: Path) -> None:
    """Test that "Remove from history" (behind a confirmation) says so with an Undo that brings the task back."""
    new_app().run()
    [keep, gone] = seed(2, prompt="remove me")
    store = runtime.backend().store
    at = history(app_env, task=gone)
    at.button(key="confirm_remove").click().run()
    assert store.get_by_task_id(gone) is None and store.get_by_task_id(keep) is not None
    assert not at.query_params.get("task")
    assert plain(at.main.success[0].value) == "Removed “remove me 1” from the history."
    assert list(at.dataframe[0].value["Task id"]) == [keep]
    at.button(key="undo_remove").click().run()
    assert store.get_by_task_id(gone) is not None and list(at.dataframe[0].value["Task id"]) == [gone, keep]
    assert not [s for s in at.success if "Removed" in s.value]


def test_reuse_settings_fills_the_form_without_warnings(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that "Reuse settings" opens Create filled in, set the supported way (no Session State warning)."""
    import logging

    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # Streamlit warns once per process
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    policies._LOGGER.addHandler(handler)
    new_app().run()
    [task_id] = seed(1, prompt="reuse me", duration=11, ratio="9:16", images=("https://e.com/a.png",))
    at = history(app_env, task=task_id)
    at.button(key="reuse").click().run()
    assert not at.exception
    assert at.radio(key="form_mode").value == "Image to video"
    assert at.text_area(key="form_prompt").value == "reuse me 0"
    assert (at.selectbox(key="form_duration").value, at.radio(key="form_ratio").value) == (11, "9:16")
    assert at.text_input(key="form_image_url").value == "https://e.com/a.png"
    policies._LOGGER.removeHandler(handler)
    assert [r.getMessage() for r in records if "Session State API" in r.getMessage()] == []


def test_a_click_on_a_task_that_settles_during_its_run_is_kept(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that "Reuse settings" pressed on a live task opens Create even when the task settles during the run the
    click started: the live part then finds it finished, and rerunning the page there lost the click (seen once in CI
    as a "Continues" note that Reuse had not removed)."""
    new_app().run()
    [task_id] = seed(1, prompt="settling")
    at = history(app_env, task=task_id)
    store = runtime.backend().store
    record = store.get_by_task_id(task_id)
    assert record is not None
    # The page reads the task live; the live part, a moment later in the same run, reads it failed (once: a rerun
    # of the page would then read it live throughout, and stay on the task without the click).
    live = dataclasses.replace(record, status=TaskStatus.PROCESSING)
    reads = iter([dataclasses.replace(record, status=TaskStatus.FAILED)])
    monkeypatch.setattr(store, "get_by_task_id", lambda _: live)
    monkeypatch.setattr(store, "get", lambda _: next(reads, live))
    at.button(key="reuse").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Create a video"]  # the click went through: on Create, filled in
    assert at.text_area(key="form_prompt").value == "settling 0"


def test_export_links_are_signed_for_the_filters_shown(app_env: Path) -> None:
    """Test that the export popover offers CSV and JSON as links to the server's export route, signed for the
    filters on the page (the route streams them from the database; nothing is built or kept in the session)."""
    new_app().run()
    seed(2)
    at = history(app_env)
    at.text_input(key="filter_text").set_value("prompt 0").run()
    links = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert set(links) >= {"Download CSV", "Download JSON"}
    for label, kind in (("Download CSV", "csv"), ("Download JSON", "json")):
        parts = urlsplit(links[label])
        assert parts.path == f"/export/history.{kind}"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert runtime.backend().signer.export_params(query) == {"text": "prompt 0"}
    kept = {k: v for k, v in at.session_state.to_dict().items() if isinstance(v, (str, bytes)) and len(v) > 200}
    assert kept == {}  # nothing export-sized is kept in the session


def test_no_traceback_text_anywhere(app_env: Path) -> None:
    """Test that a broken status answer never puts a traceback on the page."""
    new_app().run()
    [task_id] = seed(1)
    runtime.backend().sandbox.inject(Fault(200, "<html>oops", "text/html", method="GET", times=100))
    at = history(app_env, task=task_id)
    rerun_until(at, lambda: bool(at.warning))
    assert not at.exception
    assert "Traceback" not in texts(at)
    assert "the answer was not JSON" in warnings(at)
    assert TaskStatus.QUEUED.value == runtime.backend().store.get_by_task_id(task_id).status


LOOKUP_FAULTS = [
    (Fault(400, '{"error": "bad id"}'), "HTTP 400 Bad Request: bad id"),
    (Fault(401, '{"error": "invalid key"}'), "HTTP 401 Unauthorized: invalid key Check STARVIDEOS_API_KEY"),
    (Fault(403, "{}"), "HTTP 403 Forbidden Check STARVIDEOS_API_KEY"),
    (Fault(404, "{}"), "HTTP 404 Not Found The status lookup path may not exist on this API: check "
                       "STARVIDEOS_STATUS_PATH"),
    (Fault(409, '{"error": "busy"}'), "HTTP 409 Conflict: busy"),
    (Fault(422, "{}"), "HTTP 422 Unprocessable Entity"),
    (Fault(429, "{}", headers={"Retry-After": "30"}), "HTTP 429 Too Many Requests Wait 30 seconds and try again."),
    (Fault(500, "{}"), "HTTP 500 Internal Server Error The StarVideos service is having trouble"),
    (Fault(502, "<html><h1>502</h1></html>", "text/html"), "HTTP 502 Bad Gateway (non-JSON response)"),
    (Fault(503, "{}"), "HTTP 503 Service Unavailable"),
    (Fault(504, "{}"), "HTTP 504 Gateway Timeout"),
    (Fault(200, ""), "HTTP 200: the answer was empty."),
    (Fault(200, "<html>hi</html>", "text/html"), "HTTP 200: the answer was not JSON."),
    (Fault(200, "[1, 2]"), "HTTP 200: expected a JSON object, got list"),
    (Fault(200, delay=1.5), "timed out"),
    (Fault(200, drop="mid_body"), "lost the connection"),
]


@pytest.mark.parametrize(("fault", "text"), LOOKUP_FAULTS, ids=[t[:30] for _, t in LOOKUP_FAULTS])
def test_lookup_faults_show_on_the_task(app_env: Path, monkeypatch: pytest.MonkeyPatch, fault: Fault,
                                        text: str) -> None:
    """Test that each status-lookup fault shows a plain message on the task, raises nothing, keeps the record."""
    monkeypatch.setenv("STARVIDEOS_READ_TIMEOUT", "0.5")
    new_app().run()
    fault.method, fault.times = "GET", 100
    runtime.backend().sandbox.inject(fault)
    [task_id] = seed(1)
    at = history(app_env, task=task_id)
    rerun_until(at, lambda: text in warnings(at))
    assert not at.exception and "Traceback" not in texts(at)
    record = runtime.backend().store.get_by_task_id(task_id)
    assert (record.status, record.task_id) == ("queued", task_id)


def test_lookup_connection_refused(app_env: Path) -> None:
    """Test that an unreachable status API shows on the task and keeps the record."""
    new_app().run()
    [task_id] = seed(1)
    runtime.backend().sandbox.stop()
    at = history(app_env, task=task_id)
    rerun_until(at, lambda: "Could not connect to the StarVideos API" in warnings(at))
    assert not at.exception


def test_refresh_now_and_back_to_the_list(app_env: Path) -> None:
    """Test that "Refresh now" looks the task up at once, even while it backs off, and "All tasks" goes back."""
    new_app().run()
    b = runtime.backend()
    b.sandbox.inject(Fault(503, method="GET", times=1))
    [task_id] = seed(1)
    at = history(app_env, task=task_id)
    rerun_until(at, lambda: "HTTP 503 Service Unavailable" in warnings(at))  # now backing off
    lookups = len(b.sandbox.received("GET"))
    at.button(key="refresh").click().run()
    assert not at.exception and len(b.sandbox.received("GET")) > lookups
    assert b.store.get_by_task_id(task_id).lookup_error is None
    at.button(key="back_to_list").click().run()
    assert not at.query_params.get("task") and list(at.dataframe[0].value["Task id"]) == [task_id]


@pytest.mark.parametrize("status", list(TaskStatus))
def test_the_task_view_keeps_looking_until_nothing_can_change(status: TaskStatus) -> None:
    """Test that a task's view refreshes itself while the task waits to be sent (the team's pace holds it back, with
    no id yet), is being sent or runs, or while its finished video is being kept; and stops for every settled
    state."""
    from components.task_detail import may_change
    from starvideos.history import HistoryRecord

    record = HistoryRecord(id=1, task_id=None, status=status, payload={"prompt": "p"})
    waits = status in (TaskStatus.PENDING, TaskStatus.SENDING, TaskStatus.QUEUED, TaskStatus.PROCESSING,
                       TaskStatus.UNKNOWN)
    assert may_change(record, saving=False) is waits
    assert may_change(record, saving=True) is True
