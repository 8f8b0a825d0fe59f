"""``/healthz`` (the process answers) and ``/readyz`` (it can do its work: database reachable and at the newest
schema, storage writable, workers running), as JSON with 200 or 503, for load balancers and orchestrators."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from components import runtime
from starvideos.errors import StarVideosError


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def readyz(_request: Request) -> JSONResponse:
    try:
        report = runtime.backend().readiness()
    except StarVideosError as exc:
        report = {"ready": False, "checks": {"settings": exc.message}}
    return JSONResponse({"status": "ready" if report["ready"] else "not ready", **report},
                        status_code=200 if report["ready"] else 503, headers={"Cache-Control": "no-store"})


ROUTES = [Route("/healthz", healthz, methods=["GET", "HEAD"]), Route("/readyz", readyz, methods=["GET", "HEAD"])]
