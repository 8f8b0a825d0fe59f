"""The image probe: what it reports, and that it cannot be turned against private addresses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from starvideos.probe import ImageProbe, address_problem, frames_advice, probe_image, ratio_advice
from starvideos.sandbox import SandboxServer


class Redirector(BaseHTTPRequestHandler):
    """/hop/N redirects to /hop/N-1; /hop/0 redirects to the sandbox image; /to?u=URL redirects to URL."""

    target = ""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/hop/"):
            n = int(self.path.rsplit("/", 1)[1])
            location = f"/hop/{n - 1}" if n > 0 else self.target
        else:
            location = self.path.split("u=", 1)[1]
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def redirector(sandbox: SandboxServer) -> Iterator[ThreadingHTTPServer]:
    Redirector.target = sandbox.sample_image_urls()["wide"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def allow(*servers: object) -> set[tuple[str, int]]:
    return {("127.0.0.1", s.port if isinstance(s, SandboxServer) else s.server_address[1]) for s in servers}


def test_probe_reports_type_size_and_dimensions(sandbox: SandboxServer) -> None:
    """Test that a reachable image reports status, content type, bytes and pixel size."""
    probe = probe_image(sandbox.sample_image_urls()["wide"], allow=allow(sandbox))
    assert (probe.ok, probe.status_code, probe.content_type, probe.width, probe.height) == (
        True, 200, "image/png", 640, 360)
    assert probe.size == 5582
    assert probe.summary() == "HTTP 200 · image/png · 640×360 px · 5.5 KB"


@pytest.mark.parametrize(("path", "error"), [
    ("/assets/missing.png", "The image URL answered HTTP 401; it must be publicly reachable."),
    ("/assets/sample.mp4", "The URL answered, but not with an image we could read (PNG, JPEG, WebP, GIF)."),
])
def test_probe_reports_unusable_answers(sandbox: SandboxServer, path: str, error: str) -> None:
    """Test that non-200 answers and non-images are reported in plain words."""
    probe = probe_image(sandbox.base_url + path, allow=allow(sandbox))
    assert (probe.ok, probe.error) == (False, error)


def test_body_is_capped(sandbox: SandboxServer) -> None:
    """Test that an image larger than the cap is refused from its Content-Length."""
    probe = probe_image(sandbox.base_url + "/assets/sample.mp4", allow=allow(sandbox), max_bytes=1000)
    assert probe.error == "The image is 55.5 KB; the limit is 1000 B."


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("::1", "::1 is a loopback address"),
    ("::ffff:127.0.0.1", "::ffff:127.0.0.1 is a loopback address"),
    ("::ffff:10.0.0.1", "::ffff:10.0.0.1 is a private network address"),
    ("10.1.2.3", "10.1.2.3 is a private network address"),
    ("172.16.0.1", "172.16.0.1 is a private network address"),
    ("192.168.1.1", "192.168.1.1 is a private network address"),
    ("169.254.169.254", "169.254.169.254 is a link-local address (cloud metadata lives there)"),
    ("fe80::1", "fe80::1 is a link-local address (cloud metadata lives there)"),
    ("fd00::1", "fd00::1 is a private network address"),
    ("224.0.0.1", "224.0.0.1 is a multicast address"),
    ("ff02::1", "ff02::1 is a multicast address"),
    ("0.0.0.0", "0.0.0.0 is a private network address"),
    ("240.0.0.1", "240.0.0.1 is a private network address"),
    ("100.64.0.1", "100.64.0.1 is a reserved address"),
    ("93.184.216.34", None),
    ("2606:4700::1111", None),
])
def test_address_rules(address: str, reason: str | None) -> None:
    """Test that every non-public address class is refused and public ones pass."""
    assert address_problem(address) == reason


@pytest.mark.parametrize(("url", "addresses", "error"), [
    ("http://localhost/cat.png", ["127.0.0.1"], "localhost resolves to 127.0.0.1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", ["169.254.169.254"],
     "169.254.169.254 is a link-local address (cloud metadata lives there)"),
    ("https://rebind.example/cat.png", ["93.184.216.34", "10.0.0.5"],
     "rebind.example resolves to 10.0.0.5 is a private network address"),
    ("https://v6.example/cat.png", ["::1"], "v6.example resolves to ::1 is a loopback address"),
    ("ftp://example.com/cat.png", [], "must start with http:// or https:// (got 'ftp:')"),
    ("file:///etc/passwd", [], "must start with http:// or https:// (got 'file:')"),
])
def test_refused_targets_are_never_contacted(url: str, addresses: list[str], error: str) -> None:
    """Test that URLs resolving to any non-public address are refused before connecting."""
    probe = probe_image(url, resolver=lambda host, port: addresses)
    assert probe == ImageProbe(url, ok=False, error=f"Not checked: {error}. Only public image URLs can be used.")


def test_sandbox_allowance_is_exact(sandbox: SandboxServer) -> None:
    """Test that allowing the sandbox's address does not allow another loopback port."""
    other = sandbox.base_url.replace(str(sandbox.port), str(sandbox.port + 1 if sandbox.port < 65535 else 1))
    assert probe_image(other + "/assets/wide.png", allow=allow(sandbox)).error == (
        "Not checked: 127.0.0.1 is a loopback address. Only public image URLs can be used.")


def test_redirects_are_followed_and_each_hop_checked(sandbox: SandboxServer,
                                                     redirector: ThreadingHTTPServer) -> None:
    """Test that up to 3 redirects are followed, a 4th is refused, and a hop to a disallowed address is refused."""
    base = f"http://127.0.0.1:{redirector.server_address[1]}"
    both = allow(sandbox, redirector)
    assert probe_image(f"{base}/hop/2", allow=both).width == 640  # 3 redirects in all
    assert probe_image(f"{base}/hop/3", allow=both).error == "More than 3 redirects; link the image directly."
    assert probe_image(f"{base}/hop/0", allow=allow(redirector)).error == (
        "Not checked: 127.0.0.1 is a loopback address. Only public image URLs can be used.")
    assert probe_image(f"{base}/to?u=http://169.254.169.254/", allow=both).error == (
        "Not checked: 169.254.169.254 is a link-local address (cloud metadata lives there). "
        "Only public image URLs can be used.")


def test_environment_proxies_are_ignored(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that HTTP(S)_PROXY from the environment is not used by the probe."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")
    assert probe_image(sandbox.sample_image_urls()["wide"], allow=allow(sandbox)).ok


def test_unreachable_and_slow(sandbox: SandboxServer) -> None:
    """Test that a refused connection and a DNS failure are reported, not raised."""
    def no_dns(host: str, port: int) -> list[str]:
        raise OSError("no such host")
    assert probe_image("http://nowhere.example/a.png", resolver=no_dns).error == (
        "The image host nowhere.example could not be found (DNS).")
    probe = probe_image("http://127.0.0.1:1/a.png", allow={("127.0.0.1", 1)})
    assert probe.error == "The image could not be reached (ConnectionRefusedError)."


class Slow(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(1.0)  # past the probe's read timeout


def test_slow_image_times_out() -> None:
    """Test that an image server slower than the read timeout is reported as timed out, not waited for."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        started = time.monotonic()
        probe = probe_image(f"http://127.0.0.1:{server.server_address[1]}/a.png", allow=allow(server),
                            read_timeout=0.2)
        assert probe.error == "The image timed out (TimeoutError)."
        assert time.monotonic() - started < 0.9
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("size", "ratio", "advice"), [
    ((640, 360), "16:9", None),
    ((1000, 560), "16:9", None),  # within 3 %
    ((360, 640), "16:9", "The image is 360×640 (0.56:1); a 16:9 video (1.78:1) will crop or pad it. "
                         "9:16 fits this image better."),
    ((640, 480), "16:9", "The image is 640×480 (1.33:1); a 16:9 video (1.78:1) will crop or pad it."),
    ((640, 360), "9:16", "The image is 640×360 (1.78:1); a 9:16 video (0.56:1) will crop or pad it. "
                         "16:9 fits this image better."),
])
def test_ratio_advice(size: tuple[int, int], ratio: str, advice: str | None) -> None:
    """Test that a ratio mismatch beyond 3 % warns and suggests the better ratio when there is one."""
    probe = ImageProbe("u", ok=True, width=size[0], height=size[1])
    assert ratio_advice(probe, ratio) == advice


def test_frames_advice() -> None:
    """Test that first and last frames of different sizes get a warning."""
    a = ImageProbe("a", ok=True, width=640, height=360)
    assert frames_advice(a, a) is None
    assert frames_advice(a, ImageProbe("b", ok=True, width=1280, height=720)) == (
        "First frame is 640×360, last frame is 1280×720; frames of the same size give smoother results.")
