"""Safe fetching and the image probe: what it reports, that it cannot be turned against private addresses, and that
no host (slow drip, silence) can hold it past its deadline; the background probe service never holds a page."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from starvideos.probe import ImageProbe, ProbeService, frames_advice, probe_image, ratio_advice
from starvideos.safe_http import Allow, address_problem
from starvideos.sandbox import SandboxServer
from tests.hosts import Host, misbehaving_host


@pytest.fixture
def host() -> Iterator[Host]:
    with misbehaving_host() as h:
        yield h


def allow(*servers: SandboxServer | Host) -> set[tuple[str, int]]:
    return {("127.0.0.1", s.port) for s in servers}


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


def test_probe_reports_type_size_dimensions_and_a_thumbnail(sandbox: SandboxServer) -> None:
    """Test that a reachable image reports status, type, bytes and pixels, with a thumbnail of the fetched bytes."""
    probe = probe_image(sandbox.sample_image_urls()["wide"], allow=allow(sandbox))
    assert (probe.ok, probe.status_code, probe.content_type, probe.width, probe.height) == (
        True, 200, "image/png", 640, 360)
    assert probe.size == 5582
    assert probe.summary() == "HTTP 200 · image/png · 640×360 px · 5.5 KB"
    thumb = Image.open(io.BytesIO(probe.thumbnail))
    assert thumb.format == "JPEG" and thumb.size == (640, 360)


def test_large_images_get_small_thumbnails(host: Host) -> None:
    """Test that the preview is at most 640 pixels on its long side, whatever the original's size."""
    probe = probe_image(host.add("big", png(3000, 1000), "image/png"), allow=host.allow)
    assert probe.ok and Image.open(io.BytesIO(probe.thumbnail)).size == (640, 213)


@pytest.mark.parametrize(("path", "error"), [
    ("/assets/missing.png", "The image URL answered HTTP 401; it must be publicly reachable."),
    ("/assets/sample.mp4", "The URL answered, but not with an image we could read (PNG, JPEG, WebP, GIF)."),
])
def test_probe_reports_unusable_answers(sandbox: SandboxServer, path: str, error: str) -> None:
    """Test that non-200 answers and non-images are reported in plain words."""
    probe = probe_image(sandbox.base_url + path, allow=allow(sandbox))
    assert (probe.ok, probe.error, probe.thumbnail) == (False, error, None)


def test_damaged_image_is_reported(host: Host) -> None:
    """Test that an image cut short is reported, not shown: the API would fail on it too."""
    data = png(400, 300)
    probe = probe_image(host.add("cut", data[: len(data) * 2 // 3], "image/png"), allow=host.allow)
    assert probe.error == "The image is damaged or incomplete; the API would likely fail to read it."


def test_body_is_capped(sandbox: SandboxServer) -> None:
    """Test that an image larger than the cap is refused from its Content-Length."""
    probe = probe_image(sandbox.base_url + "/assets/sample.mp4", allow=allow(sandbox), max_bytes=1000)
    assert probe.error == "The image is 55.5 KB; the limit is 1000 B."


def test_body_without_length_is_capped_while_reading(host: Host) -> None:
    """Test that an endless body with no Content-Length is cut off at the cap."""
    probe = probe_image(f"{host.base}/endless", allow=host.allow, max_bytes=200_000)
    assert probe.error == "The image is larger than 195.3 KB, the limit."


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "a loopback address"),
    ("::1", "a loopback address"),
    ("::ffff:127.0.0.1", "a loopback address"),
    ("::ffff:10.0.0.1", "a private network address"),
    ("10.1.2.3", "a private network address"),
    ("172.16.0.1", "a private network address"),
    ("192.168.1.1", "a private network address"),
    ("169.254.169.254", "a link-local address (cloud metadata lives there)"),
    ("fe80::1", "a link-local address (cloud metadata lives there)"),
    ("fd00::1", "a private network address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("0.0.0.0", "a private network address"),
    ("240.0.0.1", "a private network address"),
    ("100.64.0.1", "a reserved address"),
    ("93.184.216.34", None),
    ("2606:4700::1111", None),
])
def test_address_rules(address: str, kind: str | None) -> None:
    """Test that every non-public address class is refused and public ones pass."""
    assert address_problem(address) == kind


@pytest.mark.parametrize(("url", "addresses", "error"), [
    ("http://localhost/cat.png", ["127.0.0.1"], "localhost points to 127.0.0.1, a loopback address."),
    ("http://169.254.169.254/latest/meta-data/", ["169.254.169.254"],
     "169.254.169.254 is a link-local address (cloud metadata lives there)."),
    ("https://rebind.example/cat.png", ["93.184.216.34", "10.0.0.5"],
     "rebind.example points to 10.0.0.5, a private network address."),
    ("https://v6.example/cat.png", ["::1"], "v6.example points to ::1, a loopback address."),
    ("ftp://example.com/cat.png", [], "must start with http:// or https:// (got 'ftp:')."),
    ("file:///etc/passwd", [], "must start with http:// or https:// (got 'file:')."),
])
def test_refused_targets_are_never_contacted(url: str, addresses: list[str], error: str) -> None:
    """Test that URLs resolving to any non-public address are refused before connecting, named once and plainly."""
    probe = probe_image(url, resolver=lambda host, port: addresses)
    assert probe == ImageProbe(url, ok=False, error=f"Not fetched: {error} Only public image URLs can be used.")


def test_allowance_is_exact(sandbox: SandboxServer) -> None:
    """Test that allowing one loopback port (the sandbox's) does not allow another."""
    other = sandbox.base_url.replace(str(sandbox.port), str(sandbox.port + 1 if sandbox.port < 65535 else 1))
    assert probe_image(other + "/assets/wide.png", allow=allow(sandbox)).error == (
        "Not fetched: 127.0.0.1 is a loopback address. Only public image URLs can be used.")


def test_private_host_allowed_by_name(sandbox: SandboxServer) -> None:
    """Test that STARVIDEOS_ALLOW_PRIVATE_HOSTS entries may name the host (a self-hosted bucket's name)."""
    url = f"http://minio.internal:{sandbox.port}/assets/wide.png"
    resolver = lambda host, port: ["127.0.0.1"]  # noqa: E731 - a stand-in DNS answer
    assert probe_image(url, resolver=resolver, allow={("minio.internal", sandbox.port)}).ok
    assert not probe_image(url, resolver=resolver, allow={("minio.internal", sandbox.port + 1)}).ok


def test_redirects_are_followed_and_each_hop_checked(sandbox: SandboxServer, host: Host) -> None:
    """Test that up to 3 redirects are followed, a 4th is refused, and a hop to a disallowed address is refused
    even when the first host is allowed."""
    host.add("image", png(640, 360), "image/png")
    assert probe_image(f"{host.base}/hop/2", allow=host.allow).width == 640  # 3 redirects in all
    assert probe_image(f"{host.base}/hop/3", allow=host.allow).error == (
        "More than 3 redirects; link the file directly.")
    wide = sandbox.sample_image_urls()["wide"]
    assert probe_image(f"{host.base}/to?u={wide}", allow=host.allow).error == (
        "Not fetched: 127.0.0.1 is a loopback address. Only public image URLs can be used.")
    assert probe_image(f"{host.base}/to?u=http://169.254.169.254/", allow=host.allow).error == (
        "Not fetched: 169.254.169.254 is a link-local address (cloud metadata lives there). "
        "Only public image URLs can be used.")


def test_environment_proxies_are_ignored(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that HTTP(S)_PROXY from the environment is not used by the probe."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")
    assert probe_image(sandbox.sample_image_urls()["wide"], allow=allow(sandbox)).ok


def test_unreachable_hosts() -> None:
    """Test that a refused connection and a DNS failure are reported, not raised."""
    def no_dns(host: str, port: int) -> list[str]:
        raise OSError("no such host")
    assert probe_image("http://nowhere.example/a.png", resolver=no_dns).error == (
        "The host nowhere.example could not be found (DNS).")
    probe = probe_image("http://127.0.0.1:1/a.png", allow={("127.0.0.1", 1)})
    assert probe.error == "The host could not be reached (ConnectionRefusedError)."


@pytest.mark.parametrize("path", ["/drip?every=0.05", "/drip-headers?every=0.05", "/silent"])
def test_no_host_holds_the_probe_past_its_deadline(host: Host, path: str) -> None:
    """Test that a body dripping a byte at a time (which would take over an hour), headers dripping, and a host
    that never answers are all cut off at the overall deadline, with a plain reason."""
    started = time.monotonic()
    probe = probe_image(host.base + path, allow=host.allow, read_timeout=5, total_timeout=0.5)
    elapsed = time.monotonic() - started
    assert probe.ok is False and probe.error.startswith("The image timed out: the host did not")
    assert "within 0.5 seconds" in probe.error
    assert elapsed < 3.0  # the deadline is 0.5 s; without it, these hosts hold a request for minutes to hours


def test_probe_service_never_holds_the_page(host: Host, sandbox: SandboxServer) -> None:
    """Test that the probe service answers "still checking" at once for a slow host, fills the finding in when it
    is ready, and fetches a URL once however many sessions ask."""
    slow = f"{host.base}/drip?every=0.05"
    released = threading.Event()

    def held_probe(url: str, allow: Allow) -> ImageProbe:
        if url == slow and not released.wait(10):  # the slow check cannot end before the page has its answer
            return ImageProbe(url, ok=False, error="the page waited for the check")
        return probe_image(url, allow=allow, total_timeout=0.5)

    service = ProbeService(allow=allow(sandbox) | host.allow, probe=held_probe)
    assert service.get(slow) is None  # never waits on the host
    released.set()
    wide = host.add("shared", png(640, 360), "image/png")
    for _ in range(5):  # five sessions typing the same URL
        service.get(wide)
    finding = service.wait(wide, timeout=5)
    assert finding is not None and finding.ok
    assert service.get(wide) is finding
    assert host.server.RequestHandlerClass.hits["/file?name=shared"] == 1
    slow_finding = service.wait(slow, timeout=5)
    assert slow_finding is not None and "timed out" in slow_finding.error
    service.close()


def test_probe_service_checks_failures_again_soon(host: Host) -> None:
    """Test that a failed check is kept only briefly, so a host that was fixed is checked again."""
    now = [1000.0]
    service = ProbeService(allow=host.allow, failure_ttl=20, clock=lambda: now[0])
    url = f"{host.base}/file?name=later"
    assert service.wait(url, timeout=5).ok is False
    host.add("later", png(64, 36), "image/png")
    now[0] += 5
    assert service.get(url).ok is False  # still the remembered failure
    now[0] += 30
    assert service.get(url) is None and service.wait(url, timeout=5).ok
    service.close()


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
