"""The client over real loopback HTTP: exact requests, every error class, and which calls are retried."""

from __future__ import annotations

import socket

import pytest

from starvideos import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    StarVideosClient,
    StarVideosError,
    TaskStatus,
    ValidationError,
    VideoRequest,
    WaitTimeoutError,
    join_url,
)
from starvideos.client import USER_AGENT
from starvideos.sandbox import Fault, SandboxServer
from tests.conftest import DUMMY_KEY

REQUEST = VideoRequest("A cyberpunk city at night", duration=7, ratio="9:16",
                       images=("https://e.com/first.png", "https://e.com/last.png"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("base", "path", "url"), [
    ("https://h.test/kyyReactApiServer", "/v1/starvideos/videos", "https://h.test/kyyReactApiServer/v1/starvideos/videos"),
    ("https://h.test/kyyReactApiServer/", "/v1/x", "https://h.test/kyyReactApiServer/v1/x"),
    ("https://h.test/kyyReactApiServer//", "v1/x", "https://h.test/kyyReactApiServer/v1/x"),
    ("https://h.test", "/v1/x", "https://h.test/v1/x"),
])
def test_join_url(base: str, path: str, url: str) -> None:
    """Test that base URL and path are joined with exactly one slash."""
    assert join_url(base, path) == url


def test_create_sends_exact_body_and_headers(client: StarVideosClient, sandbox: SandboxServer) -> None:
    """Test that create_video POSTs the documented body and headers once and parses the answer."""
    task = client.create_video(REQUEST)
    [sent] = sandbox.received()
    assert (sent.method, sent.path) == ("POST", "/v1/starvideos/videos")
    assert sent.body == {"prompt": "A cyberpunk city at night", "model": "starvideos_v3", "duration": 7,
                         "ratio": "9:16", "images": ["https://e.com/first.png", "https://e.com/last.png"]}
    assert sent.headers["Authorization"] == f"Bearer {DUMMY_KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("starvideos-studio/0.2.0")
    assert task.status is TaskStatus.QUEUED and task.id.startswith("video_starvideos_")
    assert task.model == "starvideos_v3" and task.raw["object"] == "video"


def test_path_prefix_is_kept(sandbox: SandboxServer) -> None:
    """Test that a base URL with a prefix and trailing slash reaches prefix + path exactly once."""
    c = StarVideosClient(sandbox.base_url + "/kyyReactApiServer/", DUMMY_KEY)
    with pytest.raises(NotFoundError):
        c.create_video(VideoRequest("cat"))
    assert [r.path for r in sandbox.received()] == ["/kyyReactApiServer/v1/starvideos/videos"]


def test_invalid_request_sends_nothing(client: StarVideosClient, sandbox: SandboxServer) -> None:
    """Test that validation fails before any request is made."""
    with pytest.raises(ValidationError):
        client.create_video(VideoRequest("", duration=99))
    assert sandbox.received() == []


def test_get_and_wait_follow_the_task_to_its_video(client: StarVideosClient, sandbox: SandboxServer) -> None:
    """Test that wait polls the status path until completed and reports every update."""
    task = client.create_video(VideoRequest("cat"))
    seen: list[TaskStatus] = []
    done = StarVideosClient(sandbox.base_url, DUMMY_KEY).wait(task.id, timeout=10, interval=0.05,
                                                             on_update=lambda t: seen.append(t.status))
    assert done.status is TaskStatus.COMPLETED
    assert done.video_url == f"{sandbox.base_url}/clips/{task.id}.mp4"
    assert seen[-1] is TaskStatus.COMPLETED and TaskStatus.PROCESSING in seen
    assert all(r.path == f"/v1/starvideos/videos/{task.id}" for r in sandbox.received("GET"))


def test_create_and_wait(sandbox: SandboxServer) -> None:
    """Test that create_and_wait creates once, reports the creation and every lookup, and returns the video."""
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY)
    seen: list[TaskStatus] = []
    done = c.create_and_wait(VideoRequest("cat"), timeout=10, interval=0.05, on_update=lambda t: seen.append(t.status))
    assert done.status is TaskStatus.COMPLETED and done.video_url == f"{sandbox.base_url}/clips/{done.id}.mp4"
    assert seen[0] is TaskStatus.QUEUED and seen[-1] is TaskStatus.COMPLETED
    assert len(sandbox.received("POST")) == 1 and len(sandbox.received("GET")) == len(seen) - 1


def test_wait_deadline_raises_with_last_task(sandbox: SandboxServer) -> None:
    """Test that wait gives up at its deadline with WaitTimeoutError carrying the last status."""
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY)
    sandbox.processing_seconds = 60
    task = c.create_video(VideoRequest("cat"))
    with pytest.raises(WaitTimeoutError) as info:
        c.wait(task.id, timeout=0.4, interval=0.1)
    assert info.value.task.id == task.id
    assert info.value.task.status in (TaskStatus.QUEUED, TaskStatus.PROCESSING)


def test_custom_status_path(sandbox: SandboxServer) -> None:
    """Test that the configurable status path is used, with the id URL-quoted."""
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY, status_path="/v2/tasks/{id}/status", max_retries=0)
    with pytest.raises(NotFoundError) as info:
        c.get_video("a/b c")
    assert sandbox.received()[0].path == "/v2/tasks/a%2Fb%20c/status"
    assert "STARVIDEOS_STATUS_PATH" in info.value.hint and "/v2/tasks/{id}/status" in info.value.hint


ERRORS = [
    # (fault, class, exact message)
    (Fault(400, '{"error": {"message": "prompt is required"}}'), BadRequestError,
     "HTTP 400 Bad Request: prompt is required"),
    (Fault(401, '{"error": "invalid api key"}'), AuthenticationError, "HTTP 401 Unauthorized: invalid api key"),
    (Fault(403, '{"message": "forbidden model"}'), AuthenticationError, "HTTP 403 Forbidden: forbidden model"),
    (Fault(404, '{"msg": "no such route"}'), NotFoundError, "HTTP 404 Not Found: no such route"),
    (Fault(409, '{"error": "duplicate"}'), ConflictError, "HTTP 409 Conflict: duplicate"),
    (Fault(422, '{"detail": "duration out of range"}'), BadRequestError,
     "HTTP 422 Unprocessable Entity: duration out of range"),
    (Fault(429, '{"error": "slow down"}', headers={"Retry-After": "7"}), RateLimitError,
     "HTTP 429 Too Many Requests: slow down"),
    (Fault(500, '{"error": {"message": "boom"}}'), ServerError, "HTTP 500 Internal Server Error: boom"),
    (Fault(502, "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>", "text/html"),
     ServerError, "HTTP 502 Bad Gateway (non-JSON response)"),
    (Fault(503, ""), ServerError, "HTTP 503 Service Unavailable (non-JSON response)"),
    (Fault(504, "{}"), ServerError, "HTTP 504 Gateway Timeout"),
    (Fault(418, "{}"), APIStatusError, "HTTP 418 I'm a Teapot"),
    (Fault(200, ""), InvalidResponseError, "HTTP 200: the answer was empty."),
    (Fault(200, "<html>ok</html>", "text/html"), InvalidResponseError, "HTTP 200: the answer was not JSON."),
    (Fault(200, '{"id": "a", "status": "queued"'), InvalidResponseError, "HTTP 200: the answer was not JSON."),
    (Fault(200, '{"object": "video", "status": "queued"}'), InvalidResponseError,
     "HTTP 200: the answer has no task id"),
]


@pytest.mark.parametrize(("fault", "cls", "message"), ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_create_error_classes(client: StarVideosClient, sandbox: SandboxServer, fault: Fault,
                              cls: type[StarVideosError], message: str) -> None:
    """Test that each API answer to create raises its class and message, and the POST is sent exactly once."""
    sandbox.inject(fault)
    with pytest.raises(cls) as info:
        client.create_video(VideoRequest("cat"))
    assert type(info.value) is cls
    assert str(info.value) == message
    assert len(sandbox.received("POST")) == 1
    if isinstance(info.value, APIStatusError):
        assert info.value.status_code == fault.status
    if cls is RateLimitError:
        assert info.value.retry_after == 7.0 and info.value.hint == "Wait 7 seconds and try again."


def test_post_never_repeated_after_timeout(sandbox: SandboxServer, sleeps: list[float]) -> None:
    """Test that a create call that times out after sending raises OutcomeUnknownError without a second POST."""
    sandbox.inject(Fault(200, delay=1.0, method="POST"))
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY, timeout=(2.0, 0.3), sleep=sleeps.append)
    with pytest.raises(OutcomeUnknownError,
                       match=r"^The create request was sent but timed out before an answer came back\.$"):
        c.create_video(VideoRequest("cat"))
    assert len(sandbox.received("POST")) == 1 and sleeps == []


@pytest.mark.parametrize("drop", ["before", "mid_body"])
def test_post_never_repeated_after_dropped_connection(client: StarVideosClient, sandbox: SandboxServer,
                                                      sleeps: list[float], drop: str) -> None:
    """Test that a connection dropped after sending (or mid-body) is an unknown outcome, sent once."""
    sandbox.inject(Fault(200, drop=drop, method="POST"))
    with pytest.raises(OutcomeUnknownError,
                       match=r"^The create request was sent but lost the connection before an answer came back\.$"):
        client.create_video(VideoRequest("cat"))
    assert len(sandbox.received("POST")) == 1 and sleeps == []


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_post_not_retried_on_status(client: StarVideosClient, sandbox: SandboxServer, status: int) -> None:
    """Test that 429 and 5xx to a create call raise at once: one POST."""
    sandbox.inject(Fault(status, times=5))
    with pytest.raises(APIStatusError):
        client.create_video(VideoRequest("cat"))
    assert len(sandbox.received("POST")) == 1


def test_post_retried_only_when_never_connected(sleeps: list[float]) -> None:
    """Test that a refused connection is retried (nothing was sent) and then reported as APIConnectionError."""
    port = closed_port()
    c = StarVideosClient(f"http://127.0.0.1:{port}", DUMMY_KEY, max_retries=2, sleep=sleeps.append)
    with pytest.raises(APIConnectionError,
                       match=r"^Could not connect to the StarVideos API \(POST /v1/starvideos/videos\): "
                             r"nothing was sent\.$"):
        c.create_video(VideoRequest("cat"))
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get_retries_transient_statuses(client: StarVideosClient, sandbox: SandboxServer, sleeps: list[float],
                                        status: int) -> None:
    """Test that a lookup retries 429/502/503/504 with back-off and succeeds on the third call."""
    task = client.create_video(VideoRequest("cat"))
    sandbox.inject(Fault(status, method="GET", times=2))
    assert client.get_video(task.id).id == task.id
    assert len(sandbox.received("GET")) == 3 and len(sleeps) == 2
    assert sleeps[0] <= 0.5 and sleeps[1] <= 1.0


def test_get_honours_retry_after_with_a_cap(sandbox: SandboxServer, sleeps: list[float]) -> None:
    """Test that Retry-After is waited for, capped at max_retry_wait."""
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY, max_retry_wait=5.0, sleep=sleeps.append)
    task = c.create_video(VideoRequest("cat"))
    sandbox.inject(Fault(429, method="GET", headers={"Retry-After": "2"}))
    sandbox.inject(Fault(429, method="GET", headers={"Retry-After": "3600"}))
    c.get_video(task.id)
    assert sleeps == [2.0, 5.0]


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_get_does_not_retry_other_statuses(client: StarVideosClient, sandbox: SandboxServer, status: int) -> None:
    """Test that a lookup does not retry statuses that will not change on their own."""
    sandbox.inject(Fault(status, method="GET", times=3))
    with pytest.raises(APIStatusError):
        client.get_video("video_x")
    assert len(sandbox.received("GET")) == 1


def test_get_gives_up_after_max_retries(client: StarVideosClient, sandbox: SandboxServer) -> None:
    """Test that a lookup makes 1 + max_retries calls, then raises the last error."""
    sandbox.inject(Fault(503, method="GET", times=10))
    with pytest.raises(ServerError):
        client.get_video("video_x")
    assert len(sandbox.received("GET")) == 3


def test_get_connection_reset_is_retried(client: StarVideosClient, sandbox: SandboxServer) -> None:
    """Test that a lookup whose connection is reset mid-body is retried (it is read-only)."""
    task = client.create_video(VideoRequest("cat"))
    sandbox.inject(Fault(200, drop="mid_body", method="GET"))
    assert client.get_video(task.id).id == task.id
    assert len(sandbox.received("GET")) == 2


def test_get_timeout_is_a_connection_error(sandbox: SandboxServer, sleeps: list[float]) -> None:
    """Test that a slow lookup past the read timeout raises APIConnectionError with plain text."""
    sandbox.inject(Fault(200, delay=1.0, method="GET"))
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY, timeout=(2.0, 0.3), max_retries=0)
    with pytest.raises(APIConnectionError, match=r"^The status lookup \(GET /v1/starvideos/videos/v1\) timed out\.$"):
        c.get_video("v1")


def test_key_never_in_errors_or_repr(sandbox: SandboxServer) -> None:
    """Test that an API echoing the key back does not leak it into messages, bodies or reprs."""
    c = StarVideosClient(sandbox.base_url, DUMMY_KEY, max_retries=0)
    sandbox.inject(Fault(401, f'{{"error": "bad key {DUMMY_KEY}"}}'))
    sandbox.inject(Fault(500, f"<html>{DUMMY_KEY}</html>", "text/html"))
    errors = []
    for _ in range(2):
        with pytest.raises(APIStatusError) as info:
            c.create_video(VideoRequest("cat"))
        errors.append(info.value)
    assert str(errors[0]) == "HTTP 401 Unauthorized: bad key ***"
    for err in errors:
        assert DUMMY_KEY not in f"{err} {err!r} {err.hint} {err.body!r}"
    assert errors[0].body == {"error": "bad key ***"}
    assert DUMMY_KEY not in repr(c)
    assert errors[1].body == "<html>***</html>"


@pytest.mark.skipif(not __import__("shutil").which("curl"), reason="curl is not installed")
def test_curl_command_sends_the_same_request(sandbox: SandboxServer) -> None:
    """Test that the copyable cURL command, run by bash, sends the client's exact body with the key from the env."""
    import os
    import subprocess

    from starvideos.client import curl_command
    request = VideoRequest("It's $HOME \"quoted\" `tick`", images=("https://e.com/a.png",))
    command = curl_command(sandbox.base_url, request.to_payload())
    assert DUMMY_KEY not in command
    result = subprocess.run(["bash", "-c", command + "\n"], env={**os.environ, "STARVIDEOS_API_KEY": DUMMY_KEY},
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    [sent] = sandbox.received("POST")
    assert sent.body == request.to_payload()
    assert sent.headers["Authorization"] == f"Bearer {DUMMY_KEY}"
