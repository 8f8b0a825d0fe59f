"""Drawing a cut with PyAV: takes (each from its in to its out point) one after another at one size and frame rate,
optional crossfades between them, optional title and end cards, encoded once into an H.264 MP4 (yuv420p, index
first so browsers start playing at once, no sound track).

Frames are handled as yuv420p arrays, the encoder's own format: a take of the cut's size passes through without a
colour conversion, a take of another shape is scaled to fit and centred between black bars (never stretched), and
a crossfade is a weighted sum of two arrays. One take is decoded at a time; a crossfade keeps only the previous
take's last frames. Words on cards are drawn by Pillow as plain text: nothing a person typed is interpreted.

``check`` is called with the share done every few frames; it raises to stop (a cancel, a lost lease, a shutdown),
and the caller removes the half-written file.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import numpy as np

from .errors import CutError, UnreadableTakeError

log = logging.getLogger(__name__)

ENCODER = "libx264"
ENCODER_OPTIONS = {"preset": "veryfast", "crf": "20"}
"""x264's settings for every cut (the bench gives the ``ffmpeg`` command line the same)."""
CARD_SECONDS = 2.0
MAX_FPS = Fraction(60)
CHECK_EVERY = 12
"""Frames between two calls of ``check``."""
_BLACK = (16, 128, 128)  # Y, U, V of black in the limited range H.264 players expect
_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
          "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
          "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
          "/Library/Fonts/Arial Unicode.ttf", "C:/Windows/Fonts/arialbd.ttf")


@dataclass(frozen=True)
class Clip:
    """One take as the cut uses it: its local file and the part of it that plays."""

    record_id: int
    name: str
    """How messages name it ("Take 2 “A fox…”")."""
    path: Path
    start: float
    end: float


@dataclass(frozen=True)
class Probe:
    """What a take's file is: its picture size and frame rate, and how long it lasts (seconds; None unknown)."""

    width: int
    height: int
    fps: Fraction
    duration: float | None


@dataclass(frozen=True)
class Layout:
    """What the cut looks like: its size and frame rate, crossfade length and cards."""

    width: int
    height: int
    fps: Fraction
    crossfade: float = 0.0
    title: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Rendered:
    frames: int
    seconds: float
    width: int
    height: int
    fps: Fraction


def probe(clip: Clip) -> Probe:
    """Open a take's file and read its first frame; ``UnreadableTakeError`` naming the take when that fails."""
    import av

    try:
        with av.open(str(clip.path)) as container:
            if not container.streams.video:
                raise UnreadableTakeError(clip.record_id, clip.name, "its stored copy has no video in it")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(24)
            duration = float(container.duration / 1_000_000) if container.duration else None
            frame = next(container.decode(stream), None)
            if frame is None:
                raise UnreadableTakeError(clip.record_id, clip.name, "its stored copy has no frames")
            return Probe(frame.width, frame.height, Fraction(rate).limit_denominator(1001), duration)
    except (av.FFmpegError, OSError) as exc:
        raise UnreadableTakeError(clip.record_id, clip.name,
                                  f"its stored copy cannot be read ({type(exc).__name__})") from None


def most_common(probes: list[Probe]) -> tuple[int, int, Fraction]:
    """The size and the frame rate most takes have (the earlier take wins a tie), sizes made even for H.264."""
    sizes = Counter((p.width, p.height) for p in probes)
    width, height = max(sizes, key=lambda s: (sizes[s], -[(p.width, p.height) for p in probes].index(s)))
    rates = Counter(p.fps for p in probes)
    fps = max(rates, key=lambda r: (rates[r], -[p.fps for p in probes].index(r)))
    return max(2, width - width % 2), max(2, height - height % 2), min(MAX_FPS, fps)


def render(clips: list[Clip], layout: Layout, out: Path,
           check: Callable[[float], None] = lambda _share: None) -> Rendered:
    """Encode the cut into ``out`` (an MP4); returns how many frames and seconds it holds."""
    import av

    segments, overlaps = _timeline(clips, layout)
    total = sum(count for count, _ in segments) - sum(overlaps)
    with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = cast("av.VideoStream", container.add_stream(ENCODER, rate=layout.fps))
        stream.width, stream.height, stream.pix_fmt = layout.width, layout.height, "yuv420p"
        stream.options = dict(ENCODER_OPTIONS)
        # Frame threads, as the ffmpeg command line uses: PyAV's default (slices) runs x264 at about half speed.
        stream.codec_context.thread_type = "FRAME"
        stream.codec_context.thread_count = 0
        encoder = _Encoder(container, stream, total, check, 1 / layout.fps)
        for frame in _sequence(segments, overlaps):
            encoder.put(frame)
        encoder.close()
    if encoder.count != total:  # a planning mistake, never a take's fault
        raise CutError(f"The cut came out {encoder.count} frames long instead of {total}.")
    return Rendered(total, float(total / layout.fps), layout.width, layout.height, layout.fps)


class _Encoder:
    def __init__(self, container: Any, stream: Any, total: int, check: Callable[[float], None],
                 time_base: Fraction) -> None:
        import av

        self._av = av
        self._container, self._stream, self._total, self._check = container, stream, total, check
        self._time_base = time_base
        self.count = 0

    def put(self, picture: Picture) -> None:
        if isinstance(picture, np.ndarray):
            frame = self._av.VideoFrame.from_ndarray(picture, format="yuv420p")
        else:  # a decoded frame that needs no change goes in as it is; its own timing and type are forgotten
            frame = picture
            frame.pict_type = 0
        frame.time_base = self._time_base
        frame.pts = self.count
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.count += 1
        if self.count % CHECK_EVERY == 0:
            self._check(self.count / self._total)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)


Picture = Any
"""A frame of the cut: a yuv420p array of its size, or a decoded ``av.VideoFrame`` that already is one."""
Segment = tuple[int, Callable[[], Iterator[Picture]]]
"""How many frames a part of the cut has, and what yields them (exactly that many)."""


def _timeline(clips: list[Clip], layout: Layout) -> tuple[list[Segment], list[int]]:
    """The parts of the cut (cards and takes) with their frame counts, and how many frames each crossfade spans
    (the first is 0). Frames are counted from each part's place on the cut's timeline, rounded once, so however
    many takes, the cut is its planned length to within half a frame."""
    parts: list[tuple[float, Callable[[int], Iterator[Picture]]]] = []
    if layout.title:
        parts.append((CARD_SECONDS, functools.partial(_card_frames, layout.title, layout, True)))
    for clip in clips:
        parts.append((clip.end - clip.start, functools.partial(_take_frames, clip, layout)))
    if layout.end:
        parts.append((CARD_SECONDS, functools.partial(_card_frames, layout.end, layout, False)))
    segments: list[Segment] = []
    overlaps: list[int] = []
    at, previous_end = 0.0, 0
    for number, (seconds, make) in enumerate(parts):
        start = round(at * layout.fps) if number else 0
        end = round((at + seconds) * layout.fps)
        segments.append((end - start, functools.partial(make, end - start)))
        overlaps.append(previous_end - start if number else 0)
        at += seconds - layout.crossfade
        previous_end = end
    for number, (count, _make) in enumerate(segments):
        following = overlaps[number + 1] if number + 1 < len(segments) else 0
        if count < 1 or overlaps[number] < 0 or overlaps[number] + following > count:
            raise CutError("A take is shorter than the crossfades into and out of it.",
                           hint="Shorten the crossfade or trim the takes less.")
    return segments, overlaps


def _card_frames(text: str, layout: Layout, large: bool, count: int) -> Iterator[np.ndarray]:
    picture = card(text, layout.width, layout.height, large=large)
    for _ in range(count):
        yield picture


def _sequence(segments: list[Segment], overlaps: list[int]) -> Iterator[Picture]:
    """Every frame of the cut in order: each part's frames, the last frames of one blended into the first of the
    next over each crossfade."""
    tail: list[Picture] = []
    for number, (_count, make) in enumerate(segments):
        frames = make()
        for n, previous in enumerate(tail):
            yield blend(previous, next(frames), (n + 1) / (len(tail) + 1))
        held: deque[Picture] = deque()
        keep = overlaps[number + 1] if number + 1 < len(segments) else 0
        for frame in frames:
            held.append(frame)
            if len(held) > keep:
                yield held.popleft()
        tail = list(held)


def blend(first: Picture, second: Picture, weight: float) -> np.ndarray:
    """``first`` fading into ``second``: ``weight`` 0 is all first, 1 all second."""
    w = round(weight * 256)
    mixed = _array(first).astype(np.uint16) * (256 - w) + _array(second).astype(np.uint16) * w + 128
    return (mixed >> 8).astype(np.uint8)


def _array(picture: Picture) -> np.ndarray:
    return picture if isinstance(picture, np.ndarray) else picture.to_ndarray()


def _take_frames(clip: Clip, layout: Layout, count: int) -> Iterator[Picture]:
    """Exactly ``count`` frames of the take at the cut's rate, from ``clip.start``: for each output instant the
    source frame nearest to it (a take at another rate is resampled the way FFmpeg's ``fps`` filter does)."""
    import av

    try:
        with av.open(str(clip.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            offset = float(stream.start_time * stream.time_base) if stream.start_time and stream.time_base else 0.0
            if clip.start > 0.5:
                container.seek(int((clip.start + offset) * av.time_base), backward=True, any_frame=False)
            fit = _Fit(layout.width, layout.height)
            decoded = _timed(container.decode(stream), offset)
            current = next(decoded, None)
            if current is None:
                raise UnreadableTakeError(clip.record_id, clip.name, "its stored copy has no frames")
            following = next(decoded, None)
            step = 1 / float(layout.fps)
            for n in range(count):
                instant = clip.start + n * step
                while following is not None and following[0] - instant <= instant - current[0]:
                    current, following = following, next(decoded, None)
                if following is None and instant - current[0] > max(0.25, 3 * step):
                    raise UnreadableTakeError(clip.record_id, clip.name,
                                              f"its stored copy ends at {current[0]:.1f} s, before its out point "
                                              f"({clip.end:.1f} s); it may be damaged")
                yield fit(current[1])
    except av.FFmpegError as exc:
        raise UnreadableTakeError(clip.record_id, clip.name,
                                  f"its stored copy cannot be read to the end ({type(exc).__name__})") from None


def _timed(frames: Iterator[Any], offset: float) -> Iterator[tuple[float, Any]]:
    """Decoded frames with their time from the take's start (frames without a time follow the previous one)."""
    last = -1.0
    for frame in frames:
        when = frame.time - offset if frame.time is not None else last + 1e-3
        last = when
        yield when, frame


class _Fit:
    """A decoded frame as a yuv420p array of the cut's size: scaled to fit, centred between black bars."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._boxes: dict[tuple[int, int], tuple[int, int, int, int]] = {}

    def __call__(self, frame: Any) -> Picture:
        box = self._boxes.get((frame.width, frame.height))
        if box is None:
            box = self._boxes[(frame.width, frame.height)] = fitted(frame.width, frame.height, self.width,
                                                                    self.height)
        x, y, w, h = box
        if (w, h) != (frame.width, frame.height) or frame.format.name != "yuv420p":
            frame = frame.reformat(width=w, height=h, format="yuv420p", interpolation="BICUBIC")
        if (w, h) == (self.width, self.height):
            return frame
        canvas = black(self.width, self.height)
        paste(canvas, frame.to_ndarray(), x, y, self.width, self.height, w, h)
        return canvas


def fitted(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int, int, int]:
    """Where a ``width``×``height`` picture goes in the box, scaled to fit without changing its shape: ``(x, y, w,
    h)``, all even (yuv420p's colour planes are half size)."""
    scale = min(box_width / width, box_height / height)
    w = min(box_width, max(2, round(width * scale / 2) * 2))
    h = min(box_height, max(2, round(height * scale / 2) * 2))
    x = (box_width - w) // 4 * 2
    y = (box_height - h) // 4 * 2
    return x, y, w, h


def planes(array: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of a yuv420p array's Y, U and V planes."""
    quarter = (height // 2) * (width // 2)
    flat = array.reshape(-1)
    luma = flat[:width * height].reshape(height, width)
    u = flat[width * height:width * height + quarter].reshape(height // 2, width // 2)
    v = flat[width * height + quarter:width * height + 2 * quarter].reshape(height // 2, width // 2)
    return luma, u, v


@functools.lru_cache(maxsize=8)
def _black(width: int, height: int) -> np.ndarray:
    array = np.empty((height * 3 // 2, width), np.uint8)
    for plane, value in zip(planes(array, width, height), _BLACK, strict=True):
        plane[...] = value
    array.flags.writeable = False
    return array


def black(width: int, height: int) -> np.ndarray:
    return _black(width, height).copy()


def paste(canvas: np.ndarray, picture: np.ndarray, x: int, y: int, width: int, height: int, w: int, h: int) -> None:
    for target, source, k in zip(planes(canvas, width, height), planes(picture, w, h), (1, 2, 2), strict=True):
        target[y // k:(y + h) // k, x // k:(x + w) // k] = source


@functools.lru_cache(maxsize=16)
def card(text: str, width: int, height: int, *, large: bool = True) -> np.ndarray:
    """Words centred on black, as a yuv420p array. The text is drawn as it is: never markup, never a format."""
    import av
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    size = max(10, (height if width >= height else width) // (9 if large else 14))
    font = _font(size)
    lines = _wrap(draw, _plain(text), font, int(width * 0.84))
    spacing = size // 3
    block = draw.multiline_textbbox((0, 0), "\n".join(lines), font=font, spacing=spacing, align="center")
    left = (width - (block[2] - block[0])) / 2 - block[0]
    top = (height - (block[3] - block[1])) / 2 - block[1]
    draw.multiline_text((left, top), "\n".join(lines), font=font, fill=(245, 245, 245), spacing=spacing,
                        align="center")
    array: np.ndarray = av.VideoFrame.from_image(image).reformat(format="yuv420p").to_ndarray()
    array.flags.writeable = False
    return array


def _plain(text: str) -> str:
    """One line of printable text: control characters become spaces (a newline a person typed is kept)."""
    kept = "".join(ch if ch == "\n" or ch.isprintable() else " " for ch in text)
    return "\n".join(" ".join(line.split()) for line in kept.splitlines()).strip() or " "


def _wrap(draw: Any, text: str, font: Any, width: int, max_lines: int = 4) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}".strip()
            if line and draw.textlength(candidate, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + "…"
    return [_clip_line(draw, line, font, width) for line in lines]


def _clip_line(draw: Any, line: str, font: Any, width: int) -> str:
    """A line (one long word) cut to the width with an ellipsis."""
    if draw.textlength(line, font=font) <= width:
        return line
    while line and draw.textlength(line + "…", font=font) > width:
        line = line[:-1]
    return line + "…"


@functools.lru_cache(maxsize=8)
def _font(size: int) -> Any:
    """A bold system font with wide coverage when one is installed, else Pillow's own."""
    from PIL import ImageFont

    for path in _FONTS:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)
