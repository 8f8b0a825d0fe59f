"""Check a reference image URL before paying for a task: reachable, an image, its size and pixels, and a small
thumbnail of exactly the bytes the server fetched (so the page shows what the API will get, and viewers' browsers
never contact third-party hosts).

Fetching follows ``safe_http``'s rules (public addresses only, pinned connection, checked redirects, one hard
deadline). ``ProbeService`` runs probes in the background for every session at once: the page shows "Checking…"
and never waits on a slow host.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from .errors import FetchError, FetchRefusedError, FetchTimeoutError
from .images import MAX_PIXELS, human_size, thumbnail
from .safe_http import Allow, Resolver, open_url, system_resolver

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
RATIO_TOLERANCE = 0.03
_RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16}
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ImageProbe:
    """What a server-side look at one image URL found."""

    url: str
    ok: bool
    """True when the URL answered 200 with a complete image we could measure."""
    status_code: int | None = None
    content_type: str | None = None
    size: int | None = None
    """Bytes received."""
    width: int | None = None
    height: int | None = None
    error: str | None = None
    """Why the check failed, in plain language."""
    thumbnail: bytes | None = field(default=None, repr=False)
    """A small JPEG or PNG made from the fetched bytes, for the preview."""

    def summary(self) -> str:
        if not self.ok:
            return self.error or "Could not check the image."
        origin = "Uploaded" if self.status_code is None else f"HTTP {self.status_code}"
        parts = [origin, self.content_type or "unknown type"]
        if self.width and self.height:
            parts.append(f"{self.width}×{self.height} px")
        if self.size is not None:
            parts.append(human_size(self.size))
        return " · ".join(parts)


def probe_image(url: str, *, allow: Allow = (), resolver: Resolver = system_resolver, connect_timeout: float = 3.0,
                read_timeout: float = 5.0, total_timeout: float = 15.0, max_bytes: int = MAX_BYTES) -> ImageProbe:
    """Fetch an image within ``total_timeout`` seconds and report what it is. Never raises."""
    try:
        response = open_url(url, allow=allow, resolver=resolver, connect_timeout=connect_timeout,
                            read_timeout=read_timeout, total_timeout=total_timeout, accept="image/*")
    except FetchRefusedError as exc:
        return ImageProbe(url, ok=False, error=f"{exc.message} Only public image URLs can be used.")
    except FetchTimeoutError as exc:
        return ImageProbe(url, ok=False, error=f"The image timed out: {_lower_first(exc.message)}")
    except FetchError as exc:
        return ImageProbe(url, ok=False, error=exc.message)
    with response:
        content_type = response.content_type
        if response.status != 200:
            return ImageProbe(url, ok=False, status_code=response.status, content_type=content_type,
                              error=f"The image URL answered HTTP {response.status}; it must be publicly reachable.")
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            return ImageProbe(url, ok=False, status_code=200, content_type=content_type, size=declared,
                              error=f"The image is {human_size(declared)}; the limit is {human_size(max_bytes)}.")
        try:
            data = _read_capped(response.read, max_bytes)
        except FetchTimeoutError as exc:
            return ImageProbe(url, ok=False, status_code=200, content_type=content_type,
                              error=f"The image timed out: {_lower_first(exc.message)}")
        except FetchError as exc:
            return ImageProbe(url, ok=False, status_code=200, content_type=content_type, error=exc.message)
    if data is None:
        return ImageProbe(url, ok=False, status_code=200, content_type=content_type, size=max_bytes,
                          error=f"The image is larger than {human_size(max_bytes)}, the limit.")
    return _measure(url, content_type, data)


def _read_capped(read: Callable[[int], bytes], max_bytes: int) -> bytes | None:
    buffer = io.BytesIO()
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            return buffer.getvalue()
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            return None


def _measure(url: str, content_type: str | None, data: bytes) -> ImageProbe:
    from PIL import Image, UnidentifiedImageError  # on first probe: the Create page's first paint needs no Pillow

    base = ImageProbe(url=url, ok=False, status_code=200, content_type=content_type, size=len(data))
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return replace(base, error="The URL answered, but not with an image we could read (PNG, JPEG, WebP, GIF).")
    if width * height > MAX_PIXELS:
        return replace(base, width=width, height=height,
                       error=f"The image is {width}×{height} px, more than {MAX_PIXELS // 1_000_000} megapixels.")
    try:
        small = thumbnail(image)
    except (OSError, ValueError, SyntaxError) as exc:
        log.debug("image at %s did not decode: %s", url, exc)
        return replace(base, width=width, height=height,
                       error="The image is damaged or incomplete; the API would likely fail to read it.")
    return replace(base, ok=True, width=width, height=height, thumbnail=small)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class ProbeService:
    """Background probes shared by every session of a process.

    ``get(url)`` returns the finding, or None while the check runs (the page shows "Checking…" and asks again).
    A URL is fetched once per ``ttl`` seconds however many sessions type it; failures are kept shorter, so a
    fixed host is checked again soon.
    """

    def __init__(self, *, allow: Allow = (), workers: int = 4, ttl: float = 300.0, failure_ttl: float = 20.0,
                 max_entries: int = 256, total_timeout: float = 15.0, probe: Callable[..., ImageProbe] = probe_image,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.allow = frozenset(allow)
        self.total_timeout = total_timeout
        self._probe = probe
        self._ttl, self._failure_ttl, self._max = ttl, failure_ttl, max_entries
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="image-probe")
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, Future[ImageProbe]]] = OrderedDict()

    def get(self, url: str) -> ImageProbe | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                started, future = entry
                if not future.done():
                    return None
                result = future.result()
                if now - started < (self._ttl if result.ok else self._failure_ttl):
                    self._entries.move_to_end(url)
                    return result
            self._entries[url] = (now, self._pool.submit(self._safe_probe, url))
            self._entries.move_to_end(url)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return None

    def wait(self, url: str, timeout: float) -> ImageProbe | None:
        """For tests and scripts: the finding, waiting at most ``timeout`` seconds."""
        self.get(url)
        with self._lock:
            future = self._entries[url][1]
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            return None

    def _safe_probe(self, url: str) -> ImageProbe:
        try:
            if self._probe is probe_image:
                return probe_image(url, allow=self.allow, total_timeout=self.total_timeout)
            return self._probe(url, allow=self.allow)
        except Exception:  # a bug must not leave a session "Checking…" for ever
            log.exception("image probe failed unexpectedly for a URL")
            return ImageProbe(url, ok=False, error="The image could not be checked (an internal error; see the "
                                                   "server log).")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def ratio_advice(probe: ImageProbe, ratio: str) -> str | None:
    """A warning when the image's shape is more than a few percent off the video's, with the better ratio."""
    if not probe.ok or not probe.width or not probe.height or ratio not in _RATIOS:
        return None
    return shape_advice(probe.width, probe.height, ratio)


def shape_advice(width: int, height: int, ratio: str) -> str | None:
    if ratio not in _RATIOS or not width or not height:
        return None
    actual = width / height
    if abs(actual / _RATIOS[ratio] - 1) <= RATIO_TOLERANCE:
        return None
    advice = (f"The image is {width}×{height} ({actual:.2f}:1); a {ratio} video "
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
