"""Fetching URLs that users (or a provider's answers) hand us, without letting the server be used against its own
network or held hostage by a slow host. The image probe and the video downloader both fetch through here.

Rules: http(s) only; every address the host resolves to (A and AAAA) must be public, unless the exact
``(host or address, port)`` is in the allow-list (``STARVIDEOS_ALLOW_PRIVATE_HOSTS``, the sandbox's own port); the
connection goes to the address that was checked (no second DNS lookup to rebind); redirects are followed by hand,
at most 3, each hop checked again; proxies from the environment are never used (``http.client`` does not read
them); and one overall deadline covers DNS, connecting, TLS, headers and every read of the body: a watchdog closes
the socket when it passes, so a host that drips one byte a second is cut off on time, not after its last byte.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urljoin, urlsplit

from .errors import FetchError, FetchRefusedError, FetchTimeoutError
from .models import url_problem

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
USER_AGENT = "starvideos-studio-fetch/1"
Resolver = Callable[[str, int], list[str]]
Allow = Collection[tuple[str, int]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def address_problem(address: str) -> str | None:
    """What kind of non-public address this is ("a loopback address"), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "a reserved address"
    return None


# The watchdog: one thread for the whole process that closes sockets whose deadline passed -------------------------

@dataclass(order=True)
class _Watch:
    deadline: float
    sock: socket.socket = field(compare=False)
    fired: bool = field(default=False, compare=False)
    done: bool = field(default=False, compare=False)


class _Watchdog:
    def __init__(self) -> None:
        self._heap: list[_Watch] = []
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> _Watch:
        entry = _Watch(deadline, sock)
        with self._cv:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fetch-watchdog", daemon=True)
                self._thread.start()
            self._cv.notify()
        return entry

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap:
                    self._cv.wait()
                entry = self._heap[0]
                wait = entry.deadline - time.monotonic()
                if wait > 0 and not entry.done:
                    self._cv.wait(wait)
                    continue
                heapq.heappop(self._heap)
                if entry.done:
                    continue
                entry.fired = True
            with contextlib.suppress(OSError):  # outside the lock: wakes the blocked reader with an end of stream
                entry.sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
_DNS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fetch-dns")


@dataclass
class SafeResponse:
    """An open answer: status, headers, and ``read`` that honours the overall deadline."""

    url: str
    """The URL that finally answered (after redirects)."""
    status: int
    headers: http.client.HTTPMessage
    _response: http.client.HTTPResponse = field(repr=False)
    _conn: http.client.HTTPConnection = field(repr=False)
    _watch: _Watch | None = field(repr=False)
    _timeout: float = 0.0

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def content_type(self) -> str | None:
        value = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        return value or None

    @property
    def content_length(self) -> int | None:
        value = (self.headers.get("Content-Length") or "").strip()
        # Not isdigit(): it is true for '²', which int() refuses. A length of over 18 digits is no real one.
        return int(value) if value.isascii() and value.isdecimal() and len(value) <= 18 else None

    def read(self, size: int) -> bytes:
        try:
            data = self._response.read1(size) if size > 0 else b""
        except (OSError, http.client.HTTPException) as exc:
            raise self._failure(exc) from None
        if self._watch is not None and self._watch.fired:
            raise FetchTimeoutError(f"The host did not finish within {self._timeout:g} seconds.")
        return data

    def _failure(self, exc: BaseException) -> FetchError:
        if self._watch is not None and self._watch.fired:
            return FetchTimeoutError(f"The host did not finish within {self._timeout:g} seconds.")
        if isinstance(exc, (TimeoutError, socket.timeout)):
            return FetchTimeoutError("The host stopped sending (read timed out).")
        return FetchError(f"The connection broke while downloading ({type(exc).__name__}).")

    def close(self) -> None:
        if self._watch is not None:
            self._watch.done = True
        self._conn.close()

    def __enter__(self) -> SafeResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_url(url: str, *, allow: Allow = (), resolver: Resolver = system_resolver, connect_timeout: float = 3.0,
             read_timeout: float = 5.0, total_timeout: float = 15.0, accept: str = "*/*") -> SafeResponse:
    """Open ``url`` under the rules above and return the first non-redirect answer (any status).

    Raises ``FetchRefusedError`` for a disallowed target, ``FetchTimeoutError`` past ``total_timeout``, and
    ``FetchError`` for anything else (DNS, refused connection, TLS, too many redirects).
    """
    deadline = time.monotonic() + total_timeout
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        host, port, address, parts = _checked_target(current, allow, resolver, deadline, total_timeout)
        conn = _connection(parts.scheme, host, port, address, connect_timeout, read_timeout, deadline,
                           total_timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", path, headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": accept,
                                               "User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
            response = conn.getresponse()
        except FetchError:
            conn.close()
            raise
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            watch = getattr(conn, "watch", None)
            conn.close()
            if watch is not None and watch.fired:
                raise FetchTimeoutError(f"The host did not answer within {total_timeout:g} seconds.") from None
            if isinstance(exc, (TimeoutError, socket.timeout)):
                raise FetchTimeoutError("The host did not answer (timed out).") from None
            raise FetchError(f"The host could not be reached ({type(exc).__name__}).") from None
        if response.status in (301, 302, 303, 307, 308):
            location = response.getheader("Location")
            conn.close()
            if not location:
                raise FetchError(f"HTTP {response.status} redirect without a Location.")
            current = urljoin(current, location)
            log.debug("following a redirect to %s", current)
            continue
        return SafeResponse(current, response.status, response.headers, response, conn,
                            getattr(conn, "watch", None), total_timeout)
    raise FetchError(f"More than {MAX_REDIRECTS} redirects; link the file directly.")


def _checked_target(url: str, allow: Allow, resolver: Resolver, deadline: float,
                    total_timeout: float) -> tuple[str, int, str, SplitResult]:
    problem = url_problem("URL", url)
    if problem:
        raise FetchRefusedError(f"Not fetched: {problem.split(': ', 1)[1]}")
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    remaining = deadline - time.monotonic()
    try:
        addresses = _DNS.submit(resolver, host, port).result(timeout=max(0.01, remaining))
    except FutureTimeout:
        raise FetchTimeoutError(f"The host {host} could not be looked up within {total_timeout:g} seconds.") from None
    except OSError:
        raise FetchError(f"The host {host} could not be found (DNS).") from None
    if not addresses:
        raise FetchError(f"The host {host} could not be found (DNS).")
    for address in addresses:
        if (address, port) in allow or (host, port) in allow:
            continue
        kind = address_problem(address)
        if kind:
            where = f"{address} is {kind}" if host == address.lower() else f"{host} points to {address}, {kind}"
            raise FetchRefusedError(f"Not fetched: {where}.")
    return host, port, addresses[0], parts


def _connection(scheme: str, host: str, port: int, address: str, connect_timeout: float, read_timeout: float,
                deadline: float, total_timeout: float) -> http.client.HTTPConnection:
    def connect(self: http.client.HTTPConnection) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeoutError(f"The host did not answer within {total_timeout:g} seconds.")
        sock = socket.create_connection((address, port), timeout=min(connect_timeout, remaining))
        sock.settimeout(read_timeout)
        self.watch = _WATCHDOG.watch(sock, deadline)  # type: ignore[attr-defined]  # declared by type() below
        if isinstance(self, http.client.HTTPSConnection):
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock

    base = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    pinned: type[http.client.HTTPConnection] = type("PinnedConnection", (base,), {"connect": connect, "watch": None})
    return pinned(host, port, timeout=read_timeout)
