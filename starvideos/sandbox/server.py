"""A local simulated StarVideos API that follows the documented contract.

Tasks move queued → processing → completed over a few seconds; a completed task's ``video_url`` points at a small
H.264 clip of its own, of the duration and aspect ratio it asked for, that this server serves (``clips.py``). A
prompt containing ``#fail`` ends in ``failed``. Faults can be injected for tests, in-process (``inject``) or over
HTTP (``POST /_sandbox/faults``); every API request is logged (``received`` or ``GET /_sandbox/requests``). It binds
127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ..models import DEFAULT_MODEL, TaskStatus, VideoRequest
from .clips import DEFAULT_SECONDS, ClipMaker, clip_seconds

API_PATH = "/v1/starvideos/videos"
REQUIRED = ("prompt", "model")  # documented as required; the rest have defaults
ASSETS = {
    "/assets/sample.mp4": ("sample.mp4", "video/mp4"),
    "/assets/wide.png": ("wide.png", "image/png"),
    "/assets/tall.png": ("tall.png", "image/png"),
    "/assets/wide-last.png": ("wide-last.png", "image/png"),
}


@dataclass
class Fault:
    """What to do instead of answering normally, for the next ``times`` matching requests."""

    status: int = 500
    body: str | None = None
    """Raw body; None gives a JSON error body."""
    content_type: str = "application/json"
    delay: float = 0.0
    """Seconds to wait before answering (past the client's read timeout: a timeout)."""
    drop: str | None = None
    """``before`` closes without answering; ``mid_body`` sends headers and half a body, then closes."""
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path_contains: str | None = None
    times: int = 1


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float = 0.0
    """When it arrived (``time.time()``): pacing is checked against it."""


@dataclass
class _Task:
    id: str
    model: str
    created: int
    started: float
    fail: bool
    seconds: int = DEFAULT_SECONDS
    ratio: str = "16:9"


class SandboxServer:
    """Run the simulated API in a background thread. Use as a context manager or ``start()``/``stop()``."""

    def __init__(self, port: int = 0, *, queued_seconds: float = 1.5, processing_seconds: float = 3.0,
                 lookup_delay: float = 0.0, path_prefix: str = "", files: Path | None = None,
                 files_rate: float | None = None) -> None:
        self.queued_seconds = queued_seconds
        self.processing_seconds = processing_seconds
        self.lookup_delay = lookup_delay
        self.path_prefix = path_prefix.rstrip("/")
        """Served before the API paths, like the real API's ``/kyyReactApiServer``."""
        self.files_rate = files_rate
        """Bytes a second for ``/files/…`` answers (a provider's CDN is not as fast as loopback); None: as fast as
        it goes."""
        self.assets_expired = False
        """When True, the video and pictures answer 403, as a provider's signed links do once they expire."""
        self.files = files
        """A folder served read-only at ``/files/…`` (the app's local storage, so uploads have a URL the simulated
        API could fetch, as a bucket's signed link would be)."""
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._clips = ClipMaker()
        self._prompts: dict[str, str] = {}
        self._lookups_now = 0
        self.peak_lookups = 0
        """The most status lookups that were being answered at the same moment (tests of parallelism)."""
        self._httpd = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                            name="starvideos-sandbox", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self._httpd.close_connections()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Test controls --------------------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Answer the next matching request(s) with ``fault``."""
        with self._lock:
            self._faults.append(fault)

    def received(self, method: str | None = None) -> list[RecordedRequest]:
        """API requests received so far (controls and assets excluded), oldest first."""
        with self._lock:
            return [r for r in self._requests if method is None or r.method == method]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()

    def file_url(self, key: str) -> str:
        return f"{self.base_url}/files/{quote(key)}"

    def sample_image_urls(self) -> dict[str, str]:
        return {name: f"{self.base_url}/assets/{name}.png" for name in ("wide", "tall", "wide-last")}

    # Behaviour ------------------------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.method in (None, method)) and (fault.path_contains is None or fault.path_contains in path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _create(self, payload: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(payload, dict):
            return 400, {"error": {"message": "The body must be a JSON object.", "type": "invalid_request"}}
        if isinstance(payload.get("images"), list):
            payload = {**payload, "images": payload["images"][:2]}  # documented: only the first 2 images are used
        request = VideoRequest.from_payload(payload)
        problems = [f"{name.capitalize()}: is required." for name in REQUIRED if name not in payload]
        problems += request.problems()
        if problems:
            return 400, {"error": {"message": " ".join(problems), "type": "invalid_request"}}
        # The id carries its creation time, fate, duration and ratio, so lookups need no memory: tasks made before
        # a restart of the app (and its in-process sandbox) still progress, complete, and play as asked.
        created_ms = int(time.time() * 1000)
        fate = "f" if "#fail" in request.prompt else "c"
        seconds = clip_seconds(request.duration)
        shape = _SHAPES.get(str(request.ratio), "w")
        task = _Task(id=f"video_starvideos_{created_ms}{fate}{seconds:02d}{shape}{uuid.uuid4().hex[:8]}",
                     model=request.model, created=created_ms // 1000, started=created_ms / 1000, fail=fate == "f",
                     seconds=seconds, ratio=str(request.ratio))
        with self._lock:  # for the words on the task's clip; after a restart the clip is drawn without them
            self._prompts[task.id] = request.prompt
            if len(self._prompts) > 10_000:
                self._prompts.pop(next(iter(self._prompts)))
        return 200, self._describe(task, TaskStatus.QUEUED)

    def _lookup(self, task_id: str) -> tuple[int, dict[str, Any]]:
        task = _parse_task_id(task_id)
        if task is None:
            return 404, {"error": {"message": f"No task with id {task_id}.", "type": "not_found"}}
        elapsed = time.time() - task.started
        if elapsed < self.queued_seconds:
            status = TaskStatus.QUEUED
        elif elapsed < self.queued_seconds + self.processing_seconds:
            status = TaskStatus.PROCESSING
        else:
            status = TaskStatus.FAILED if task.fail else TaskStatus.COMPLETED
        return 200, self._describe(task, status)

    def _describe(self, task: _Task, status: TaskStatus) -> dict[str, Any]:
        answer: dict[str, Any] = {"id": task.id, "object": "video", "created": task.created, "model": task.model,
                                  "status": status.value, "error": None}
        if status is TaskStatus.FAILED:
            answer["error"] = "Sandbox: simulated failure (the prompt asked for #fail)."
        if status is TaskStatus.COMPLETED:
            answer["video_url"] = f"{self.base_url}/clips/{task.id}.mp4"
        return answer


# Ids made before duration and ratio were carried (no ``dd`` + ``w``/``t``) still parse: 5 s, 16:9.
_ID = re.compile(r"^video_starvideos_(\d{13})([cf])(?:(\d{2})([wt]))?[0-9a-f]{8}$")
_SHAPES = {"16:9": "w", "9:16": "t"}
_RATIOS = {shape: ratio for ratio, shape in _SHAPES.items()}


def _parse_task_id(task_id: str) -> _Task | None:
    match = _ID.match(task_id)
    if match is None:
        return None
    created_ms = int(match.group(1))
    seconds = clip_seconds(int(match.group(3))) if match.group(3) else DEFAULT_SECONDS
    return _Task(id=task_id, model=DEFAULT_MODEL, created=created_ms // 1000, started=created_ms / 1000,
                 fail=match.group(2) == "f", seconds=seconds, ratio=_RATIOS.get(match.group(4) or "w", "16:9"))


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.open_connections: set[socket.socket] = set()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Hang up on keep-alive clients too, so a stopped sandbox behaves like a dead server."""
        for connection in list(self.open_connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (tests, timeouts, browsers) are normal here, not worth a traceback


def _handler_for(sandbox: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, each answer waits ~40 ms for a delayed ACK.
        disable_nagle_algorithm = True
        server_version = "StarVideosSandbox/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests and the app have their own output

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            if sandbox.path_prefix and path.startswith(sandbox.path_prefix + "/"):
                path = path[len(sandbox.path_prefix):]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if path.startswith("/_sandbox/"):
                return self._control(method, path, raw)
            if method == "GET" and path in ASSETS:
                if sandbox.assets_expired:
                    return self._json(403, {"error": {"message": "Request has expired."}})
                return self._asset(path)
            if method == "GET" and path.startswith("/clips/") and path.endswith(".mp4"):
                if sandbox.assets_expired:
                    return self._json(403, {"error": {"message": "Request has expired."}})
                return self._clip(path[len("/clips/"):-len(".mp4")])
            if method == "GET" and path.startswith("/files/"):
                return self._file(unquote(path[len("/files/"):]))
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            with sandbox._lock:
                sandbox._requests.append(RecordedRequest(method, self.path, dict(self.headers.items()), body,
                                                          time.time()))
            fault = sandbox._take_fault(method, path)
            if fault is not None:
                return self._fault(fault)
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or not auth[7:].strip():
                return self._json(401, {"error": {"message": "Missing bearer token.", "type": "unauthorized"}})
            if method == "POST" and path.rstrip("/") == API_PATH:
                if isinstance(body, str):  # the body did not parse as JSON
                    return self._json(400, {"error": {"message": "The body is not valid JSON."}})
                return self._json(*sandbox._create(body))
            if method == "GET" and path.startswith(API_PATH + "/"):
                with sandbox._lock:
                    sandbox._lookups_now += 1
                    sandbox.peak_lookups = max(sandbox.peak_lookups, sandbox._lookups_now)
                try:
                    if sandbox.lookup_delay:
                        time.sleep(sandbox.lookup_delay)
                    return self._json(*sandbox._lookup(path[len(API_PATH) + 1:]))
                finally:
                    with sandbox._lock:
                        sandbox._lookups_now -= 1
            return self._json(404, {"error": {"message": f"No route for {method} {path}."}})

        def _control(self, method: str, path: str, raw: bytes) -> None:
            if path == "/_sandbox/requests" and method == "GET":
                return self._json(200, [asdict(r) for r in sandbox.received()])
            if path == "/_sandbox/requests" and method == "DELETE":
                sandbox.clear()
                return self._json(200, {"ok": True})
            if path == "/_sandbox/faults" and method == "POST":
                sandbox.inject(Fault(**json.loads(raw)))
                return self._json(200, {"ok": True})
            return self._json(404, {"error": {"message": "Unknown sandbox control."}})

        def _asset(self, path: str) -> None:
            name, content_type = ASSETS[path]
            data = resources.files(__package__).joinpath("assets", name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "public, max-age=3600")
            self.send_header("Accept-Ranges", "none")
            self.end_headers()
            self.wfile.write(data)

        def _clip(self, task_id: str) -> None:
            task = _parse_task_id(task_id)
            if task is None:
                return self._json(404, {"error": {"message": "No such clip."}})
            with sandbox._lock:
                prompt = sandbox._prompts.get(task_id, "")
            data = sandbox._clips.clip(task_id, prompt, task.ratio, task.seconds)
            if data is None:
                return self._asset("/assets/sample.mp4")
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "public, max-age=3600")
            self.end_headers()
            self.wfile.write(data)

        def _file(self, key: str) -> None:
            root = sandbox.files.resolve() if sandbox.files else None
            target = (root / key).resolve() if root else None
            if target is None or root not in target.parents or not target.is_file():
                return self._json(404, {"error": {"message": "No such file."}})
            data = target.read_bytes()
            kind = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".mp4": "video/mp4",
                    ".webm": "video/webm"}.get(target.suffix, "application/octet-stream")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if not sandbox.files_rate:
                self.wfile.write(data)
                return
            started, step = time.monotonic(), 256 * 1024
            for offset in range(0, len(data), step):
                self.wfile.write(data[offset:offset + step])
                ahead = (offset + step) / sandbox.files_rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)

        def _fault(self, fault: Fault) -> None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop == "before":
                self.close_connection = True
                return
            body = (fault.body if fault.body is not None else json.dumps(
                {"error": {"message": f"Sandbox fault: HTTP {fault.status}", "type": "sandbox_fault"}}))
            data = body.encode("utf-8")
            self.send_response(fault.status)
            self.send_header("Content-Type", fault.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in fault.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if fault.drop == "mid_body":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(data)

        def _json(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
