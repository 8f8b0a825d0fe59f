"""B22 (making a cut: wall time against Debian's ``ffmpeg`` command line, and peak memory) and B23 (what the cut is:
its length to the frame, and every frame decodes).

The takes are ten 5-second 1280×720 H.264 clips at 24 frames a second with moving texture (so the encoder works as
hard as on a real take). The ``ffmpeg`` command gets the same codec, preset and CRF, and the same filters: a chain
of ``xfade`` crossfades. Without ``ffmpeg`` on the PATH (``apt-get install -y ffmpeg``), B22's baseline is skipped
with a message and the row says so.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from bench.support import timed
from starvideos.cut_render import ENCODER_OPTIONS, Clip, Layout, probe, render
from starvideos.sandbox.clips import write_h264, yuv420p

WIDTH, HEIGHT, FPS = 1280, 720, 24
CROSSFADE = 0.5
NO_FFMPEG = "B22: Debian's ffmpeg is not installed (apt-get install -y ffmpeg); its baseline is skipped."


def take(path: Path, seconds: float, hue: int, *, width: int = WIDTH, height: int = HEIGHT, fps: int = FPS) -> Path:
    """A clip with moving texture (a drifting gradient, noise and a travelling block): real work for x264."""
    rng = np.random.default_rng(hue)
    y, x = np.mgrid[0:height, 0:width]
    base = ((x * 255 // width + y * 128 // height + hue * 37) % 256).astype(np.uint8)
    noise = rng.integers(0, 40, (height, width), dtype=np.uint8)

    def frames() -> Iterator[np.ndarray]:
        for n in range(round(seconds * fps)):
            luma = np.roll(base, n * 4, axis=1) // 2 + np.roll(noise, n * 3, axis=0)
            block = (n * 17) % (width - 200)
            luma[200:400, block:block + 200] = 235
            chroma = (hue * 53 + n) % 200 + 28
            yield yuv420p(luma, chroma, chroma)

    return write_h264(path, frames(), size=(width, height), fps=fps, options={"preset": "ultrafast", "crf": "18"})


@contextlib.contextmanager
def takes(count: int, seconds: float) -> Iterator[list[Path]]:
    with tempfile.TemporaryDirectory(prefix="bench-cuts-") as folder:
        yield [take(Path(folder) / f"take-{n}.mp4", seconds, n) for n in range(count)]


def clips(paths: list[Path], seconds: float, trim: tuple[float, float] = (0.0, 0.0)) -> list[Clip]:
    return [Clip(n, f"Take {n + 1}", path, trim[0], seconds - trim[1]) for n, path in enumerate(paths)]


def layout() -> Layout:
    return Layout(WIDTH, HEIGHT, Fraction(FPS), crossfade=CROSSFADE)


def ffmpeg_command(paths: list[Path], lengths: list[float], out: Path) -> list[str]:
    """Debian's ffmpeg doing what a cut does: the same crossfades (``xfade``), codec, preset and CRF, index first,
    no sound."""
    chain, offset, last = [], 0.0, "0:v"
    for n in range(1, len(paths)):
        offset += lengths[n - 1] - CROSSFADE
        label = f"v{n}"
        chain.append(f"[{last}][{n}:v]xfade=transition=fade:duration={CROSSFADE}:offset={offset:.3f}[{label}]")
        last = label
    chain.append(f"[{last}]format=yuv420p[out]")
    inputs = [arg for path in paths for arg in ("-i", str(path))]
    return ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *inputs, "-filter_complex", ";".join(chain),
            "-map", "[out]", "-c:v", "libx264", "-preset", ENCODER_OPTIONS["preset"], "-crf", ENCODER_OPTIONS["crf"],
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-an", str(out)]


def b22_cut_time(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: the builder's render of ten 5 s 1280×720 takes with 0.5 s crossfades; baseline: the ``ffmpeg``
    command line with the same codec, preset and filters on the same files, interleaved."""
    count, seconds, reps = (4, 3.0, 2) if quick else (10, 5.0, 3)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print(NO_FFMPEG, file=sys.stderr, flush=True)
    with takes(count, seconds) as paths, tempfile.TemporaryDirectory() as out:
        cut = clips(paths, seconds)
        command = ffmpeg_command(paths, [seconds] * count, Path(out) / "ffmpeg.mp4")
        candidate, baseline = [], []
        for _ in range(reps):
            if ffmpeg is not None:
                baseline.append(timed(lambda: subprocess.run(command, check=True)))
            candidate.append(timed(lambda: render(cut, layout(), Path(out) / "cut.mp4")))
    return candidate, baseline


def _rss_peak_reset() -> float:
    """The resident set now (MB), after resetting the kernel's peak mark to it (Linux ``clear_refs``)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def b22_cut_memory(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: the peak resident memory the render adds (MB, the kernel's high-water mark); baseline: the
    process's RSS before (context)."""
    count, seconds = (4, 3.0) if quick else (10, 5.0)
    with takes(count, seconds) as paths, tempfile.TemporaryDirectory() as out:
        cut = clips(paths, seconds)
        render(cut[:2], layout(), Path(out) / "warm.mp4")  # PyAV and x264 loaded: their code is not the cut's
        before = _rss_peak_reset()
        render(cut, layout(), Path(out) / "cut.mp4")
        peak = _status("VmHWM")
    return [peak - before], [before]


def b23_cut_exact(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: how many frames the cut's length is off the sum of its trimmed takes less the crossfades (every
    frame decoded by PyAV; a frame that fails counts as a miss of 1000); baseline: one frame."""
    import av

    count, seconds = (4, 3.0) if quick else (10, 5.0)
    trim = (0.37, 0.29)  # off the frame grid: each take 4.34 s, 104.16 frames (rounding per take would drift)
    with takes(count, seconds) as paths, tempfile.TemporaryDirectory() as out:
        cut = clips(paths, seconds, trim)
        made = Path(out) / "cut.mp4"
        render(cut, layout(), made)
        expected = sum(c.end - c.start for c in cut) - CROSSFADE * (count - 1)
        frames, broken = 0, 0
        with av.open(str(made)) as container:
            stream = container.streams.video[0]
            try:
                for frame in container.decode(stream):
                    frames += 1
                    broken += int(frame.width != WIDTH or frame.height != HEIGHT)
            except av.FFmpegError:
                broken += 1
            duration = float(stream.duration * stream.time_base) if stream.duration else frames / FPS
        measured = probe(Clip(0, "cut", made, 0, 0))
        off = max(abs(duration - expected), abs(frames / FPS - expected)) * FPS
        if broken or measured.fps != FPS or (measured.width, measured.height) != (WIDTH, HEIGHT):
            off += 1000
    return [round(off, 3)], [1.0]
