"""AppTest: a toast in the creator's tab when their task finishes, on whatever page they are; never for someone
else's task, never twice."""

from __future__ import annotations

import time
from pathlib import Path

from components import runtime
from starvideos.models import VideoRequest
from tests.apptest_support import new_app, plain


def test_the_creator_is_told_once_when_their_task_finishes(app_env: Path) -> None:
    """Test that after creating on Create and moving to Usage, the tab gets one "Done: <prompt>" toast (the prompt
    as plain text) when the task completes, and nothing for a task created in another session."""
    at = new_app().run()
    at.text_area(key="form_prompt").set_value("A *bold* [fox](http://evil.example)").run()
    at.button(key="create_button").click().run()
    # Every run's toasts count: on a loaded machine the task can finish before the run that moves to Usage, whose
    # toast is then the one (CI saw it).
    shown = [t.value for t in at.toast]
    runtime.backend().store.record_attempt(VideoRequest("someone else's"), session_id="another-session")
    at.switch_page("pages/usage.py").run()
    shown += [t.value for t in at.toast]
    store = runtime.backend().store
    deadline = time.monotonic() + 15
    while store.list()[-1].status != "completed" and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()
    shown += [t.value for t in at.toast]
    assert [plain(value) for value in shown] == ["Done: A *bold* [fox](http://evil.example)"]
    assert "\\[fox\\]" in shown[0]  # escaped: shown as typed, never a link
    at.run()
    assert [t.value for t in at.toast] == []
