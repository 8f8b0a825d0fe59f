"""The one place that knows how StarVideos answers look.

Only the create answer is documented. Status answers are parsed tolerantly: fields at the top level or inside
``data``, a ``{code, msg, data}`` envelope, several names for the id, the status and the video URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .errors import APIStatusError, InvalidResponseError, error_class_for_status
from .models import TaskStatus, VideoTask, is_http_url, whole_number

_STATUS_ALIASES: dict[str, TaskStatus] = {}
for _status, _names in {
    TaskStatus.QUEUED: ("queued", "queue", "queueing", "in_queue", "pending", "submitted", "waiting", "created",
                        "not_start", "not_started", "scheduled"),
    TaskStatus.PROCESSING: ("processing", "running", "in_progress", "inprogress", "generating", "started",
                            "rendering"),
    TaskStatus.COMPLETED: ("completed", "complete", "succeeded", "success", "successful", "succeed", "done",
                           "finished"),
    TaskStatus.FAILED: ("failed", "failure", "fail", "error", "errored", "cancelled", "canceled", "expired",
                        "timeout", "timed_out", "rejected"),
}.items():
    for _name in _names:
        _STATUS_ALIASES[_name] = _status

_OK_CODES = {0, 200, "0", "200", "ok", "success", "OK", "SUCCESS"}
_ID_KEYS = ("id", "task_id", "taskId")
_VIDEO_KEYS = ("video_url", "result_url", "url", "output_url", "videoUrl")
_NESTS = ("data", "result", "output")
_EPOCH_LIMIT_MS = 10**14  # the year 5138 in milliseconds: past it a number is not a time


def parse_status(value: object) -> TaskStatus:
    """Map an API status string (any alias, any case) to ``TaskStatus``; anything else is ``UNKNOWN``."""
    if not isinstance(value, str):
        return TaskStatus.UNKNOWN
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    return _STATUS_ALIASES.get(key, TaskStatus.UNKNOWN)


def check_envelope(body: Any, http_status: int) -> None:
    """Raise the matching ``APIStatusError`` when a 2xx answer carries a failing ``code``."""
    if not isinstance(body, dict) or "code" not in body or ("data" not in body and "msg" not in body):
        return
    code = body["code"]
    if code in _OK_CODES:
        return
    message = error_text(body) or f"the API reported code {code}"
    status = code if isinstance(code, int) and 400 <= code <= 599 else http_status
    cls = error_class_for_status(status) if status != http_status else APIStatusError
    raise cls(f"API error (code {code}): {message}", status_code=status, body=body)


def parse_task(body: Any, *, http_status: int = 200, fallback_id: str | None = None) -> VideoTask:
    """Build a ``VideoTask`` from a 2xx JSON answer, wherever its fields are."""
    if not isinstance(body, dict):
        raise InvalidResponseError(
            f"HTTP {http_status}: expected a JSON object, got {type(body).__name__}",
            status_code=http_status, body=body)
    check_envelope(body, http_status)
    layers = _layers(body)
    task_id = _first(layers, _ID_KEYS)
    if task_id is None or not str(task_id).strip():
        task_id = fallback_id
    if not task_id:
        raise InvalidResponseError(f"HTTP {http_status}: the answer has no task id", status_code=http_status,
                                   body=body)
    status = parse_status(_first(layers, ("status", "state", "task_status")))
    error = _error_from(layers, failed=status is TaskStatus.FAILED)
    return VideoTask(
        id=str(task_id).strip(),
        status=status,
        created=_epoch(_first(layers, ("created", "created_at", "createdAt"))),
        model=_str_or_none(_first(layers, ("model",))),
        error=error,
        video_url=_video_url(layers),
        raw=body,
    )


def error_text(body: Any) -> str | None:
    """The human text of an error answer: ``error`` (string or ``{message}``), ``message`` or ``msg``."""
    if not isinstance(body, dict):
        return None
    for layer in _layers(body):
        for key in ("error", "message", "msg", "detail"):
            text = _message_of(layer.get(key))
            if text:
                return text
    return None


def _layers(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer and the nested objects fields may hide in, outermost first."""
    layers = [body]
    for layer in layers:
        for key in _NESTS:
            inner = layer.get(key)
            if isinstance(inner, dict) and inner not in layers:
                layers.append(inner)
    return layers


def _first(layers: list[dict[str, Any]], keys: tuple[str, ...]) -> Any:
    for layer in layers:
        for key in keys:
            value = layer.get(key)
            if value not in (None, ""):
                return value
    return None


def _video_url(layers: list[dict[str, Any]]) -> str | None:
    for layer in layers:
        for key in (*_VIDEO_KEYS, *_NESTS):
            value = layer.get(key)
            if isinstance(value, list) and value:
                value = value[0]
            # Anything but an http(s) URL is dropped: other strings would be read as server file paths.
            if is_http_url(value):
                return value
    return None


def _error_from(layers: list[dict[str, Any]], *, failed: bool) -> str | None:
    # "message"/"msg" are often "ok" on success; only a failed task's message is an error.
    keys = ("error", "message", "msg", "fail_reason") if failed else ("error", "fail_reason")
    for layer in layers:
        for key in keys:
            text = _message_of(layer.get(key))
            if text:
                return text
    return None


def _message_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _message_of(value.get("message")) or _message_of(value.get("msg"))
    return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _epoch(value: Any) -> int | None:
    """Seconds since the epoch from a number (seconds or milliseconds), digits or an ISO 8601 time; None for
    anything else, including NaN, infinities and times no clock reaches (JSON allows them all)."""
    if isinstance(value, str):
        number = whole_number(value)
        if number is None:
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except (ValueError, OverflowError, OSError):
                return None
        else:
            value = number
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < _EPOCH_LIMIT_MS:
        return None  # NaN fails the range check too
    # Some APIs report milliseconds.
    return int(value / 1000) if value > 10**11 else int(value)
