"""B18 (stored videos streamed by the server layer) and B19 (readiness and metrics with PostgreSQL)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

from bench.seed import seed_tasks
from bench.support import CLEAR, ROOT, chromium, free_port, sandbox_env, server, wait_health, wait_idle

VIDEO_MB = 150
SECRET = "bench-media-secret-0123456789abcdef"  # noqa: S105 - a benchmark's own throwaway key


def padded_h264(path: Path, megabytes: float) -> None:
    """A real H.264 MP4 (moov first) of about ``megabytes``: lossless noise at 12 frames a second with a keyframe
    every second, about 10 Mbit/s (a generated take's rate), so the last second sits at the end of the file, where
    only a Range request reaches quickly."""
    import av
    import numpy as np

    rng = np.random.default_rng(7)
    written = 0
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"preset": "ultrafast", "qp": "0", "g": "12", "keyint_min": "12"}
        while written < megabytes * 2**20:
            image = rng.integers(0, 256, (180, 320, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                written += packet.size
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _seed_stored_takes(db_path: Path, media: Path, source: Path, count: int) -> list[str]:
    """``count`` finished takes whose stored copies are distinct files of ``source``; returns their task ids."""

    from starvideos.database import Database
    from starvideos.history import HistoryStore
    from starvideos.models import TaskStatus, VideoRequest, VideoTask
    from starvideos.schema import task_media

    db = Database(f"sqlite:///{db_path}")
    store = HistoryStore(db)
    ids = []
    for n in range(count):
        record = store.record_attempt(VideoRequest(f"Stored take {n}: noise, lossless, {VIDEO_MB} MB"))
        task_id = f"video_bench_stored_{n}"
        store.mark_created(record, VideoTask(task_id, TaskStatus.COMPLETED, video_url="https://cdn.example.com/x.mp4"))
        key = f"videos/{record}/video.mp4"
        (media / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, media / key)
        with db.write() as conn:
            conn.execute(task_media.update().where(task_media.c.record_id == record).values(
                state="saved", video_key=key, size=source.stat().st_size, due_at=9e18,
                info={"duration": 60.0, "width": 320, "height": 180, "codec": "h264", "container": "mp4",
                      "playable": True}))
        ids.append(task_id)
    db.dispose()
    return ids


_BARE = textwrap.dedent("""
    import sys
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import FileResponse
    from starlette.routing import Route

    async def clip(request):
        return FileResponse(sys.argv[1], media_type="video/mp4")

    uvicorn.run(Starlette(routes=[Route("/clip.mp4", clip)]), host="127.0.0.1", port=int(sys.argv[2]),
                log_level="warning")
""")


@contextlib.contextmanager
def bare_file_server(path: Path) -> Iterator[str]:
    """A bare Starlette ``FileResponse`` of one file under uvicorn: the baseline."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", _BARE, str(path), str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.head(f"http://127.0.0.1:{port}/clip.mp4", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the bare file server did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/clip.mp4"
    finally:
        proc.terminate()
        proc.wait(10)


def _first_frame(browser: object, url: str) -> float:
    """Seconds from handing a page a <video> of ``url`` to its first decoded frame (readyState ≥ 2)."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_content("<video muted preload='auto'></video>")
    elapsed = page.evaluate("""(url) => new Promise((done) => {
        const v = document.querySelector('video');
        const start = performance.now();
        v.addEventListener('loadeddata', () => done((performance.now() - start) / 1000), { once: true });
        v.src = url;
    })""", url)
    page.close()
    return float(elapsed)


class CountingProxy:
    """A loopback TCP proxy that counts the bytes a server sends a browser (Chromium's own network log does not
    report media range reads)."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.received = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, downstream: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if downstream:
                    with self._lock:
                        self.received += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()


def _through(proxy: CountingProxy, url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://127.0.0.1:{proxy.port}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def _seek_bytes(browser: object, url: str) -> float:
    """MB the server sends for a seek of a loaded video to its last second, counted on the wire by a proxy."""
    proxy = CountingProxy(urlsplit(url).port or 80)
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.set_content("<video muted preload='auto'></video>")
        page.evaluate("""(url) => new Promise((done) => {
            const v = document.querySelector('video');
            v.addEventListener('loadeddata', () => done(), { once: true });
            v.src = url;
        })""", _through(proxy, url))
        quiet, last = 0, -1
        while quiet < 10:  # the initial buffering has settled: nothing new for a second
            page.wait_for_timeout(100)
            quiet, last = (quiet + 1, last) if proxy.received == last else (0, proxy.received)
        start = proxy.received
        page.evaluate("""() => new Promise((done) => {
            const v = document.querySelector('video');
            v.addEventListener('seeked', () => done(), { once: true });
            v.currentTime = v.duration - 1;
        })""")
        page.wait_for_function("() => document.querySelector('video').readyState >= 2")
        page.wait_for_timeout(500)
        return (proxy.received - start) / 2**20
    finally:
        page.close()
        proxy.close()


def _signed(url: str, key: str) -> str:
    from starvideos.signing import Signer

    return url + Signer(SECRET).media_path(key, ttl=3600)


@contextlib.contextmanager
def _stored_videos(count: int, quick: bool) -> Iterator[tuple[Path, Path, list[str], dict[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = root / "source.mp4"
        padded_h264(source, VIDEO_MB)
        env = {**sandbox_env(root), "STARVIDEOS_SECRET_KEY": SECRET}
        media = Path(env["STARVIDEOS_STORAGE_URL"])
        ids = _seed_stored_takes(Path(env["STARVIDEOS_HISTORY_PATH"]), media, source, count)
        yield root, source, ids, env


def b18_first_frame(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: the app's signed /files link; baseline: a bare Starlette FileResponse of the same file."""
    reps = 3 if quick else 7
    with _stored_videos(1, quick) as (_root, source, _ids, env), chromium() as browser, \
            server(ROOT / "app.py", env) as (url, proc), bare_file_server(source) as bare:
        wait_health(url, proc)
        link = _signed(url, next(p for p in Path(env["STARVIDEOS_STORAGE_URL"]).rglob("video.mp4"))
                       .relative_to(env["STARVIDEOS_STORAGE_URL"]).as_posix())
        _first_frame(browser, link), _first_frame(browser, bare)  # warm both (page cache, connections)
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_first_frame(browser, bare))
            candidate.append(_first_frame(browser, link))
    return candidate, baseline


def b18_server_memory(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: the server's RSS growth (MB) while four browsers play four different stored videos on the task
    view; baseline: the server's RSS before (context)."""
    with _stored_videos(4, quick) as (_root, _source, ids, env), chromium() as browser, \
            server(ROOT / "app.py", env) as (url, proc):
        wait_health(url, proc)
        warm = browser.new_page()  # type: ignore[attr-defined]
        warm.goto(f"{url}/history?task={ids[0]}")
        wait_idle(warm)
        warm.close()
        time.sleep(1)
        before = psutil.Process(proc.pid).memory_info().rss
        contexts = []
        for task_id in ids:
            context = browser.new_context()  # type: ignore[attr-defined]
            page = context.new_page()
            page.goto(f"{url}/history?task={task_id}")
            page.wait_for_selector("video", timeout=60_000)
            page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
            page.wait_for_function("() => document.querySelector('video').currentTime > 1", timeout=60_000)
            contexts.append(context)
        time.sleep(2)
        after = psutil.Process(proc.pid).memory_info().rss
        for context in contexts:
            context.close()
    return [(after - before) / 2**20], [before / 2**20]


def b18_seek(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: MB transferred to seek to the last second through /files; baseline: the same through a bare
    FileResponse (context)."""
    reps = 2 if quick else 3
    with _stored_videos(1, quick) as (_root, source, _ids, env), chromium() as browser, \
            server(ROOT / "app.py", env) as (url, proc), bare_file_server(source) as bare:
        wait_health(url, proc)
        key = next(p for p in Path(env["STARVIDEOS_STORAGE_URL"]).rglob("video.mp4")).relative_to(
            env["STARVIDEOS_STORAGE_URL"]).as_posix()
        candidate, baseline = [], []
        for _ in range(reps):
            baseline.append(_seek_bytes(browser, bare))
            candidate.append(_seek_bytes(browser, _signed(url, key)))
    return candidate, baseline


def _route_ms(url: str, reps: int) -> list[float]:
    session = requests.Session()
    session.get(url, timeout=30)  # warm: the first answer builds what later ones reuse
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        answer = session.get(url, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
    return times


def _team_server(quick: bool, route: str) -> tuple[list[float], list[float]]:
    from starvideos.sandbox.postgres import LocalPostgres

    reps = 30 if quick else 200
    with LocalPostgres() as pg:
        url = pg.create_database("routes")
        seed_tasks(url, 10_000 if quick else 100_000)
        env = {**CLEAR, "STARVIDEOS_MODE": "sandbox", "STARVIDEOS_SANDBOX_PORT": "0", "STARVIDEOS_DATABASE_URL": url}
        with tempfile.TemporaryDirectory() as tmp, server(ROOT / "app.py",
                                                          {**env, "STARVIDEOS_STORAGE_URL": tmp}) as (base, proc):
            wait_health(base, proc)
            deadline = time.monotonic() + 60
            while requests.get(f"{base}/readyz", timeout=30).status_code != 200:
                assert time.monotonic() < deadline, "never ready"
                time.sleep(0.2)
            candidate, baseline = [], []
            for _ in range(reps // 10):  # interleaved in tens
                baseline += _route_ms(f"{base}/healthz", 10)
                candidate += _route_ms(f"{base}{route}", 10)
    return candidate, baseline


def b19_readyz(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: /readyz (ms) on PostgreSQL; baseline: /healthz (ms, context)."""
    return _team_server(quick, "/readyz")


def b19_metrics(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: /metrics (ms) with 100,000 tasks on PostgreSQL; baseline: /healthz (ms, context)."""
    return _team_server(quick, "/metrics")
