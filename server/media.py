"""``/files/<key>``: stored videos, posters, previews and uploads, streamed from the folder with HTTP Range (Starlette's
``FileResponse``: 206 with ``Content-Range``, suffix ranges, 416 past the end), ``ETag``/``Last-Modified`` (304 when
unchanged), ``Cache-Control`` until the link expires, the right ``Content-Type`` and ``nosniff``; on S3, a 302 to a
fresh presigned link. Nothing is read into memory whole.

Access is the link itself: a page that may show an item signs its link when it renders (past the gate, or through a
share link that holds that take), for at most twice ``STARVIDEOS_MEDIA_URL_TTL``. A forged, altered or expired link
gets 403. (Streamlit keeps ``/media/`` for its own in-memory files, hence ``/files/``.)
"""

from __future__ import annotations

import os
import re
import time
from pathlib import PurePosixPath
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from components import runtime
from starvideos.errors import StarVideosError

CONTENT_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime",
                 ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
                 ".gif": "image/gif"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def stored_file(request: Request) -> Response:
    """A synchronous endpoint on purpose: Starlette runs it in a worker thread, where the database may be read."""
    key = request.path_params["key"]
    try:
        services = runtime.backend()
        grant = services.signer.media_grant(key, request.query_params.get("e", ""),
                                            request.query_params.get("s", ""))
    except StarVideosError:
        return PlainTextResponse("Stored media cannot be served right now. Try again in a minute.", status_code=503,
                                 headers={"Retry-After": "30"})
    if grant is None:
        return PlainTextResponse("This link is not valid or has expired. Reload the page for a fresh one.",
                                 status_code=403)
    left = max(0, int(grant.expires - time.time()))
    content_type = CONTENT_TYPES.get(PurePosixPath(key).suffix.lower())
    download = _download_name(request.query_params.get("d"))
    headers = {"Cache-Control": f"private, max-age={left}", "X-Content-Type-Options": "nosniff"}
    if download or content_type is None:  # never let a browser render something it was not meant to
        headers["Content-Disposition"] = _attachment(download or PurePosixPath(key).name)
    try:
        storage = services.storage
        local = storage.local_path(key)
        if local is None and storage.kind == "s3":
            signed = storage.signed_url(key, max(60, left), download_name=download)
            if signed is None:
                return PlainTextResponse("Not found.", status_code=404)
            return RedirectResponse(signed, status_code=302, headers={"Cache-Control": "no-store"})
    except StarVideosError:
        return PlainTextResponse("Not found.", status_code=404)
    if local is None:
        return PlainTextResponse("Not found.", status_code=404)
    stat = os.stat(local)
    response = FileResponse(local, media_type=content_type or "application/octet-stream", headers=headers,
                            stat_result=stat, content_disposition_type="attachment" if download else "inline")
    if download or content_type is None:
        response.headers["content-disposition"] = headers["Content-Disposition"]
    etag = response.headers.get("etag")
    if etag and etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers={"ETag": etag, **headers})
    return response


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _download_name(raw: str | None) -> str | None:
    if not raw:
        return None
    name = _SAFE_NAME.sub("_", raw).strip("._")[:120]
    return name or None


def _attachment(name: str) -> str:
    ascii_name = _SAFE_NAME.sub("_", name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


ROUTES = [Route("/files/{key:path}", stored_file, methods=["GET", "HEAD"])]
