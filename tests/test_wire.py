"""Tolerant parsing of status answers: wherever the fields are, whatever the status is called."""

from __future__ import annotations

from typing import Any

import pytest

from starvideos import APIStatusError, AuthenticationError, InvalidResponseError, TaskStatus
from starvideos.wire import error_text, parse_status, parse_task

V = "https://cdn.example.com/v.mp4"

PARSE_TABLE: list[tuple[str, Any, str, TaskStatus, str | None, str | None]] = [
    # (case, body, id, status, video_url, error)
    ("documented create answer", {"id": "video_1", "object": "video", "created": 1774836724,
                                  "model": "starvideos_v3", "status": "queued", "error": None},
     "video_1", TaskStatus.QUEUED, None, None),
    ("top-level video_url", {"id": "a", "status": "completed", "video_url": V}, "a", TaskStatus.COMPLETED, V, None),
    ("result_url", {"id": "a", "status": "succeeded", "result_url": V}, "a", TaskStatus.COMPLETED, V, None),
    ("wrapped in data", {"data": {"id": "a", "status": "processing"}}, "a", TaskStatus.PROCESSING, None, None),
    ("code/msg/data envelope", {"code": 0, "msg": "success", "data": {"task_id": "a", "status": "success",
                                                                     "video_url": V}},
     "a", TaskStatus.COMPLETED, V, None),
    ("url inside data.result", {"data": {"id": "a", "status": "done", "result": {"url": V}}},
     "a", TaskStatus.COMPLETED, V, None),
    ("output list", {"id": "a", "status": "completed", "output": [V]}, "a", TaskStatus.COMPLETED, V, None),
    ("output_url in output", {"id": "a", "status": "completed", "output": {"output_url": V}},
     "a", TaskStatus.COMPLETED, V, None),
    ("failed with error string", {"id": "a", "status": "failed", "error": "NSFW"}, "a", TaskStatus.FAILED, None,
     "NSFW"),
    ("failed with error object", {"id": "a", "status": "failed", "error": {"message": "bad frame"}},
     "a", TaskStatus.FAILED, None, "bad frame"),
    ("failed with msg only", {"code": 0, "msg": "quota", "data": {"id": "a", "status": "cancelled"}},
     "a", TaskStatus.FAILED, None, "quota"),
    ("unknown status", {"id": "a", "status": "thinking"}, "a", TaskStatus.UNKNOWN, None, None),
    ("missing status", {"id": "a"}, "a", TaskStatus.UNKNOWN, None, None),
    ("non-http video_url dropped", {"id": "a", "status": "completed", "video_url": "/etc/passwd"},
     "a", TaskStatus.COMPLETED, None, None),
    ("message on success is not an error", {"id": "a", "status": "queued", "message": "ok"},
     "a", TaskStatus.QUEUED, None, None),
]


@pytest.mark.parametrize(("case", "body", "task_id", "status", "video_url", "error"), PARSE_TABLE,
                         ids=[row[0] for row in PARSE_TABLE])
def test_parse_table(case: str, body: Any, task_id: str, status: TaskStatus, video_url: str | None,
                     error: str | None) -> None:
    """Test that each answer shape yields the right id, status, video URL and error."""
    task = parse_task(body)
    assert (task.id, task.status, task.video_url, task.error) == (task_id, status, video_url, error)
    assert task.raw == body


@pytest.mark.parametrize(("alias", "status"), [
    ("pending", TaskStatus.QUEUED), ("QUEUED", TaskStatus.QUEUED), ("running", TaskStatus.PROCESSING),
    ("in_progress", TaskStatus.PROCESSING), ("In-Progress", TaskStatus.PROCESSING),
    ("succeeded", TaskStatus.COMPLETED), ("success", TaskStatus.COMPLETED), ("cancelled", TaskStatus.FAILED),
    ("canceled", TaskStatus.FAILED), ("expired", TaskStatus.FAILED), ("weird", TaskStatus.UNKNOWN),
    (None, TaskStatus.UNKNOWN), (3, TaskStatus.UNKNOWN),
])
def test_status_aliases(alias: object, status: TaskStatus) -> None:
    """Test that status aliases map to TaskStatus and anything else is UNKNOWN (never success)."""
    assert parse_status(alias) is status


def test_lookup_answer_without_id_uses_the_id_asked_for() -> None:
    """Test that a status answer with no id falls back to the id that was looked up."""
    assert parse_task({"status": "queued"}, fallback_id="video_9").id == "video_9"


@pytest.mark.parametrize("body", [{"status": "queued"}, {"id": ""}, [], "text", None])
def test_no_id_is_invalid(body: Any) -> None:
    """Test that a 2xx answer without a task id raises InvalidResponseError."""
    with pytest.raises(InvalidResponseError):
        parse_task(body)


def test_failing_code_in_200_is_an_api_error() -> None:
    """Test that HTTP 200 carrying a failing code raises, with the class the code maps to."""
    with pytest.raises(AuthenticationError, match=r"^API error \(code 401\): bad key$"):
        parse_task({"code": 401, "msg": "bad key", "data": None})
    with pytest.raises(APIStatusError, match=r"^API error \(code 10023\): insufficient balance$") as info:
        parse_task({"code": 10023, "msg": "insufficient balance", "data": None})
    assert type(info.value) is APIStatusError and info.value.status_code == 200


@pytest.mark.parametrize(("body", "text"), [
    ({"error": "x"}, "x"), ({"error": {"message": "y"}}, "y"), ({"message": "z"}, "z"), ({"msg": "w"}, "w"),
    ({"data": {"error": "nested"}}, "nested"), ({}, None), ("nope", None),
])
def test_error_text(body: Any, text: str | None) -> None:
    """Test that error text is found in error, error.message, message, msg, also inside data."""
    assert error_text(body) == text


@pytest.mark.parametrize(("created", "seconds"), [
    (1774836724, 1774836724), (1774836724123, 1774836724), ("1774836724", 1774836724),
    ("1774836724123", 1774836724), ("2026-03-30T02:12:04Z", 1774836724), ("²", None), ("1" * 5000, None),
    (float("nan"), None), (float("inf"), None), (-5, None), (10**400, None), ("9999-99-99", None), (True, None),
    ({"at": 1}, None),
], ids=lambda value: repr(value)[:24])
def test_a_creation_time_no_clock_reaches_is_left_out(created: Any, seconds: int | None) -> None:
    """Test that a creation time of '²' (a digit to str.isdigit, not to int), 5,000 digits, NaN, an infinity or a
    number past any clock gives no time instead of an exception; seconds, milliseconds and ISO times are read."""
    task = parse_task({"id": "a", "status": "queued", "created": created})
    assert (task.id, task.created) == ("a", seconds)


def test_a_status_answer_with_odd_numbers_over_http_is_parsed(client: Any, sandbox: Any) -> None:
    """Test that a real answer carrying "created": "²" and NaN (JSON as Python writes it) is parsed, not a crash."""
    from starvideos.sandbox import Fault
    sandbox.inject(Fault(200, '{"id": "video_1", "status": "queued", "created": "\u00b2", "progress": NaN}',
                         method="GET"))
    task = client.get_video("video_1")
    assert (task.id, task.status, task.created) == ("video_1", TaskStatus.QUEUED, None)
