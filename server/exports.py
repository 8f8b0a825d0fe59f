"""``/export/history.csv`` and ``/export/history.json``: the History export, streamed from the database as it is
written (nothing is built whole, in memory or on disk), behind a signed link that fixes its filters.

The History page signs the link for the filters it shows; the browser's download is an ordinary GET that a real
download manager, a reload or ``curl`` can repeat until the link expires.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO, cast

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from components import runtime
from starvideos.errors import StarVideosError
from starvideos.history import HistoryFilter, HistoryStore

log = logging.getLogger("starvideos.server")
KINDS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
_CHUNK = 64 * 1024
_GIVE_UP = 60.0  # a reader that stops reading for this long has gone away


def export_history(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return PlainTextResponse("Not found.", status_code=404)
    try:
        services = runtime.backend()
        params = services.signer.export_params(dict(request.query_params))
        store = services.store
    except StarVideosError:
        return PlainTextResponse("The history cannot be read right now. Try again in a minute.", status_code=503)
    if params is None:
        return PlainTextResponse("This export link is not valid or has expired. Press Export again.",
                                 status_code=403)
    filters = HistoryFilter.from_params(params)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(stream_history(store, filters, kind), media_type=KINDS[kind], headers={
        "Content-Disposition": f'attachment; filename="starvideos-history-{stamp}.{kind}"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def stream_history(store: HistoryStore, filters: HistoryFilter, kind: str) -> Iterator[bytes]:
    """The writer runs in its own thread into a small bounded queue; this generator hands its chunks on as the
    client reads them, so memory stays at a few chunks whatever the export's size."""
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
    gone = threading.Event()
    sink = _QueueSink(chunks, gone)

    def write() -> None:
        try:
            # The wrapper only writes and flushes; typeshed asks for a whole buffered stream's interface.
            text = io.TextIOWrapper(cast(BinaryIO, sink), encoding="utf-8", newline="", write_through=False)
            (store.write_csv if kind == "csv" else store.write_json)(text, filters)
            text.flush()
            text.detach()
            sink.flush()
        except _ReaderGone:
            pass
        except Exception:
            log.exception("the export stopped part-way")
        finally:
            if not gone.is_set():
                chunks.put(None)

    threading.Thread(target=write, name="export", daemon=True).start()
    try:
        while (chunk := chunks.get(timeout=_GIVE_UP)) is not None:
            yield chunk
    finally:
        gone.set()
        while not chunks.empty():  # unblock a writer waiting for room
            chunks.get_nowait()


class _ReaderGone(Exception):
    pass


class _QueueSink(io.RawIOBase):
    """A write-only binary stream that hands ``_CHUNK``-sized pieces to a queue."""

    def __init__(self, chunks: queue.Queue[bytes | None], gone: threading.Event) -> None:
        self._chunks, self._gone = chunks, gone
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        if len(self._buffer) >= _CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            piece, self._buffer = bytes(self._buffer), bytearray()
            while True:
                if self._gone.is_set():
                    raise _ReaderGone
                try:
                    self._chunks.put(piece, timeout=1.0)
                    return
                except queue.Full:
                    continue


ROUTES = [Route("/export/history.{kind}", export_history, methods=["GET"])]
