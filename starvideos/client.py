"""HTTP client for the StarVideos API: the one place for requests, retries and error mapping."""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import __version__
from .errors import (
    APIConnectionError,
    APIStatusError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    StarVideosError,
    WaitTimeoutError,
    error_class_for_status,
)
from .models import DEFAULT_MODELS, VideoRequest, VideoTask
from .redaction import Redactor
from .settings import DEFAULT_STATUS_PATH
from .wire import error_text, parse_task

log = logging.getLogger(__name__)

CREATE_PATH = "/v1/starvideos/videos"
USER_AGENT = f"starvideos-studio/{__version__} (+python-requests/{requests.__version__})"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_NOT_JSON = object()


def join_url(base_url: str, path: str) -> str:
    """Join a base URL (maybe with a path prefix and trailing slash) and a path, with exactly one slash."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


class StarVideosClient:
    """A thread-safe client. One pooled ``requests.Session`` serves every thread (one per process in the app).

    Retries live only in ``_send``: lookups (GET) retry connection errors, 429, 502, 503 and 504 with
    exponential back-off that honours ``Retry-After`` up to ``max_retry_wait``. The paid create call (POST) is
    retried only when the connection was never made; once sent, an unanswered POST raises
    ``OutcomeUnknownError`` and is never repeated.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        status_path: str = DEFAULT_STATUS_PATH,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        session: requests.Session | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_retry_wait: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        observe: Callable[[str, int | None, float], None] | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self.base_url = base_url
        self.status_path = status_path
        self.timeout = timeout
        self.models = tuple(models)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._observe = observe
        """Told of every exchange: ``("create" | "lookup", HTTP status or None, seconds)``, for metrics."""
        # Everything the API answers goes through this before anything reads it. (Exports, errors and logs use the
        # secrets the app registers with ``redaction.register``: a sandbox key is no secret, and registering it would
        # mask "sandbox-" in every path.)
        self._redactor = Redactor([api_key])
        self._session = session or _pooled_session()
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    def __repr__(self) -> str:
        return f"StarVideosClient(base_url={self.base_url!r}, api_key='***')"

    # Public calls -------------------------------------------------------------------------------------------

    def create_video(self, request: VideoRequest) -> VideoTask:
        """Create a task. Validates first (``ValidationError``, nothing sent); never re-sends a sent POST."""
        payload = request.to_payload(self.models)
        response = self._send("POST", join_url(self.base_url, CREATE_PATH), payload=payload, idempotent=False)
        return parse_task(self._json_body(response), http_status=response.status_code)

    def get_video(self, task_id: str, *, retries: int | None = None) -> VideoTask:
        """Look a task up at ``status_path``. ``retries`` overrides ``max_retries`` for this call."""
        if not task_id or not task_id.strip():
            raise ValueError("task_id is required")
        url = join_url(self.base_url, self.status_path.replace("{id}", quote(task_id.strip(), safe="")))
        try:
            response = self._send("GET", url, idempotent=True, retries=retries)
        except NotFoundError as exc:
            exc.hint = (f"The status lookup path may not exist on this API: check STARVIDEOS_STATUS_PATH "
                        f"(now {self.status_path!r}), or the task id.")
            raise
        return parse_task(self._json_body(response), http_status=response.status_code, fallback_id=task_id.strip())

    def wait(
        self,
        task_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 3.0,
        on_update: Callable[[VideoTask], None] | None = None,
    ) -> VideoTask:
        """Poll until the task is completed or failed; ``WaitTimeoutError`` (with the last task) past ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.get_video(task_id)
            if on_update is not None:
                on_update(task)
            if task.status.is_terminal:
                return task
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"Task {task.id} was still {task.status.value} after {timeout:g} seconds.", task=task)
            self._sleep(min(interval, remaining))

    def create_and_wait(self, request: VideoRequest, *, timeout: float = 600.0, interval: float = 3.0,
                        on_update: Callable[[VideoTask], None] | None = None) -> VideoTask:
        """Create a task and wait for it to finish."""
        task = self.create_video(request)
        if on_update is not None:
            on_update(task)
        return self.wait(task.id, timeout=timeout, interval=interval, on_update=on_update)

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    # The one place that sends, retries and maps errors ------------------------------------------------------

    def _send(self, method: str, url: str, *, payload: dict[str, Any] | None = None, idempotent: bool,
              retries: int | None = None) -> requests.Response:
        attempts = 1 + (self.max_retries if retries is None else retries)
        data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            started = time.monotonic()
            try:
                response = self._session.request(method, url, data=data, headers=self._headers,
                                                 timeout=self.timeout, allow_redirects=idempotent)
            except requests.RequestException as exc:
                self._observed(method, None, started)
                error = self._transport_error(method, url, exc)
                if last or isinstance(error, OutcomeUnknownError):
                    log.info("%s %s gave up: %s", method, self._path(url), error.message)
                    raise error from None
                delay = self._backoff(attempt, None)
                log.debug("%s %s failed (%s); retry %d in %.2f s", method, self._path(url), error.message, attempt,
                          delay)
                self._sleep(delay)
                continue
            self._observed(method, response.status_code, started)
            if response.status_code < 400:
                return response
            error = self._status_error(method, url, response)
            if last or not idempotent or response.status_code not in RETRY_STATUSES:
                log.debug("%s %s answered %d", method, self._path(url), response.status_code)
                raise error
            delay = self._backoff(attempt, getattr(error, "retry_after", None))
            log.debug("%s %s answered %d; retry %d in %.2f s", method, self._path(url), response.status_code, attempt,
                      delay)
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _observed(self, method: str, status: int | None, started: float) -> None:
        if self._observe is not None:
            self._observe("create" if method == "POST" else "lookup", status, time.monotonic() - started)

    def _transport_error(self, method: str, url: str, exc: requests.RequestException) -> StarVideosError:
        what = f"{method} {self._path(url)}"
        if _never_connected(exc):
            return APIConnectionError(f"Could not connect to the StarVideos API ({what}): nothing was sent.")
        kind = "timed out" if isinstance(exc, requests.Timeout) else "lost the connection"
        if method == "POST":
            return OutcomeUnknownError(f"The create request was sent but {kind} before an answer came back.")
        return APIConnectionError(f"The status lookup ({what}) {kind}.")

    def _status_error(self, method: str, url: str, response: requests.Response) -> APIStatusError:
        status = response.status_code
        body, text = self._read(response)
        if body is _NOT_JSON:
            body, detail = text[:2000], None
        else:
            detail = error_text(body)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = self._redactor.text(response.reason or "Error")
        if detail:
            message = f"HTTP {status} {reason}: {detail[:500]}"
        elif isinstance(body, str):
            message = f"HTTP {status} {reason} (non-JSON response)"
        else:
            message = f"HTTP {status} {reason}"
        cls = error_class_for_status(status)
        if cls is RateLimitError:
            return RateLimitError(message, body=body, retry_after=_retry_after(response))
        return cls(message, status_code=status, body=body)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_wait)
        return min(self.backoff * 2.0 ** (attempt - 1) * (0.5 + random.random() / 2), self.max_retry_wait)

    def _path(self, url: str) -> str:
        return url[len(self.base_url.rstrip("/")):] or "/"

    def _read(self, response: requests.Response) -> tuple[Any, str]:
        """The answer's decoded JSON (``_NOT_JSON`` when it is not JSON) and its text, both without the key.

        JSON is decoded before redacting: a key escaped as ``sk\\u002d…`` is a plain key once decoded, and every
        string in the answer is then redacted as text too (URL-encoded, upper-cased, cut short, after Bearer).
        """
        text = response.text
        try:
            body: Any = json.loads(text)
        except (ValueError, RecursionError):  # nested deeper than the decoder goes: not an answer to read
            return _NOT_JSON, self._redactor.text(text)
        return self._redactor.value(body), self._redactor.text(text)

    def _json_body(self, response: requests.Response) -> Any:
        body, text = self._read(response)
        if not text.strip():
            raise InvalidResponseError(f"HTTP {response.status_code}: the answer was empty.",
                                       status_code=response.status_code, body=text)
        if body is _NOT_JSON:
            raise InvalidResponseError(f"HTTP {response.status_code}: the answer was not JSON.",
                                       status_code=response.status_code, body=text[:2000])
        return body


def curl_command(base_url: str, payload: dict[str, Any]) -> str:
    """The create call as a copyable cURL command; the key stays in ``$STARVIDEOS_API_KEY``, never written out."""
    body = json.dumps(payload, ensure_ascii=False, indent=2)
    # A quoted heredoc passes the body verbatim, whatever quotes or $ the prompt contains.
    return (f"curl --request POST \\\n  --url {join_url(base_url, CREATE_PATH)} \\\n"
            '  --header "Authorization: Bearer $STARVIDEOS_API_KEY" \\\n'
            "  --header 'Content-Type: application/json' \\\n"
            f"  --data @- <<'JSON'\n{body}\nJSON")


def _pooled_session() -> requests.Session:
    session = requests.Session()
    # Transport-level retries are off: this client decides what is safe to retry.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)  # one per poller worker
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the connection was never made, so no request bytes can have reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
