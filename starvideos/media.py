"""Looking inside a finished video with PyAV (which ships its own FFmpeg): duration, size, codec, whether browsers
can play it, and the pictures made from it: a poster frame, the last frame (to continue a shot from), a small
animated preview for slides and chat, and the frame at a given moment (a review note's picture). PyAV is imported
on first use: no page pays for it on its first paint.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import FetchError

# What browsers play natively: H.264, VP9 or AV1 video in MP4 or WebM (the issue's own list; VP8 in WebM too).
_PLAYABLE_CODECS = {"h264", "vp9", "av1", "vp8"}
_MP4_FAMILY = ("mov", "mp4")
_WEBM_FAMILY = ("matroska", "webm")
POSTER_WIDTH = 480
PREVIEW_WIDTH = 320
PREVIEW_SECONDS = 3.0
PREVIEW_FPS = 8
THUMB_WIDTH = 320


@dataclass(frozen=True)
class VideoInfo:
    """What a finished video is."""

    duration: float | None
    """Seconds."""
    width: int
    height: int
    codec: str
    """FFmpeg's codec name, like ``h264``."""
    container: str
    """``mp4`` or ``webm`` (or FFmpeg's name for anything else)."""
    playable: bool
    """True when browsers can play it as it is."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def warning(self) -> str | None:
        if self.playable:
            return None
        return (f"This video is {self.codec.upper()} in {self.container.upper()}; browsers may not play it "
                "(they play H.264, VP9 or AV1 in MP4 or WebM). Download it to watch it.")


def sniff_container(head: bytes) -> str | None:
    """``mp4`` or ``webm`` from a file's first bytes, or None when it is not a video we know."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def inspect_video(path: Path) -> VideoInfo:
    """Read a video's duration, pixel size and codec; ``FetchError`` when FFmpeg cannot read it as a video."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise FetchError("The file has no video in it.")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            duration = float(container.duration / 1_000_000) if container.duration else (
                float(stream.duration * stream.time_base) if stream.duration and stream.time_base else None)
            format_names = container.format.name.split(",")
            kind = "mp4" if any(n in _MP4_FAMILY for n in format_names) else (
                "webm" if any(n in _WEBM_FAMILY for n in format_names) else format_names[0])
            return VideoInfo(duration, stream.width, stream.height, codec, kind,
                             playable=codec in _PLAYABLE_CODECS and kind in ("mp4", "webm"))
    except av.FFmpegError as exc:
        raise FetchError(f"The file is not a readable video ({type(exc).__name__}).") from None


def poster_jpeg(path: Path) -> bytes:
    """A JPEG of an early frame (a second in, or a tenth of the way for short clips), at most 480 pixels wide."""
    frames = _frames(path, start=None, limit=1, pick="poster")
    return _jpeg(frames[0], POSTER_WIDTH) if frames else b""


def last_frame_png(path: Path) -> bytes:
    """The video's last frame at full size (PNG: it becomes the next shot's reference, so no compression loss)."""
    frames = _frames(path, start=None, limit=1, pick="last")
    if not frames:
        raise FetchError("The video has no frames.")
    out = io.BytesIO()
    frames[0].save(out, "PNG", optimize=False, compress_level=3)
    return out.getvalue()


def animated_preview(path: Path) -> bytes:
    """A small looping WebP of the first few seconds, for slides and chat."""
    frames = _frames(path, start=0.0, limit=int(PREVIEW_SECONDS * PREVIEW_FPS), pick="every")
    if not frames:
        return b""
    small = [_resized(frame, PREVIEW_WIDTH) for frame in frames]
    out = io.BytesIO()
    # Method 4 took twice the CPU of method 2 for a file about 6 % smaller. No key frames past the first (kmax=0): a
    # looping preview is never entered in the middle, and the encoder no longer tries each frame both ways (a 5 s
    # sandbox take's preview 0.081 → 0.053 CPU-s, 21 → 17 kB).
    small[0].save(out, "WEBP", save_all=True, append_images=small[1:], duration=int(1000 / PREVIEW_FPS), loop=0,
                  quality=70, method=2, kmin=0, kmax=0)
    return out.getvalue()


def frame_at(path: Path, seconds: float) -> tuple[bytes, bytes]:
    """The frame shown at ``seconds`` (the last one that starts at or before it; the last frame past the end), as a
    small JPEG thumbnail and a full-size JPEG (a retake's reference picture). ``FetchError`` when there is none."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise FetchError("The file has no video in it.")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            # A seek lands on the keyframe at or before the moment; decoding on from there finds the frame itself.
            container.seek(max(0, int(seconds * av.time_base)), any_frame=False, backward=True)
            shown = None
            for frame in container.decode(stream):
                if shown is not None and frame.time is not None and frame.time > seconds + 1e-6:
                    break
                shown = frame
            if shown is None:
                raise FetchError("The video has no frame at that moment.")
            image = shown.to_image()
    except av.FFmpegError as exc:
        raise FetchError(f"The video could not be read ({type(exc).__name__}).") from None
    return _jpeg(image, THUMB_WIDTH), _jpeg(image, image.width, quality=92)


def _frames(path: Path, *, start: float | None, limit: int, pick: str) -> list[Any]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = float(container.duration / 1_000_000) if container.duration else None
        if pick == "poster":
            target = min(1.0, (duration or 1.0) / 10)
            for frame in container.decode(stream):
                if frame.time is None or frame.time >= target:
                    return [frame.to_image()]
            return []
        if pick == "last":
            if duration and duration > 1.5:
                container.seek(int((duration - 1.0) * av.time_base), any_frame=False, backward=True)
            last = None
            for frame in container.decode(stream):
                last = frame
            return [last.to_image()] if last is not None else []
        step = 1.0 / PREVIEW_FPS
        picked: list[Any] = []
        next_time = start or 0.0
        for frame in container.decode(stream):
            when = frame.time if frame.time is not None else next_time
            if when + 1e-6 >= next_time:
                picked.append(frame.to_image())
                next_time += step
                if len(picked) >= limit:
                    break
        return picked


def _resized(image: Any, width: int) -> Any:
    if image.width <= width:
        return image.convert("RGB")
    height = max(2, round(image.height * width / image.width))
    return image.convert("RGB").resize((width, height))


def _jpeg(image: Any, width: int, *, quality: int = 80) -> bytes:
    out = io.BytesIO()
    _resized(image, width).save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()
