"""One exception tree for everything that can go wrong talking to StarVideos.

Every error carries a plain-language ``message`` and a ``hint`` (the next step for a person), so the UI can show
both without knowing which class it caught. No message ever contains the API key: the client redacts it before an
error is built.
"""

from __future__ import annotations

from typing import Any


class StarVideosError(Exception):
    """Base class of every error raised by the ``starvideos`` package."""

    hint: str = "Try again in a moment."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class SettingsError(StarVideosError, ValueError):
    """A configuration value is missing or malformed; the message names the variable."""

    hint = "Fix the value in your environment, .env file or .streamlit/secrets.toml, then restart the app."


class ValidationError(StarVideosError, ValueError):
    """The request is invalid; nothing was sent. ``problems`` lists every problem, each naming its field."""

    hint = "Fix the fields named above; nothing was sent."

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "The request is invalid.")


class APIStatusError(StarVideosError):
    """The API answered with an error status (or an error ``code`` inside a 200 answer)."""

    hint = "Check the request and try again."

    def __init__(self, message: str, *, status_code: int, body: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.body = body


class BadRequestError(APIStatusError):
    """400 or 422: the API rejected the request's content."""

    hint = "Check the prompt, duration, ratio and image URLs; the API rejected them."


class AuthenticationError(APIStatusError):
    """401 or 403: the API key is missing, wrong, or not allowed to do this."""

    hint = "Check STARVIDEOS_API_KEY in your .env file or .streamlit/secrets.toml."


class NotFoundError(APIStatusError):
    """404: the path or the task does not exist."""

    hint = "Check the task id and STARVIDEOS_BASE_URL."


class ConflictError(APIStatusError):
    """409: the API refused because of a conflicting state."""

    hint = "Wait a moment, then check the task's status before trying again."


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the wait the API asked for, in seconds, when it said one."""

    hint = "Wait a minute and try again."

    def __init__(self, message: str, *, status_code: int = 429, body: Any = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.retry_after = retry_after
        if retry_after is not None:
            self.hint = f"Wait {retry_after:g} seconds and try again."


class ServerError(APIStatusError):
    """5xx: the API failed on its side."""

    hint = "The StarVideos service is having trouble; wait a minute and try again."


class APIConnectionError(StarVideosError):
    """No answer came back and it is safe to try again: nothing was sent, or the call was a read-only lookup."""

    hint = "Check your network and STARVIDEOS_BASE_URL, then try again."


class OutcomeUnknownError(StarVideosError):
    """A create request was sent but no usable answer came back (read timeout, dropped connection).

    The task may exist and may be billed, so it is never re-sent automatically.
    """

    hint = ("The task may have been created and billed. Check the History page before creating it again; "
            "nothing was re-sent.")


class InvalidResponseError(StarVideosError):
    """A 2xx answer that is not JSON, or has no task id."""

    hint = "The API answered in an unexpected format; check STARVIDEOS_BASE_URL points at the StarVideos API."

    def __init__(self, message: str, *, status_code: int, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class WaitTimeoutError(StarVideosError):
    """``wait`` ran out of time before the task finished. ``task`` is the last status seen."""

    hint = "The task is still running; check it again later on the History page."

    def __init__(self, message: str, *, task: Any) -> None:
        super().__init__(message)
        self.task = task


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIStatusError]:
    """The error class for an HTTP status code (5xx → ``ServerError``, unknown → ``APIStatusError``)."""
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if 500 <= status_code <= 599:
        return ServerError
    return APIStatusError
