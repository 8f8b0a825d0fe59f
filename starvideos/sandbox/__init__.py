"""A local simulated StarVideos API for the app's sandbox mode and for tests."""

from .server import Fault, RecordedRequest, SandboxServer

__all__ = ["Fault", "RecordedRequest", "SandboxServer"]
