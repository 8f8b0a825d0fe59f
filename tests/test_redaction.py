"""The API key never comes back out, whatever form a provider echoes it in: plain, JSON-escaped, URL-encoded (once,
twice, lower-case hex), as an HTML reference, after Bearer, in a Basic header's base64, upper-cased or cut short. Each
form goes through real HTTP (the sandbox's fault injection) and is looked for on the page, in the database, in the
exports and in the log."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

from components import runtime
from server.exports import stream_history
from starvideos import BadRequestError, StarVideosClient, TaskStatus, VideoRequest
from starvideos.history import HistoryFilter, HistoryStore
from starvideos.redaction import MIN_RUN, RedactingFilter, Redactor, redact, register
from starvideos.sandbox import Fault, SandboxServer
from tests.apptest_support import new_app, plain, texts
from tests.conftest import DUMMY_KEY

K = DUMMY_KEY
FORMS = {
    "plain": K,
    "JSON escape": K.replace("-", "\\u002d"),
    "JSON escape of every character": "".join(f"\\u{ord(c):04X}" for c in K),
    "JSON escape inside JSON": K.replace("-", "\\\\u002d"),
    "URL-encoded %2D": K.replace("-", "%2D"),
    "URL-encoded lower-case %2d": K.replace("-", "%2d").replace("s", "%73"),
    "URL-encoded twice %252D": K.replace("-", "%252D"),
    "HTML reference": K.replace("-", "&#x2d;").replace("k", "&#107;"),
    "Bearer header": f"Authorization: Bearer {K}",
    "Bearer header URL-encoded": f"Authorization=Bearer%20{K.replace('-', '%2D')}",
    "upper-cased": K.upper(),
    "first 14 characters": K[:14] + "…",
    "last 10 characters": "…" + K[-10:],
    "Basic header": "Basic " + base64.b64encode(f"studio:{K}".encode()).decode(),
}


def leaks(text: str) -> list[str]:
    """Which runs of the key ``text`` still holds, read every way a reader might decode it (stdlib decoders)."""
    views = [text, plain(text), html.unescape(text), unquote(unquote(text)),
             re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)]
    for encoded in re.findall(r"[A-Za-z0-9+/=_-]{16,}", text):
        with contextlib.suppress(ValueError):
            views.append(base64.b64decode(encoded + "==", altchars=b"-_" if "-" in encoded else None).decode("latin-1"))
    key = K.lower()
    runs = {key[i:i + MIN_RUN] for i in range(len(key) - MIN_RUN + 1)}
    return sorted({run for view in views for run in runs if run in view.lower()})


def body_with(form: str) -> str:
    """A provider's 400 answer echoing the key in ``form`` (inserted into the JSON text as it is)."""
    return '{"error": {"message": "invalid api key ' + form + '", "type": "invalid_request_error"}}'


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_each_form_of_the_key_is_redacted_and_the_rest_kept(form: str) -> None:
    """Test that the redactor removes the key in each form (as written) and keeps the words around it."""
    assert leaks(form), "the test's own detector must see the key in the form"
    clean = Redactor([K]).text(f"before {form} after")
    assert leaks(clean) == [] and clean.startswith("before ") and clean.endswith(" after") and "***" in clean


def test_what_is_not_the_key_is_left_alone() -> None:
    """Test that text without the key is unchanged: short shared runs, "bearer" in a sentence, escapes of other
    text; a secret shorter than a run is redacted only whole."""
    redactor = Redactor([K, "cat5"])
    for text in ["sk-test", "the bearer instruments", "caf\\u00e9 %2D &#45; 0123456", "a category", ""]:
        assert redactor.text(text) == text
    assert redactor.text("a cat5 and CAT5") == "a *** and ***"
    assert Redactor([]).text(f"Bearer {K}") == "Bearer ***"  # any bearer credential, known or not
    assert redactor.value({"k": [K, {K: 1}], "n": 2}) == {"k": ["***", {"***": 1}], "n": 2}


def test_json_nested_deeper_than_recursion_is_redacted() -> None:
    """Test that decoded JSON nested as deep as the decoder allows is walked without recursion."""
    deep = json.loads("[" * 900 + json.dumps(K) + "]" * 900)
    clean = Redactor([K]).value(deep)
    for _ in range(900):
        clean = clean[0]
    assert clean == "***"


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_a_provider_error_echoing_the_key_is_clean_over_http(sandbox: SandboxServer, form: str) -> None:
    """Test that a real 400 answer echoing the key in each form raises an error whose message, hint, body and repr
    hold no form of it, and still say what the provider said."""
    client = StarVideosClient(sandbox.base_url, K, max_retries=0)
    sandbox.inject(Fault(400, body_with(form), method="POST"))
    with pytest.raises(BadRequestError) as info:
        client.create_video(VideoRequest("cat"))
    error = info.value
    assert leaks(f"{error} {error!r} {error.hint} {error.body!r} {json.dumps(error.body)}") == []
    assert str(error).startswith("HTTP 400 Bad Request: invalid api key ") and "***" in str(error)
    assert error.body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_a_failed_task_echoing_the_key_is_clean_over_http(sandbox: SandboxServer, form: str) -> None:
    """Test that a real 200 status answer whose failed task echoes the key (error and raw answer, as stored) holds no
    form of it, and that a non-JSON error page is cleaned as text."""
    client = StarVideosClient(sandbox.base_url, K, max_retries=0)
    sandbox.inject(Fault(200, '{"id": "video_1", "status": "failed", "error": "key ' + form + ' revoked", '
                              '"video_url": "https://cdn.test/v.mp4?key=' + form + '"}', method="GET"))
    task = client.get_video("video_1")
    assert task.status is TaskStatus.FAILED and task.error.startswith("key ") and task.error.endswith(" revoked")
    assert "***" in task.error and task.raw["id"] == "video_1"
    assert leaks(f"{task.error} {json.dumps(task.raw)} {task!r}") == []
    sandbox.inject(Fault(502, f"<html><body>upstream refused {form}</body></html>", "text/html", method="GET"))
    with pytest.raises(Exception) as info:
        client.get_video("video_1")
    assert leaks(f"{info.value} {info.value.body!r}") == []  # type: ignore[attr-defined]


def test_log_lines_are_redacted_in_every_form(sandbox: SandboxServer) -> None:
    """Test that the log filter removes every form from a line logging a real answer's text, its arguments and an
    exception's traceback, keeping the rest of the line."""
    for form in FORMS.values():
        sandbox.inject(Fault(400, body_with(form), method="POST"))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter([K]))
    log = logging.getLogger("starvideos.test_redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        for _ in FORMS:
            answer = requests.post(f"{sandbox.base_url}/v1/starvideos/videos", json={"prompt": "cat"}, timeout=5)
            log.warning("provider answered %d: %s", answer.status_code, answer.text)
            try:
                raise RuntimeError(answer.text)
            except RuntimeError:
                log.exception("create failed")
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert leaks(output) == []
    assert output.count("WARNING provider answered 400: {\"error\": {\"message\": \"invalid api key ") == len(FORMS)
    assert output.count("Traceback (most recent call last)") == len(FORMS)


def test_exports_redact_rows_stored_before_answers_were_cleaned(store: HistoryStore) -> None:
    """Test that CSV and JSON exports hold no form of a registered key even in rows written before the client
    cleaned answers (an error, a task id, a video URL), and keep everything else."""
    register(K)
    for form in FORMS.values():
        rid = store.record_attempt(VideoRequest("lighthouse at dusk"))
        store.mark_rejected(rid, f"HTTP 400 Bad Request: invalid api key {form}")
    out = io.StringIO()
    assert store.write_csv(out) == len(FORMS)
    exported = out.getvalue()
    out = io.StringIO()
    store.write_json(out)
    exported += out.getvalue()
    assert leaks(exported) == []
    assert exported.count("lighthouse at dusk") == 2 * len(FORMS)
    assert redact({"error": K}) == {"error": "***"}


@pytest.fixture
def live_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The app in live mode with the key, pointed at a sandbox standing in for the real API."""
    with SandboxServer(queued_seconds=0.1, processing_seconds=0.1) as api:
        monkeypatch.setenv("STARVIDEOS_MODE", "live")
        monkeypatch.setenv("STARVIDEOS_API_KEY", K)
        monkeypatch.setenv("STARVIDEOS_BASE_URL", api.base_url)
        yield api


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_the_page_database_and_exports_never_show_an_echoed_key(live_app: SandboxServer, app_env: Path,
                                                                form: str) -> None:
    """Test that when the live API answers a create with a 400 echoing the key in each form, the page says what the
    provider said with the key masked, and the page, tasks.error, the whole database file and both exports hold no
    form of it."""
    live_app.inject(Fault(400, body_with(form), method="POST"))
    at = new_app().run()
    at.text_area(key="form_prompt").set_value("lighthouse at dusk").run()
    at.button(key="create_button").click().run()
    assert not at.exception
    shown = texts(at)
    assert "HTTP 400 Bad Request: invalid api key " in plain(shown) and "***" in plain(shown)
    store = runtime.backend().store
    [record] = store.list()
    assert record.status == "rejected" and record.error.startswith("HTTP 400 Bad Request: invalid api key ")
    assert "***" in record.error
    dump = "\n".join(sqlite3.connect(app_env / "history.sqlite3").iterdump())
    exports = "".join(b"".join(stream_history(store, HistoryFilter(), kind)).decode() for kind in ("csv", "json"))
    for where, text in {"page": shown, "tasks.error": record.error, "database": dump, "exports": exports}.items():
        assert leaks(text) == [], where
    assert "lighthouse at dusk" in exports
