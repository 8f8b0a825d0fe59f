"""Background work starts with the server, not with the first visit, and stops cleanly on shutdown."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from components import runtime
from starvideos.errors import StarVideosError

from .tcp import no_delay_on_listeners

log = logging.getLogger("starvideos.server")
# The workers start a moment after the server: the first page a browser asks for is drawn before SQLAlchemy,
# Alembic and a migration compete with it for the CPU (B4). A page that needs the data layer sooner builds it.
WARM_UP_DELAY = 3.0
SHUTDOWN_SECONDS = 10.0


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    no_delay_on_listeners()
    try:
        services = runtime.backend()
    except StarVideosError as exc:  # a setting that cannot work: the pages say which; nothing to start
        log.warning("background work not started: %s", exc.message)
        yield
        return
    warm_up = threading.Timer(WARM_UP_DELAY, _start, args=(services,))
    warm_up.daemon = True
    warm_up.start()
    try:
        yield
    finally:
        warm_up.cancel()
        stopping = threading.Thread(target=runtime.reset, name="shutdown", daemon=True)
        stopping.start()
        await asyncio.get_running_loop().run_in_executor(None, stopping.join, SHUTDOWN_SECONDS)
        if stopping.is_alive():
            log.warning("background work did not stop within %.0f s; leaving it to the process exit",
                        SHUTDOWN_SECONDS)
        else:
            log.info("background work stopped")


def _start(services: Any) -> None:
    try:
        services.start()
    except StarVideosError as exc:
        log.error("background work could not start: %s %s", exc.message, exc.hint)
    except Exception:
        log.exception("background work could not start")
