"""StarVideos: a UI-free client for the StarVideos video-generation API, with a task history, storage for media,
a paced queue and a sandbox.

This package never imports streamlit. Its heavier parts (the database layer, storage, media) are imported on first
use, so ``import starvideos`` stays cheap for a script that only sends requests.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

# Public name -> module that defines it; loaded on first access (PEP 562).
_EXPORTS = {
    "StarVideosClient": "client", "join_url": "client",
    "APIConnectionError": "errors", "APIStatusError": "errors", "AuthenticationError": "errors",
    "BadRequestError": "errors", "BudgetExceededError": "errors", "ConflictError": "errors",
    "DatabaseError": "errors", "DatabaseVersionError": "errors", "FetchError": "errors",
    "InvalidResponseError": "errors", "NotFoundError": "errors", "OutcomeUnknownError": "errors",
    "RateLimitError": "errors", "ServerError": "errors", "SettingsError": "errors", "StarVideosError": "errors",
    "StorageError": "errors", "ThrottledError": "errors", "UploadRejectedError": "errors",
    "ValidationError": "errors", "WaitTimeoutError": "errors",
    "Database": "database",
    "HistoryFilter": "history", "HistoryRecord": "history", "HistoryStore": "history",
    "TaskStatus": "models", "VideoRequest": "models", "VideoTask": "models",
    "Settings": "settings", "load_settings": "settings",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'starvideos' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*globals(), *__all__]
