"""The app's own log lines (loggers under ``starvideos``): to the server's standard error, at
``STARVIDEOS_LOG_LEVEL``, with every secret this process holds taken out of each line, in any form it takes (see
``redaction``)."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO
from urllib.parse import urlsplit

from . import redaction
from .settings import Settings

_MARK = "_starvideos"


def configure_logging(s: Settings) -> None:
    """Idempotent: the handler is added once per process; the secrets it removes follow the latest settings."""
    logger = logging.getLogger("starvideos")
    logger.setLevel(s.log_level)
    if not any(getattr(h, _MARK, False) for h in logger.handlers):
        handler: logging.Handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
    # The sandbox's key is no secret (registering it would mask "sandbox-" in every path); everything else is.
    api_key = s.api_key if s.effective_mode == "live" else None
    # A webhook's secret is its path: its host and scheme are in every other link too.
    webhook_path = urlsplit(s.notify_url).path.strip("/") if s.notify_url else None
    redaction.register(api_key, s.app_password, s.secret_key, s.metrics_token, webhook_path,
                       _password_in(s.database_url), os.environ.get("AWS_SECRET_ACCESS_KEY"))
    for handler in logger.handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, redaction.RedactingFilter)]
        handler.addFilter(redaction.RedactingFilter())
    logger.propagate = False


def _password_in(url: str | None) -> str | None:
    """The password of a database URL (the database layer hides it in messages; a driver's error might not)."""
    if not url or "://" not in url:
        return None
    credentials = url.split("://", 1)[1].split("@", 1)
    return credentials[0].partition(":")[2] or None if len(credentials) == 2 else None


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is now (the server's log, or a test's capture), not the one at start."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass
