"""One exception tree for everything that can go wrong in the ``starvideos`` package.

Every error carries a plain-language ``title`` (what happened, in a few words), ``message`` (the details) and
``hint`` (the next step for a person), so the UI can show all three without knowing which class it caught. No
message ever contains the API key, a storage credential or a database password: they are redacted before an error
is built, and every error redacts its message, hint and body again, in every form (``starvideos.redaction``), so
text a provider sent cannot carry a registered secret to the page or the database whoever builds the error.
"""

from __future__ import annotations

from typing import Any

from .redaction import redact


class StarVideosError(Exception):
    """Base class of every error raised by the ``starvideos`` package."""

    title: str = "Something went wrong."
    hint: str = "Try again in a moment."

    def __init__(self, message: str, *, hint: str | None = None, title: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = redact(hint)
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class SettingsError(StarVideosError, ValueError):
    """A configuration value is missing or malformed; the message names the variable."""

    title = "Configuration problem."
    hint = "Fix the value in your environment, .env file or .streamlit/secrets.toml, then restart the app."


class ValidationError(StarVideosError, ValueError):
    """The request is invalid; nothing was sent. ``problems`` lists every problem, each naming its field."""

    title = "Fix these and try again (nothing was sent):"
    hint = "Fix the fields named above; nothing was sent."

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "The request is invalid.")


class APIStatusError(StarVideosError):
    """The API answered with an error status (or an error ``code`` inside a 200 answer)."""

    title = "The API answered with an error."
    hint = "Check the request and try again."

    def __init__(self, message: str, *, status_code: int, body: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.body = redact(body)


class BadRequestError(APIStatusError):
    """400 or 422: the API rejected the request's content."""

    title = "The API rejected the request."
    hint = "Check the prompt, duration, ratio and image URLs; the API rejected them."


class AuthenticationError(APIStatusError):
    """401 or 403: the API key is missing, wrong, or not allowed to do this."""

    title = "The API key was refused."
    hint = "Check STARVIDEOS_API_KEY in your .env file or .streamlit/secrets.toml."


class NotFoundError(APIStatusError):
    """404: the path or the task does not exist."""

    title = "Not found."
    hint = "Check the task id and STARVIDEOS_BASE_URL."


class ConflictError(APIStatusError):
    """409: the API refused because of a conflicting state."""

    title = "The API reported a conflict."
    hint = "Wait a moment, then check the task's status before trying again."


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the wait the API asked for, in seconds, when it said one."""

    title = "Too many requests right now."
    hint = "Wait a minute and try again."

    def __init__(self, message: str, *, status_code: int = 429, body: Any = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.retry_after = retry_after
        if retry_after is not None:
            self.hint = f"Wait {retry_after:g} seconds and try again."


class ServerError(APIStatusError):
    """5xx: the API failed on its side."""

    title = "The StarVideos service had a problem."
    hint = "The StarVideos service is having trouble; wait a minute and try again."


class APIConnectionError(StarVideosError):
    """No answer came back and it is safe to try again: nothing was sent, or the call was a read-only lookup."""

    title = "Could not reach the StarVideos API."
    hint = "Check your network and STARVIDEOS_BASE_URL, then try again."


class OutcomeUnknownError(StarVideosError):
    """A create request was sent but no usable answer came back (read timeout, dropped connection, a gateway
    error, an answer without an id). The task may exist and may be billed, so it is never re-sent automatically.
    """

    title = "No answer came back: the task may exist."
    hint = ("The task may have been created and billed. Check the History page before creating it again; "
            "nothing was re-sent.")


class InvalidResponseError(StarVideosError):
    """A 2xx answer that is not JSON, or has no task id."""

    title = "The API answered in an unexpected format."
    hint = "The API answered in an unexpected format; check STARVIDEOS_BASE_URL points at the StarVideos API."

    def __init__(self, message: str, *, status_code: int, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = redact(body)


class WaitTimeoutError(StarVideosError):
    """``wait`` ran out of time before the task finished. ``task`` is the last status seen."""

    title = "The task is still running."
    hint = "The task is still running; check it again later on the History page."

    def __init__(self, message: str, *, task: Any) -> None:
        super().__init__(message)
        self.task = task


class DatabaseError(StarVideosError):
    """The task database cannot be used right now (unreachable, unwritable, not a database). Nothing that needs it
    was done: in particular, no create request is sent when its attempt cannot be recorded."""

    title = "The task database is unavailable."
    hint = "Check STARVIDEOS_DATABASE_URL (or STARVIDEOS_HISTORY_PATH for the built-in SQLite file)."


class DatabaseVersionError(DatabaseError):
    """The database was written by a newer version of the app. It is refused, never downgraded."""

    title = "The task database is newer than this app."
    hint = "Update StarVideos Studio, or point STARVIDEOS_DATABASE_URL at another database. Nothing was changed."


class BudgetExceededError(StarVideosError):
    """Creating this would pass ``STARVIDEOS_MONTHLY_BUDGET``; nothing was recorded or sent."""

    title = "The monthly budget is reached."
    hint = "Nothing was sent. Raise STARVIDEOS_MONTHLY_BUDGET, or wait for next month."


class StorageError(StarVideosError):
    """The media storage (a folder or an S3 bucket) could not be read or written."""

    title = "Storage is unavailable."
    hint = "Check STARVIDEOS_STORAGE_URL and its credentials; nothing was lost, the app tries again later."


class UploadRejectedError(StarVideosError, ValueError):
    """An uploaded file is not a usable image; nothing was stored or sent."""

    title = "That file cannot be used."
    hint = "Pick a PNG, JPEG or WebP picture (at most 20 MB). Nothing was stored or sent."


class FetchError(StarVideosError):
    """A remote file (a reference image, a finished video) could not be fetched safely."""

    title = "Could not fetch the file."
    hint = "Check that the link is public and points at the file itself."


class FetchRefusedError(FetchError):
    """The URL points somewhere the app will not go (a private or loopback address, a non-http scheme)."""

    title = "Not fetched: the address is not public."
    hint = "Only public http(s) links can be used (or an endpoint listed in STARVIDEOS_ALLOW_PRIVATE_HOSTS)."


class FetchTimeoutError(FetchError):
    """The remote host did not deliver within the overall deadline (silent, or dripping bytes)."""

    title = "The remote host was too slow."
    hint = "Check the link, or use a faster host; the app never waits past its deadline."


class CutError(StarVideosError):
    """A cut cannot be made as asked (nothing to cut, a take that cannot be used, a stored copy that cannot be
    read); nothing was queued, or the cut stopped and left no file."""

    title = "The cut cannot be made."
    hint = "Change the board or the cut's settings and try again."


class UnusableTakesError(CutError):
    """Some takes have no usable stored copy; each is named with why. A cut is made without them only when the
    person agrees (``skip``)."""

    title = "Some takes cannot be used."
    hint = "Make the cut without them, or wait until their copies are saved."

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        self.problems = list(problems)
        """``(record id, the take's name, why)`` for each take."""
        super().__init__("; ".join(f"{name}: {why}" for _, name, why in self.problems))


class UnreadableTakeError(CutError):
    """A take's stored copy could not be decoded while its cut was made; the cut stopped and left no file. The next
    cut of that board or chain asks to skip the take."""

    title = "A take cannot be read."
    hint = "Make the cut again and skip that take, or take it off the board."

    def __init__(self, record_id: int, name: str, why: str) -> None:
        self.record_id = record_id
        self.name = name
        super().__init__(f"{name}: {why}.")


class ThrottledError(StarVideosError):
    """Too many attempts from here in a short time; ``wait_seconds`` says how long to wait."""

    title = "Too many attempts."

    def __init__(self, message: str, *, wait_seconds: float) -> None:
        super().__init__(message, hint=f"Wait {max(1, round(wait_seconds))} seconds and try again.")
        self.wait_seconds = wait_seconds


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
