"""The app's own log lines (loggers under ``starvideos``): to the server's standard error, at
``STARVIDEOS_LOG_LEVEL``, with every secret the settings hold taken out of each line."""

from __future__ import annotations

import logging
import sys

from .settings import Settings

_MARK = "_starvideos"


def configure_logging(s: Settings) -> None:
    """Idempotent: the handler is added once per process; the secrets it removes follow the latest settings."""
    logger = logging.getLogger("starvideos")
    logger.setLevel(s.log_level)
    if not any(getattr(h, _MARK, False) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
    secrets = [v for v in (s.api_key, s.app_password, s.secret_key, s.metrics_token, s.notify_url) if v]
    for handler in logger.handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactSecrets)]
        handler.addFilter(RedactSecrets(secrets))
    logger.propagate = False


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (the server's log, or a test's capture), not the one at start."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class RedactSecrets(logging.Filter):
    """Belt and braces: even if a message carried a secret, the log line would not."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            text = record.getMessage()
            if any(secret in text for secret in self._secrets):
                for secret in self._secrets:
                    text = text.replace(secret, "***")
                record.msg, record.args = text, None
        return True
