"""Distinct little videos for the sandbox: each simulated task gets its own H.264 clip of the duration and aspect
ratio it asked for, a colour drawn from its id with the first words of its prompt on it, so a demo in sandbox mode
looks like the real thing (a 9:16, 8-second request plays a tall 8-second take) and a gallery of takes can be told
apart (a compare shows different videos). Made with PyAV on first request and kept in memory; without PyAV the
shared sample clip is served instead.

``write_h264`` is the one place that encodes generated frames into an MP4: these clips, the tests' numbered clips
and the benchmarks' takes all go through it.

Cheap on purpose: what stays the same for every clip of one duration and ratio (the frame plan: the moving dot and
the time code of each frame) is drawn once per (duration, ratio) and cached; a clip only paints its colour and
words once and pastes the cached layers, so a 15-second clip costs about what the old 3-second one did.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SIZE = {"16:9": (320, 180), "9:16": (180, 320)}
FPS = 12
DEFAULT_SECONDS = 5
MIN_SECONDS, MAX_SECONDS = 3, 15


def clip_seconds(seconds: object) -> int:
    """A duration the sandbox can draw: the API's own range (3–15 s), its default for anything else."""
    return seconds if isinstance(seconds, int) and MIN_SECONDS <= seconds <= MAX_SECONDS else DEFAULT_SECONDS


class ClipMaker:
    """Clips by task id (a take is drawn once), at most ``limit`` kept."""

    def __init__(self, limit: int = 64) -> None:
        self._clips: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def clip(self, task_id: str, prompt: str | None, ratio: str = "16:9",
             seconds: int = DEFAULT_SECONDS) -> bytes | None:
        with self._lock:
            if task_id in self._clips:
                self._clips.move_to_end(task_id)
                return self._clips[task_id]
        try:
            data = render(task_id, prompt or "", ratio, seconds)
        except Exception as exc:  # no PyAV, no encoder: the sample clip will do
            log.debug("could not render a sandbox clip: %s", exc)
            return None
        with self._lock:
            self._clips[task_id] = data
            while len(self._clips) > self._limit:
                self._clips.popitem(last=False)
        return data


def render(task_id: str, prompt: str, ratio: str, seconds: int = DEFAULT_SECONDS) -> bytes:
    """An MP4 of ``seconds`` seconds at ``ratio`` (16:9 or 9:16) for this task."""
    ratio = ratio if ratio in SIZE else "16:9"
    seconds = clip_seconds(seconds)
    hue = int(hashlib.sha256(task_id.encode()).hexdigest()[:4], 16) / 0xFFFF
    words = " ".join(prompt.split()[:6]) or "StarVideos sandbox"
    # A real file, so the index can go first (faststart): browsers start playing before the whole clip is in.
    handle, name = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        _encode(name, ratio, seconds, hue, words)
        return Path(name).read_bytes()
    finally:
        Path(name).unlink(missing_ok=True)


@functools.lru_cache(maxsize=32)
def _frame_plan(ratio: str, seconds: int) -> tuple[Any, list[tuple[int, int]], list[Any]]:
    """What every clip of this duration and ratio shares: the dot, where it is in each frame, and a time-code label
    per tenth of a second (drawn once here, pasted into each clip's frames)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = SIZE[ratio]
    frames = FPS * seconds
    dot = Image.new("L", (29, 29), 0)
    ImageDraw.Draw(dot).ellipse((0, 0, 28, 28), fill=255)
    positions = [(int((width + 40) * n / frames) - 20 - 14, height // 2 - 14) for n in range(frames)]
    small = ImageFont.load_default(size=max(10, width // 28))
    labels = []
    for tenth in range(seconds * 10 + 1):
        label = Image.new("L", (width // 2, 16), 0)
        ImageDraw.Draw(label).text((0, 0), f"{tenth / 10:3.1f} s / {seconds} s", fill=235, font=small)
        labels.append(label)
    return dot, positions, labels


def write_h264(path: str | Path, frames: Iterable[Any], *, size: tuple[int, int], fps: int | Fraction,
               options: Mapping[str, str], source_format: str = "yuv420p") -> Path:
    """Encode ``frames`` (numpy arrays in ``source_format``, or PIL images) as an H.264 MP4 at ``path``, frame n at
    ``n / fps`` seconds, index first (a browser starts playing before the whole file is in)."""
    import av

    width, height = size
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(options)
        for n, picture in enumerate(frames):
            frame = (av.VideoFrame.from_image(picture) if hasattr(picture, "getbands")
                     else av.VideoFrame.from_ndarray(picture, format=source_format))
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return Path(path)


def yuv420p(luma: np.ndarray, u: int, v: int) -> np.ndarray:
    """One frame as ``write_h264`` takes it: the luma plane over flat U and V planes (a quarter of its size each)."""
    import numpy as np

    height, width = luma.shape
    quarter = (height // 2) * (width // 2)
    array = np.empty((height * 3 // 2, width), np.uint8)
    array[:height] = luma
    flat = array.reshape(-1)
    flat[width * height:width * height + quarter] = u
    flat[width * height + quarter:] = v
    return array


def _encode(name: str, ratio: str, seconds: int, hue: float, words: str) -> None:
    from PIL import Image, ImageDraw, ImageFont

    width, height = SIZE[ratio]
    dot, positions, labels = _frame_plan(ratio, seconds)
    font = ImageFont.load_default(size=max(12, width // 18))
    # The words are drawn once per clip, as a mask pasted on each frame's background.
    text = Image.new("L", (width, height), 0)
    ImageDraw.Draw(text).multiline_text((10, 8), _wrap(words, 22 if width > height else 14), fill=255, font=font,
                                        spacing=2)
    # One background per clip: frames that differ only where the dot and the time code are encode in a fraction of
    # the time of frames that all change.
    r, g, b = (int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, 0.45))

    def frames() -> Iterable[Any]:
        for n in range(FPS * seconds):
            image = Image.new("RGB", (width, height), (r, g, b))
            image.paste((250, 250, 255), (0, 0), text)
            image.paste((240, 240, 250), positions[n], dot)
            image.paste((230, 230, 240), (10, height - 20), labels[min(len(labels) - 1, n * 10 // FPS)])
            yield image

    # A simulated take's looks do not matter, its cost does (every finished test take is one): the fastest preset on
    # one thread took about half the CPU of veryfast with x264's threads (0.054 against 0.100 CPU-s for 5 s).
    write_h264(name, frames(), size=(width, height), fps=FPS,
               options={"preset": "ultrafast", "crf": "28", "threads": "1"})


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])
