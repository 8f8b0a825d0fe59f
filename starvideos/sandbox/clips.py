"""Distinct little videos for the sandbox: each simulated task gets its own 3-second H.264 clip, a colour drawn
from its id with the first words of its prompt on it, so a gallery of sandbox takes can be told apart (and a
compare shows different videos). Made with PyAV on first request and kept in memory; without PyAV the shared
sample clip is served instead."""

from __future__ import annotations

import colorsys
import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)

SIZE = {"16:9": (320, 180), "9:16": (180, 320)}
FPS, SECONDS = 24, 3


class ClipMaker:
    def __init__(self, limit: int = 64) -> None:
        self._clips: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def clip(self, task_id: str, prompt: str | None, ratio: str = "16:9") -> bytes | None:
        with self._lock:
            if task_id in self._clips:
                self._clips.move_to_end(task_id)
                return self._clips[task_id]
        try:
            data = render(task_id, prompt or "", ratio)
        except Exception as exc:  # no PyAV, no encoder: the sample clip will do
            log.debug("could not render a sandbox clip: %s", exc)
            return None
        with self._lock:
            self._clips[task_id] = data
            while len(self._clips) > self._limit:
                self._clips.popitem(last=False)
        return data


def render(task_id: str, prompt: str, ratio: str) -> bytes:
    import av

    width, height = SIZE.get(ratio, SIZE["16:9"])
    hue = int(hashlib.sha256(task_id.encode()).hexdigest()[:4], 16) / 0xFFFF
    words = " ".join(prompt.split()[:6]) or "StarVideos sandbox"
    # A real file, so the index can go first (faststart): browsers start playing before the whole clip is in.
    handle, name = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        _encode(av, name, width, height, hue, words)
        return Path(name).read_bytes()
    finally:
        Path(name).unlink(missing_ok=True)


def _encode(av: object, name: str, width: int, height: int, hue: float, words: str) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=max(12, width // 18))
    small = ImageFont.load_default(size=max(10, width // 28))
    with av.open(name, "w", format="mp4", options={"movflags": "faststart"}) as container:  # type: ignore[attr-defined]
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "28"}
        for n in range(FPS * SECONDS):
            shade = 0.35 + 0.25 * (n / (FPS * SECONDS))
            r, g, b = (int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, shade))
            image = Image.new("RGB", (width, height), (r, g, b))
            draw = ImageDraw.Draw(image)
            x = int((width + 40) * n / (FPS * SECONDS)) - 20
            draw.ellipse((x - 14, height // 2 - 14, x + 14, height // 2 + 14), fill=(240, 240, 250))
            draw.multiline_text((10, 8), _wrap(words, 22 if width > height else 14), fill=(250, 250, 255), font=font,
                                spacing=2)
            draw.text((10, height - 20), f"{n / FPS:3.1f} s", fill=(230, 230, 240), font=small)
            for packet in stream.encode(av.VideoFrame.from_image(image)):  # type: ignore[attr-defined]
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


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
