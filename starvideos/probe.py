"""Check a reference image URL before paying for a task, without letting the server be used against its own network.

SSRF rules: http(s) only; every address the host resolves to (A and AAAA) must be public; the connection goes to the
address that was checked (no second DNS lookup to rebind); redirects are followed by hand, at most 3, each hop
checked again; connect and read time-outs; the body is streamed and capped; proxies from the environment are never
used (``http.client`` does not read them). ``allow`` lists exact ``(ip, port)`` pairs that may be loopback: the
sandbox's own address in sandbox mode.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .models import url_problem

MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 3
RATIO_TOLERANCE = 0.03
_RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16}

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class ImageProbe:
    """What a server-side look at one image URL found."""

    url: str
    ok: bool
    """True when the URL answered 200 with an image we could measure."""
    status_code: int | None = None
    content_type: str | None = None
    size: int | None = None
    """Bytes (Content-Length, or counted while streaming up to the cap)."""
    width: int | None = None
    height: int | None = None
    error: str | None = None
    """Why the check failed, in plain language."""

    def summary(self) -> str:
        if not self.ok:
            return self.error or "Could not check the image."
        parts = [f"HTTP {self.status_code}", self.content_type or "unknown type"]
        if self.width and self.height:
            parts.append(f"{self.width}×{self.height} px")
        if self.size is not None:
            parts.append(_human_size(self.size))
        return " · ".join(parts)


class ProbeRefused(Exception):
    """The URL points somewhere the probe will not go."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def address_problem(address: str) -> str | None:
    """Why an address is not public, or None when it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return f"{address} is a loopback address"
    if ip.is_link_local:
        return f"{address} is a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return f"{address} is a multicast address"
    if ip.is_private:
        return f"{address} is a private network address"
    if ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{address} is a reserved address"
    return None


def probe_image(url: str, *, allow: Collection[tuple[str, int]] = (), resolver: Resolver = system_resolver,
                connect_timeout: float = 3.0, read_timeout: float = 5.0, max_bytes: int = MAX_BYTES) -> ImageProbe:
    """Fetch the start of an image and report reachability, type, size and pixel dimensions. Never raises."""
    try:
        return _probe(url, allow, resolver, connect_timeout, read_timeout, max_bytes)
    except ProbeRefused as exc:
        return ImageProbe(url, ok=False, error=f"Not checked: {exc}. Only public image URLs can be used.")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        kind = "timed out" if isinstance(exc, (TimeoutError, socket.timeout)) else "could not be reached"
        return ImageProbe(url, ok=False, error=f"The image {kind} ({type(exc).__name__}).")


def _probe(url: str, allow: Collection[tuple[str, int]], resolver: Resolver, connect_timeout: float,
           read_timeout: float, max_bytes: int) -> ImageProbe:
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        problem = url_problem("Image URL", current)
        if problem:
            raise ProbeRefused(problem.split(": ", 1)[1].rstrip("."))
        parts = urlsplit(current)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or ""
        try:
            addresses = resolver(host, port)
        except OSError:
            return ImageProbe(url, ok=False, error=f"The image host {host} could not be found (DNS).")
        if not addresses:
            return ImageProbe(url, ok=False, error=f"The image host {host} could not be found (DNS).")
        for address in addresses:
            reason = None if (address, port) in allow else address_problem(address)
            if reason:
                raise ProbeRefused(reason if host == address else f"{host} resolves to {reason}")
        conn = _connection(parts.scheme, host, port, addresses[0], connect_timeout, read_timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", path, headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "image/*",
                                               "User-Agent": "starvideos-studio-probe/1"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    return ImageProbe(url, ok=False, status_code=response.status,
                                      error=f"HTTP {response.status} redirect without a Location.")
                current = urljoin(current, location)
                continue
            return _measure(url, response, max_bytes)
        finally:
            conn.close()
    return ImageProbe(url, ok=False, error=f"More than {MAX_REDIRECTS} redirects; link the image directly.")


def _connection(scheme: str, host: str, port: int, address: str, connect_timeout: float,
                read_timeout: float) -> http.client.HTTPConnection:
    def connect(self: http.client.HTTPConnection) -> None:
        sock = socket.create_connection((address, port), timeout=connect_timeout)
        sock.settimeout(read_timeout)
        if isinstance(self, http.client.HTTPSConnection):
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock

    base = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    pinned = type("PinnedConnection", (base,), {"connect": connect})
    return pinned(host, port, timeout=read_timeout)


def _measure(url: str, response: http.client.HTTPResponse, max_bytes: int) -> ImageProbe:
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip() or None
    length_header = response.getheader("Content-Length")
    declared = int(length_header) if length_header and length_header.isdigit() else None
    if response.status != 200:
        return ImageProbe(url, ok=False, status_code=response.status, content_type=content_type,
                          error=f"The image URL answered HTTP {response.status}; it must be publicly reachable.")
    if declared is not None and declared > max_bytes:
        return ImageProbe(url, ok=False, status_code=200, content_type=content_type, size=declared,
                          error=f"The image is {_human_size(declared)}; the limit is {_human_size(max_bytes)}.")
    from PIL import ImageFile  # imported on first use: the Create page's first paint does not need Pillow

    parser = ImageFile.Parser()
    read = 0
    size: tuple[int, int] | None = None
    deadline = time.monotonic() + 15
    while read < max_bytes and time.monotonic() < deadline:
        chunk = response.read(min(65536, max_bytes - read))
        if not chunk:
            break
        read += len(chunk)
        if size is None:
            # Any decoder error means "not an image", reported below.
            with contextlib.suppress(Exception):
                parser.feed(chunk)
            if parser.image is not None:
                size = parser.image.size
        if size is not None and declared is not None:
            break  # we know all we need; do not download the rest
    if size is None:
        return ImageProbe(url, ok=False, status_code=200, content_type=content_type, size=declared or read,
                          error="The URL answered, but not with an image we could read (PNG, JPEG, WebP, GIF).")
    return ImageProbe(url, ok=True, status_code=200, content_type=content_type, size=declared or read,
                      width=size[0], height=size[1])


def ratio_advice(probe: ImageProbe, ratio: str) -> str | None:
    """A warning when the image's shape is more than a few percent off the video's, with the better ratio."""
    if not probe.ok or not probe.width or not probe.height or ratio not in _RATIOS:
        return None
    actual = probe.width / probe.height
    if abs(actual / _RATIOS[ratio] - 1) <= RATIO_TOLERANCE:
        return None
    advice = (f"The image is {probe.width}×{probe.height} ({actual:.2f}:1); a {ratio} video "
              f"({_RATIOS[ratio]:.2f}:1) will crop or pad it.")
    other = "9:16" if ratio == "16:9" else "16:9"
    if abs(actual / _RATIOS[other] - 1) < abs(actual / _RATIOS[ratio] - 1):
        advice += f" {other} fits this image better."
    return advice


def frames_advice(first: ImageProbe, last: ImageProbe) -> str | None:
    """A warning when first and last frame differ in size (the docs ask for visually consistent frames)."""
    if first.ok and last.ok and (first.width, first.height) != (last.width, last.height):
        return (f"First frame is {first.width}×{first.height}, last frame is {last.width}×{last.height}; "
                "frames of the same size give smoother results.")
    return None


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
