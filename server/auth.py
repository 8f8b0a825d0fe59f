"""``/auth/cookie`` and ``/auth/signout``: the server half of the HttpOnly cookies a page asks for (see
``components/cookies.py``). A page makes the signed value; this route checks it again before setting it, so only
values this deployment signed ever become cookies."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from components import runtime
from starvideos.errors import StarVideosError
from starvideos.signing import SESSION_COOKIE, VISITOR_COOKIE

VISITOR_DAYS = 400  # browsers cap cookie lifetimes at about this


async def set_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Cross-site requests are refused.", status_code=403)
    body = await request.body()
    # Checking the value may read the deployment's secret from the database: off the event loop.
    return await run_in_threadpool(_set_cookie, request, body)


def _set_cookie(request: Request, raw: bytes) -> Response:
    try:
        body = json.loads(raw)
        kind, token = str(body["kind"]), str(body["token"])
    except (ValueError, KeyError, TypeError):
        return PlainTextResponse("Expected {kind, token}.", status_code=400)
    try:
        services = runtime.backend()
        signer, settings = services.signer, services.settings
    except StarVideosError:
        return PlainTextResponse("Try again in a minute.", status_code=503)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    secure = _secure(request)
    if kind == "session" and settings.app_password and signer.session_valid(token, settings.app_password):
        response.set_cookie(SESSION_COOKIE, token, max_age=int(settings.session_hours * 3600), httponly=True,
                            samesite="lax", secure=secure, path="/")
        return response
    if kind == "visitor" and signer.visitor_id(token) is not None:
        response.set_cookie(VISITOR_COOKIE, token, max_age=VISITOR_DAYS * 86400, httponly=True, samesite="lax",
                            secure=secure, path="/")
        return response
    return PlainTextResponse("That value was not made by this app.", status_code=403)


def sign_out(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Cross-site requests are refused.", status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


def _same_origin(request: Request) -> bool:
    """Cookies are set and dropped only at the app's own pages' request (a browser always sends these headers on a
    cross-site fetch)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host", "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


ROUTES = [Route("/auth/cookie", set_cookie, methods=["POST"]), Route("/auth/signout", sign_out, methods=["POST"])]
