"""StarVideos: a UI-free client for the StarVideos video-generation API, with a task history and a sandbox.

This package never imports streamlit.
"""

__version__ = "0.1.0"

from .client import StarVideosClient, join_url
from .errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    SettingsError,
    StarVideosError,
    ValidationError,
    WaitTimeoutError,
)
from .history import HistoryFilter, HistoryRecord, HistoryStore
from .models import MODE_LABELS, TaskStatus, VideoRequest, VideoTask
from .settings import Settings, load_settings

__all__ = [
    "MODE_LABELS",
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "HistoryFilter",
    "HistoryRecord",
    "HistoryStore",
    "InvalidResponseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitError",
    "ServerError",
    "Settings",
    "SettingsError",
    "StarVideosClient",
    "StarVideosError",
    "TaskStatus",
    "ValidationError",
    "VideoRequest",
    "VideoTask",
    "WaitTimeoutError",
    "join_url",
    "load_settings",
]
