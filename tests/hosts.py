"""Misbehaving web hosts on loopback, for the fetch, probe and download tests: slow drips, silence, redirects,
huge and endless bodies, HTML where a picture or video should be."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    """Routes: /file?name=… (a registered body), /drip?every=S (one byte every S seconds, for ever), /silent (never
    answers), /hop/N (N redirects, then /file?name=image), /to?u=URL (a redirect to URL), /endless (an endless
    body without a length), /huge (announces 10 GB), /slow-video?every=S (a video dripping 8 KB every S seconds),
    /expired (a signed link's 403), /html (a web page)."""

    files: ClassVar[dict[str, tuple[bytes, str]]] = {}
    hits: ClassVar[Counter[str]] = Counter()
    """Requests received per path and query, to check what was fetched how often."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.hits[self.path] += 1
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/file":
            body, content_type = self.files[query["name"]]
            self._send(200, body, content_type)
        elif parts.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self._drip(float(query.get("every", "1")))
        elif parts.path == "/drip-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(float(query.get("every", "1")), b"X-Slow: a\r\n")
        elif parts.path == "/silent":
            time.sleep(60)
        elif parts.path.startswith("/hop/"):
            n = int(parts.path.rsplit("/", 1)[1])
            self._redirect(f"/hop/{n - 1}" if n > 0 else "/file?name=image")
        elif parts.path == "/to":
            self._redirect(query["u"])
        elif parts.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            chunk = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 65_000
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return
        elif parts.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(10 * 2**30))
            self.end_headers()
            self.wfile.write(b"\x00\x00\x00\x18ftypmp42")
        elif parts.path == "/slow-video":  # a real-looking video that arrives a chunk every ?every= seconds
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(100 * 2**20))
            self.end_headers()
            self.wfile.write(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 65_000)
            self._drip(float(query.get("every", "0.1")), b"\x00" * 8192)
        elif parts.path == "/odd-length":  # a video whose Content-Length is '²' (isdigit() is true, int() refuses)
            body = self.files["video"][0] if "video" in self.files else b"\x00\x00\x00\x18ftypmp42"
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", "\u00b2")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
        elif parts.path == "/expired":
            self._send(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                       "application/xml")
        elif parts.path == "/html":
            self._send(200, b"<!doctype html><html><body>Not a file</body></html>", "text/html")
        else:
            self._send(404, b"missing", "text/plain")

    def _drip(self, every: float, unit: bytes = b"x") -> None:
        try:
            while True:
                self.wfile.write(unit)
                self.wfile.flush()
                time.sleep(every)
        except OSError:
            return

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Host:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def allow(self) -> set[tuple[str, int]]:
        return {("127.0.0.1", self.port)}

    def add(self, name: str, body: bytes, content_type: str) -> str:
        Handler.files[name] = (body, content_type)
        return f"{self.base}/file?name={name}"


@contextmanager
def misbehaving_host() -> Iterator[Host]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Host(server)
    finally:
        server.shutdown()
        server.server_close()


class WebhookReceiver:
    """A chat's incoming webhook on loopback: records each JSON body it is posted, answering with the statuses
    queued in ``answers`` (then 200), with an optional ``Retry-After``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.answers: list[tuple[int, str | None]] = []
        self._lock = threading.Lock()
        receiver = self

        class Hook(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                import json

                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with receiver._lock:
                    receiver.bodies.append(body)
                    status, retry_after = receiver.answers.pop(0) if receiver.answers else (200, None)
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/services/T000/B000/secret-token"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()
