"""Tiny test videos whose frames say what they are: every frame is one flat grey, its level counting the frames
(frame n of a clip has luma ``first + step * n``), and its colour (chroma) says which clip it is. Decoding a cut
then tells, frame by frame, which take and which of its frames is showing."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from starvideos.sandbox.clips import write_h264, yuv420p

LUMA_FIRST = 40
LUMA_STEP = 6


def numbered_clip(path: Path, *, width: int = 160, height: int = 90, fps: int = 8, seconds: float = 2.0,
                  colour: tuple[int, int] = (128, 128), first: int = LUMA_FIRST, step: int = LUMA_STEP) -> Path:
    """An H.264 MP4 of ``seconds`` at ``fps``; frame n is flat luma ``first + step * n`` and chroma ``colour``."""
    frames = (yuv420p(np.full((height, width), min(235, first + step * n), np.uint8), *colour)
              for n in range(round(seconds * fps)))
    return write_h264(path, frames, size=(width, height), fps=Fraction(fps),
                      options={"preset": "ultrafast", "crf": "10"})


def decoded(path: Path) -> list[np.ndarray]:
    """Every frame of a video as a yuv420p array (PyAV), in order; raises if any fails to decode."""
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="yuv420p") for frame in container.decode(container.streams.video[0])]


def luma(array: np.ndarray, width: int, height: int, *, x: int | None = None) -> float:
    """The mean luma of a frame's middle (or of column ``x``)."""
    plane = array[:height].reshape(height, width)
    if x is not None:
        return float(plane[:, x].mean())
    return float(plane[height // 4:3 * height // 4, width // 4:3 * width // 4].mean())
