"""Variants: one prompt as a grid of tasks (every ratio × every duration × takes), queued together."""

from __future__ import annotations

from dataclasses import dataclass

from .models import VideoRequest


@dataclass(frozen=True)
class VariantGrid:
    """What the Variants controls ask for: every ratio × every duration × ``takes``."""

    ratios: tuple[str, ...]
    durations: tuple[int, ...]
    takes: int

    def requests(self, request: VideoRequest) -> list[VideoRequest]:
        """The grid for ``request``'s prompt, model and pictures, one request per task."""
        return [VideoRequest(request.prompt, request.model, d, r, tuple(request.images))
                for r in self.ratios for d in sorted(self.durations) for _ in range(self.takes)]


def first_of_grid(request: VideoRequest, grid: VariantGrid | None) -> VideoRequest:
    """The request the Request panel shows: the form's own, or with Variants on the grid's first task."""
    requests = grid.requests(request)[:1] if grid is not None else []
    return requests[0] if requests else request
