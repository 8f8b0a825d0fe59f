"""AppTest: the Create page against the sandbox: exact elements, requests, and no exception on any path."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.sandbox import Fault, SandboxServer
from tests.apptest_support import new_app, plain, served_key, texts


def started(app_env: Path) -> tuple[AppTest, SandboxServer]:
    at = new_app().run()
    assert not at.exception
    sandbox = runtime.backend().sandbox
    assert sandbox is not None
    return at, sandbox


def fill(at: AppTest, *, mode: str = "Text to video", prompt: str = "A cat surfing", **values: object) -> AppTest:
    at.radio(key="form_mode").set_value(mode).run()
    at.text_area(key="form_prompt").set_value(prompt)
    for key, value in values.items():
        widget = {"duration": at.selectbox, "ratio": at.radio, "image_url": at.text_input, "first_url": at.text_input,
                  "last_url": at.text_input}[key]
        widget(key=f"form_{key}").set_value(value)
    return at.run()


def create(at: AppTest) -> AppTest:
    return at.button(key="create_button").click().run()


def test_create_page_elements(app_env: Path) -> None:
    """Test that the Create page shows the product's labels, defaults, the sandbox banner, and the prompt's count
    only near its limit."""
    at, _ = started(app_env)
    assert not at.get("html")  # text mode: no previews, no frame CSS
    assert at.radio(key="form_mode").label == "Mode"
    assert at.radio(key="form_mode").options == ["Text to video", "Image to video", "First & last frame"]
    assert at.text_area(key="form_prompt").label == "Prompt"
    assert at.selectbox(key="form_model").label == "Model" and at.selectbox(key="form_model").options == [
        "starvideos_v3"]
    duration = at.selectbox(key="form_duration")
    assert (duration.label, duration.value) == ("Duration (seconds)", 5)
    assert duration.options == [f"{s} seconds" for s in range(3, 16)]
    assert at.radio(key="form_ratio").label == "Aspect ratio" and at.radio(key="form_ratio").options == [
        "16:9", "9:16"]
    assert at.button(key="create_button").label == "Create video"
    assert at.sidebar.success[0].value == "**Sandbox — simulated tasks, no credits used**"
    assert [c.value.rsplit("\n\n", 1)[-1] for c in at.sidebar.caption] == ["API key: not configured"]
    assert at.text_area(key="form_prompt").proto.placeholder == (
        "Describe the subject, the action, the camera and the style.")
    assert not [c for c in at.caption if "characters" in c.value]  # the count shows only near the limit
    at.text_area(key="form_prompt").set_value("x" * 4_500).run()
    assert ":gray[4,500 / 5,000 characters]" in [c.value for c in at.caption]
    at.text_area(key="form_prompt").set_value("x" * 5_001).run()
    assert ":red[5,001 / 5,000 characters]" in [c.value for c in at.caption]


@pytest.mark.parametrize(("mode", "values", "images"), [
    ("Text to video", {}, None),
    ("Image to video", {"image_url": "{base}/assets/wide.png"}, ["{base}/assets/wide.png"]),
    ("First & last frame", {"first_url": "{base}/assets/wide.png", "last_url": "{base}/assets/tall.png"},
     ["{base}/assets/wide.png", "{base}/assets/tall.png"]),
])
def test_create_in_each_mode(app_env: Path, monkeypatch: pytest.MonkeyPatch, mode: str, values: dict[str, str],
                            images: list[str] | None) -> None:
    """Test that each mode sends exactly the documented body once and stores the task with its id."""
    # Queued for five minutes, not a tenth of a second: the record and the page are read while the task is still
    # queued (a loaded run saw the poller move it on first), and this test never waits for it to finish.
    monkeypatch.setenv("STARVIDEOS_SANDBOX_SPEED", "0.01")
    at, sandbox = started(app_env)
    values = {k: v.format(base=sandbox.base_url) for k, v in values.items()}
    create(fill(at, mode=mode, prompt="  A cat surfing  ", duration=9, ratio="9:16", **values))
    assert not at.exception
    [sent] = sandbox.received("POST")
    expected = {"prompt": "A cat surfing", "model": "starvideos_v3", "duration": 9, "ratio": "9:16"}
    if images:
        expected["images"] = [i.format(base=sandbox.base_url) for i in images]
    assert sent.body == expected
    [record] = runtime.backend().store.list()
    assert record.task_id and record.status == "queued" and record.mode == {
        "Text to video": "text", "Image to video": "image", "First & last frame": "first_last"}[mode]
    assert at.main.success[-1].value == "Task created. It plays here when it is done, and it is in History."
    assert record.task_id in [c.value for c in at.code]


def settled(at: AppTest, timeout: float = 10.0) -> AppTest:
    """Rerun until no preview says "Checking…" (the checks run in the background)."""
    deadline = time.monotonic() + timeout
    while any("Checking…" in c.value for c in at.caption):
        assert time.monotonic() < deadline, "the image checks never finished"
        time.sleep(0.05)
        at.run()
    return at


def test_previews_show_checking_then_the_servers_thumbnail(app_env: Path) -> None:
    """Test that previews say "Checking…" at once (the page never waits), then show a thumbnail of the bytes the
    server fetched, served by the app (never the image host's URL), with the probe's findings and ratio advice."""
    at, sandbox = started(app_env)
    fill(at, mode="First & last frame", first_url=f"{sandbox.base_url}/assets/wide.png",
         last_url=f"{sandbox.base_url}/assets/tall.png")
    assert [c.value for c in at.caption if "Checking" in c.value] == [":material/hourglass_top: Checking…"] * 2
    settled(at)
    images = at.get("image")
    assert len(images) == 2
    assert all(i.proto.imgs[0].url.startswith("/mock/media/") for i in images)  # bytes served by the app
    assert len(at.get("html")) == 1  # the frame CSS, sent once for both previews
    captions = [c.value for c in at.caption]
    assert ":material/check: HTTP 200 · image/png · 640×360 px · 5\\.5 KB" in captions
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("The image is 360×640 \\(0\\.56\\:1\\); a 16\\:9 video") for w in warnings)
    assert any(w.startswith("First frame is 640×360, last frame is 360×640") for w in warnings)


def test_invalid_url_gets_an_inline_message_before_any_click(app_env: Path) -> None:
    """Test that an invalid image URL is flagged under its field at once and never shown as an image."""
    at, sandbox = started(app_env)
    fill(at, mode="Image to video", image_url="file:///etc/passwd")
    assert ":orange[Image URL\\: must start with http\\:// or https\\:// \\(got 'file\\:'\\)\\.]" in [
        c.value for c in at.caption]
    assert not at.get("image") and sandbox.received() == []


def test_switching_mode_keeps_values_and_drops_hidden_images(app_env: Path) -> None:
    """Test that switching mode keeps prompt and options, and images of a hidden mode are not sent."""
    at, sandbox = started(app_env)
    fill(at, mode="Image to video", prompt="Keep me", duration=12, image_url=f"{sandbox.base_url}/assets/wide.png")
    at.radio(key="form_mode").set_value("Text to video").run()
    assert at.text_area(key="form_prompt").value == "Keep me" and at.selectbox(key="form_duration").value == 12
    create(at)
    assert "images" not in sandbox.received("POST")[0].body
    at.radio(key="form_mode").set_value("Image to video").run()
    assert at.text_input(key="form_image_url").value == f"{sandbox.base_url}/assets/wide.png"


def test_request_panel_shows_exact_body_and_curl(app_env: Path) -> None:
    """Test that the Request panel shows the JSON body and a cURL command with the key as a variable."""
    at, sandbox = started(app_env)
    def panel():
        return next(e for e in at.expander if e.label == "Request")

    assert not panel().code  # rendered only when opened
    at.session_state["request_panel"] = True
    fill(at, prompt="it's $5")
    body, curl = [c.value for c in panel().code]
    assert body == '{\n  "prompt": "it\'s $5",\n  "model": "starvideos_v3",\n  "duration": 5,\n  "ratio": "16:9"\n}'
    assert f"--url {sandbox.base_url}/v1/starvideos/videos" in curl
    assert '"Authorization: Bearer $STARVIDEOS_API_KEY"' in curl and body in curl


BAD = [
    ({"prompt": ""}, "Prompt: describe the video"),
    ({"prompt": "   \n "}, "Prompt: describe the video"),
    ({"prompt": "x" * 100_000}, "Prompt: is 100,000 characters long"),
    ({"prompt": "bell\x07"}, "Prompt: remove the control characters \\(U+0007\\)"),
    ({"prompt": "nul\x00"}, "Prompt: remove the control characters \\(U+0000\\)"),
    ({"mode": "Image to video"}, "Image URL: enter a URL starting with https"),
    ({"mode": "Image to video", "image_url": "ftp://e.com/a.png"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "javascript:alert(1)"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "data:image/png;base64,AAAA"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "file:///etc/passwd"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "/etc/passwd"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "data/history.sqlite3"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "../cat.png"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "//e.com/cat.png"}, "Image URL: must start with http"),
    ({"mode": "Image to video", "image_url": "https://e.com/my cat.png"}, "Image URL: remove the spaces"),
    ({"mode": "Image to video", "image_url": "https://u:p@e.com/a.png"}, "Image URL: remove the user:password@"),
    ({"mode": "Image to video", "image_url": "https://e.com/" + "a" * 3000}, "Image URL: is 3,014 characters long"),
    ({"mode": "Image to video", "image_url": "https://"}, "Image URL: must be a full URL with a host"),
    ({"mode": "Image to video", "image_url": "https://e.com:99999/a.png"}, "Image URL: is not a valid URL"),
    ({"mode": "First & last frame"}, "First frame URL: enter a URL"),
    ({"mode": "First & last frame", "first_url": "https://e.com/a.png"}, "Last frame URL: enter a URL"),
    ({"mode": "First & last frame", "first_url": "ftp://x/a", "last_url": "https://e.com/b.png"},
     "First frame URL: must start with http"),
    ({"mode": "First & last frame", "first_url": "https://e.com/a.png", "last_url": "file:///x"},
     "Last frame URL: must start with http"),
]


@pytest.mark.parametrize(("inputs", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_input_sends_nothing(app_env: Path, inputs: dict[str, str], message: str) -> None:
    """Test that each bad input shows a message naming the field, sends nothing and raises nothing."""
    at, sandbox = started(app_env)
    inputs = dict(inputs)
    create(fill(at, mode=inputs.pop("mode", "Text to video"), prompt=inputs.pop("prompt", "A cat"), **inputs))
    assert not at.exception
    assert sandbox.received() == []
    [error] = at.error
    assert error.value.startswith("**Fix these and try again (nothing was sent):**")
    assert message.replace("\\", "") in plain(error.value)
    assert runtime.backend().store.count() == 0


@pytest.mark.parametrize(("key", "value"), [
    ("form_duration", 2), ("form_duration", 16), ("form_duration", -1), ("form_ratio", "1:1"), ("form_ratio", ""),
])
def test_widgets_cannot_produce_out_of_range_values(app_env: Path, key: str, value: object) -> None:
    """Test that the duration and ratio widgets offer only the documented choices: a value outside them cannot
    even be picked (the core's validation refuses it too: see test_models)."""
    at, sandbox = started(app_env)
    widget = at.selectbox(key=key) if key == "form_duration" else at.radio(key=key)
    with pytest.raises(ValueError, match="is not in list"):
        widget.set_value(value).run()
    assert sandbox.received() == []


@pytest.mark.parametrize(("url", "warning"), [
    ("http://localhost:1/cat.png", "Not fetched: localhost points to 127.0.0.1, a loopback address."),
    ("http://169.254.169.254/latest/meta-data/", "Not fetched: 169.254.169.254 is a link-local address"),
    ("http://10.0.0.1/cat.png", "Not fetched: 10.0.0.1 is a private network address"),
])
def test_probe_refuses_private_targets(app_env: Path, url: str, warning: str) -> None:
    """Test that the preview probe refuses loopback (other than the sandbox), metadata and private addresses."""
    at, _ = started(app_env)
    settled(fill(at, mode="Image to video", image_url=url))
    assert not at.exception and not at.get("image")
    assert any(warning in plain(w.value) for w in at.warning)


def test_duplicate_asks_first_and_create_again_sends_once(app_env: Path) -> None:
    """Test that the same parameters again ask first; "Create again" sends exactly one more POST."""
    at, sandbox = started(app_env)
    create(fill(at))
    create(at)  # a second click, as from a double click or Enter
    assert len(sandbox.received("POST")) == 1
    assert at.warning[0].value == "You created this just now — open it, or create again."
    at.button(key="create_again").click().run()
    assert len(sandbox.received("POST")) == 2 and not at.exception
    create(at)
    assert len(sandbox.received("POST")) == 2  # asks again about the newest one
    assert runtime.backend().store.count() == 2


FAULTS = [
    (Fault(401, '{"error": "invalid key"}'), "rejected", "**The API key was refused.** HTTP 401 Unauthorized"),
    (Fault(403, '{"error": "forbidden"}'), "rejected", "**The API key was refused.**"),
    (Fault(400, '{"error": {"message": "bad prompt"}}'), "rejected", "**The API rejected the request.**"),
    (Fault(404, "{}"), "rejected", "**Not found.**"),
    (Fault(409, '{"error": "busy"}'), "rejected", "**The API reported a conflict.**"),
    (Fault(422, '{"detail": "nope"}'), "rejected", "**The API rejected the request.**"),
    (Fault(429, "{}", headers={"Retry-After": "30"}), "pending",
     "nothing was created. It waits in the queue and goes out on its own in about 30 seconds."),
    (Fault(500, "{}"), "rejected", "**The StarVideos service had a problem.**"),
    (Fault(502, "<html><h1>Bad Gateway</h1></html>", "text/html"), "outcome_unknown",
     "HTTP 502 Bad Gateway \\(non\\-JSON response\\)"),
    (Fault(503, "{}"), "rejected", "**The StarVideos service had a problem.**"),
    (Fault(504, "{}"), "outcome_unknown", "HTTP 504 Gateway Timeout"),
    (Fault(200, ""), "outcome_unknown", "the answer was empty"),
    (Fault(200, "<html>hi</html>", "text/html"), "outcome_unknown", "the answer was not JSON"),
    (Fault(200, '{"status": "queued"}'), "outcome_unknown", "the answer has no task id"),
    (Fault(200, delay=2.0), "outcome_unknown", "timed out before an answer came back"),
    (Fault(200, drop="mid_body"), "outcome_unknown", "lost the connection before an answer came back"),
    (Fault(200, drop="before"), "outcome_unknown", "lost the connection before an answer came back"),
]


@pytest.mark.parametrize(("fault", "status", "text"), FAULTS, ids=[f"{f.status}-{s}-{t[:20]}" for f, s, t in FAULTS])
def test_api_faults_show_plain_messages(app_env: Path, monkeypatch: pytest.MonkeyPatch, fault: Fault, status: str,
                                        text: str) -> None:
    """Test that each API fault shows a plain message with a next step, no exception, and the right record."""
    monkeypatch.setenv("STARVIDEOS_READ_TIMEOUT", "0.5")
    at, sandbox = started(app_env)
    fault.method = "POST"
    sandbox.inject(fault)
    create(fill(at))
    assert not at.exception
    shown = plain("\n".join(e.value for e in [*at.error, *at.warning]))
    assert text.replace("\\", "") in shown
    assert len(sandbox.received("POST")) == 1
    [record] = runtime.backend().store.list()
    assert record.status == status and record.error and record.prompt == "A cat surfing"
    if status == "outcome_unknown":
        assert "the task may exist" in shown


def test_connection_refused(app_env: Path) -> None:
    """Test that an unreachable API says so, records that nothing was created, and raises nothing."""
    at, sandbox = started(app_env)
    sandbox.stop()
    create(fill(at))
    assert not at.exception
    assert at.error[0].value.startswith("**Could not reach the StarVideos API.** Could not connect to the StarVideos")
    [record] = runtime.backend().store.list()
    assert record.status == "rejected"


def test_html_prompt_is_text(app_env: Path) -> None:
    """Test that an HTML/script prompt is shown as text, never as markup."""
    at, _ = started(app_env)
    fill(at, prompt="<script>alert(1)</script><img src=x onerror=alert(2)>")
    assert not at.exception
    assert not [m for m in at.markdown if m.proto.allow_html and "<script" in m.value]
    assert "<script>alert(1)</script>" in texts(at)


def test_not_a_url_gets_the_real_problem_once(app_env: Path) -> None:
    """Test that text that is not a link is told so (not "remove the spaces")."""
    at, _ = started(app_env)
    fill(at, mode="Image to video", image_url="not a url")
    assert [c.value for c in at.caption if c.value.startswith(":orange")] == [
        ":orange[Image URL\\: must start with http\\:// or https\\:// \\(paste the full link, like "
        "https\\:\\/\\/example\\.com\\/cat\\.png\\)\\.]".replace("\\/", "/")]


@pytest.mark.parametrize("kind", ["folder cannot be created", "not a database"])
def test_unusable_history_database(app_env: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Test that an unusable STARVIDEOS_HISTORY_PATH is reported in plain words on Create (at the click, sending
    nothing) and on History, with no error box and the rest of the app still there."""
    if kind == "folder cannot be created":
        (app_env / "blocker").write_text("a file where a folder should be")
        path = app_env / "blocker" / "sub" / "history.sqlite3"
    else:
        path = app_env / "notes.sqlite3"
        path.write_text("not a database " * 200)
    monkeypatch.setenv("STARVIDEOS_HISTORY_PATH", str(path))
    at, sandbox = started(app_env)
    assert at.text_area(key="form_prompt").label == "Prompt" and at.sidebar.success
    create(fill(at, prompt="paid work"))
    assert not at.exception
    message = plain(at.error[0].value)
    assert message.startswith(f"**The task database is unavailable.** The history file STARVIDEOS_HISTORY_PATH "
                              f"({path}) cannot be used: ")
    assert "Point STARVIDEOS_HISTORY_PATH at a" in message and "Nothing was sent." in message
    assert sandbox.received() == []
    at.switch_page("pages/history.py").run()
    assert not at.exception and at.title[0].value == "History"
    assert plain(at.error[0].value) == message


def test_gateway_error_names_the_real_problem_once(app_env: Path) -> None:
    """Test that a 502 to the create call says a gateway answered with an error (one did answer), and says the task
    may have been created exactly once."""
    at, sandbox = started(app_env)
    sandbox.inject(Fault(502, "<html><h1>Bad Gateway</h1></html>", "text/html", method="POST"))
    create(fill(at))
    [warning] = at.warning
    text = plain(warning.value)
    assert text.startswith("**The gateway answered with an error: the task may exist.** HTTP 502 Bad Gateway "
                           "(non-JSON response)")
    assert "No answer came back" not in text and text.count("may have been created") == 1


def rerun_until(at: AppTest, condition, timeout: float = 30.0) -> AppTest:
    """Rerun (as the strip's timer would) until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)
        at.run()
    return at


def test_created_tasks_are_followed_on_create_to_their_video(app_env: Path) -> None:
    """Test that every task made on Create is followed in place, newest first: status and id at once, then the
    finished video playing right there with Open, Add to board and Continue from last frame, while the form stays
    ready for the next prompt."""
    at, sandbox = started(app_env)
    create(fill(at, prompt="First shot: a heron lands"))
    create(fill(at, prompt="Second shot: the heron takes off", duration=8, ratio="9:16"))
    b = runtime.backend()
    second, first = b.store.list()
    assert [c.value for c in at.code if c.value.startswith("video_")] == [second.task_id, first.task_id]
    assert "**Created just now**" in [m.value for m in at.markdown]
    assert [t.value for t in at.get("text")][:2] == ["Second shot: the heron takes off", "First shot: a heron lands"]
    assert at.text_area(key="form_prompt").value == "Second shot: the heron takes off"  # the form is still there
    assert at.button(key="create_button").label == "Create video"
    # The provider's link plays until the app's own copy is saved; then the copy plays (yesterday's takes too).
    rerun_until(at, lambda: ["/files/" in v.proto.url for v in at.get("video")] == [True, True])
    videos = at.get("video")
    copies = b.media.get_many([second.id, first.id])
    assert [served_key(v.proto.url) for v in videos] == [copies[second.id].video_key, copies[first.id].video_key]
    assert (videos[0].proto.autoplay, videos[0].proto.muted) == (True, True)  # the newest plays on its own
    links = [(p.proto.label, p.proto.page) for p in at.get("page_link")]
    assert [label for label, _ in links].count("Open") == 2
    assert [b.key for b in at.button if b.label == "Add to board"] == [f"created_board_{second.id}",
                                                                      f"created_board_{first.id}"]
    assert [b.key for b in at.button if b.label == "Continue from last frame"] == [
        f"created_continue_{second.id}", f"created_continue_{first.id}"]
    assert len(sandbox.received("POST")) == 2 and not at.exception


def test_a_rerun_of_create_reads_nothing_until_the_strip_is_due(app_env: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that typing in the form reruns Create without reading the followed tasks again (the strip reuses its
    last reading), and that the strip reads them once it is due again (what the background poller stored, never
    the API)."""
    from components import created

    clock = [1000.0]
    monkeypatch.setattr(created.time, "monotonic", lambda: clock[0])
    at, sandbox = started(app_env)
    create(fill(at, prompt="Follow me"))
    store = runtime.backend().store
    reads: list[object] = []
    real = store.get_many
    monkeypatch.setattr(store, "get_many", lambda ids: reads.append(ids) or real(ids))
    lookups = len(sandbox.received("GET"))
    for n in range(5):
        at.text_area(key="form_prompt").set_value(f"Next prompt, take {n}").run()
    assert reads == []
    clock[0] += created.REFRESH
    at.run()
    assert len(reads) == 1 and not at.exception
    # The page itself never looked a status up: any lookups came from the background poller's own schedule.
    assert all("/v1/starvideos/videos/" in r.path for r in sandbox.received("GET")[lookups:])


def test_continue_from_last_frame_on_create(app_env: Path) -> None:
    """Test that "Continue from last frame" on a finished take opens the form with the take's prompt (editable) and
    settings, its last frame as the image and a plain-text "Continues: <prompt> · <time>" note; that the note can be
    removed (the new task then continues nothing), and that otherwise the new task records its parent."""
    at, sandbox = started(app_env)
    parent_prompt = "A ![pixel](http://127.0.0.1:9/p.png) lighthouse, **storm**"
    create(fill(at, prompt=parent_prompt, duration=7, ratio="9:16"))
    b = runtime.backend()
    [parent] = b.store.list()
    rerun_until(at, lambda: f"created_continue_{parent.id}" in [b.key for b in at.button])
    at.button(key=f"created_continue_{parent.id}").click().run()
    assert not at.exception
    assert at.radio(key="form_mode").value == "Image to video"
    assert at.text_area(key="form_prompt").value == parent_prompt
    assert (at.selectbox(key="form_duration").value, at.radio(key="form_ratio").value) == (7, "9:16")
    link = at.text_input(key="form_image_url").value
    assert link.startswith(f"{sandbox.base_url}/files/") and requests_get(link) == "image/png"
    [note] = [t.value for t in at.get("text") if t.value.startswith("Continues:")]
    assert re.fullmatch(r"Continues: A !\[pixel\]\(http://127\.0\.0\.1:9/p\.png\) lighthouse, \*\*storm\*\* · "
                        r"\d\d:\d\d", note)
    at.button(key="continues_remove").click().run()
    assert not [t for t in at.get("text") if t.value.startswith("Continues:")]
    at.text_area(key="form_prompt").set_value("A shot of its own").run()
    create(at)
    assert b.store.list()[0].parent_id is None
    rerun_until(at, lambda: f"created_continue_{parent.id}" in [b.key for b in at.button])
    at.button(key=f"created_continue_{parent.id}").click().run()
    at.text_area(key="form_prompt").set_value("The lighthouse at dawn, same framing").run()
    create(at)
    child = b.store.list()[0]
    assert (child.parent_id, child.images, child.prompt) == (parent.id, [at.text_input(key="form_image_url").value],
                                                             "The lighthouse at dawn, same framing")
    assert [t.value for t in at.get("text") if t.value.startswith("Continues:")]  # kept for another take
    # The team's pace may have queued this third create: its id arrives when the queue sends it.
    rerun_until(at, lambda: b.store.get(child.id).task_id is not None)
    at.query_params["task"] = b.store.get(child.id).task_id
    at.switch_page("pages/history.py").run()
    at.button(key="reuse").click().run()  # Reuse settings: a shot of its own, whatever the form continued before
    at.switch_page("pages/create.py").run()
    assert at.text_area(key="form_prompt").value == "The lighthouse at dawn, same framing"
    assert at.text_input(key="form_image_url").value == child.images[0]  # the same picture, so only the note went
    assert not [t for t in at.get("text") if t.value.startswith("Continues:")]
    assert not at.exception


def requests_get(url: str) -> str:
    import requests

    return requests.get(url, timeout=5).headers["Content-Type"]


def test_create_shows_the_mode_in_the_page(app_env: Path) -> None:
    """Test that Create says Sandbox in the page itself, not only in the sidebar (folded away on a phone)."""
    at, _ = started(app_env)
    assert at.main.markdown[0].value == ":green-badge[:material/science: Sandbox · no credits used]"


def test_add_to_board_from_create(app_env: Path) -> None:
    """Test that "Add to board" on a finished take in "Created just now" asks for a board and puts the take on it,
    saying so on Create with a link to the board."""
    at, _ = started(app_env)
    runtime.backend().showcase.board_named("Launch <b>board</b>")  # picked (typing a new name is AppTest-proof)
    create(fill(at, prompt="A take for the launch board"))
    [record] = runtime.backend().store.list()
    rerun_until(at, lambda: f"created_board_{record.id}" in [b.key for b in at.button])
    at.button(key=f"created_board_{record.id}").click().run()
    at.selectbox(key="board_name_choice").set_value("Launch <b>board</b>").run()
    at.button(key="add_to_board_confirm").click().run()
    showcase = runtime.backend().showcase
    [board] = showcase.boards()
    assert board.name == "Launch <b>board</b>" and [t.record.id for t in showcase.items(board.id)] == [
        record.id]
    assert "Added 1 take to “Launch <b>board</b>”." in [plain(s.value) for s in at.success]
    assert not at.exception


def test_create_modules_leave_sqlalchemy_for_later() -> None:
    """Test, in a fresh interpreter, that the modules the Create page imports load no SQLAlchemy and no database
    layer: the first paint never waits for them (B4); "Created just now" and Queue all load them when needed."""
    import subprocess
    import sys

    script = ("import sys\n"
              "import components.create_form, components.prompt_builder, components.presets_ui\n"
              "import components.variants_ui, components.created, components.queueing\n"
              "import components.drafts, components.image_preview, components.request_panel, components.sidebar\n"
              "print(sorted(m for m in ('sqlalchemy', 'starvideos.history', 'starvideos.queue', 'starvideos.copier')"
              " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_a_strip_the_database_could_not_read_keeps_looking() -> None:
    """Test that Create's strip of new takes counts as settled (its timer off) only when it was read: a reading the
    database refused knows nothing, and with the timer off the cards it draws next would never move again."""
    from components.created import _settled, _Snapshot

    assert not _settled(_Snapshot(0.0, (1,), {}, {}, read=False))
    assert _settled(_Snapshot(0.0, (1,), {}, {}))  # read: the take was removed from history, nothing left to follow
