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
    runtime.backend().store.record_attempt(VideoRequest("someone else's"), session_id="another-session")
    at.switch_page("pages/usage.py").run()
    store = runtime.backend().store
    deadline = time.monotonic() + 15
    while store.list()[-1].status != "completed" and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()
    toasts = [plain(t.value) for t in at.toast]
    assert toasts == ["Done: A *bold* [fox](http://evil.example)"]
    assert "\\[fox\\]" in at.toast[0].value  # escaped: shown as typed, never a link
    at.run()
    assert [t.value for t in at.toast] == []
