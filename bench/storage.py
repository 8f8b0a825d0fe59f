"""B9 (keeping a finished video) and B10 (an uploaded reference picture), against moto's S3 server over HTTP and a
local folder, each next to the bare operation it adds to."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import requests
from PIL import Image

from bench.support import environment, timed
from starvideos.copier import MediaCopier
from starvideos.copies import MediaStore
from starvideos.database import Database
from starvideos.sandbox import SandboxServer
from starvideos.storage import LocalStorage, S3Storage
from starvideos.uploads import UploadStore

VIDEO_MB = 24
# The provider's link is served across the internet: 40 MB/s is a fast CDN. Over raw loopback (about 1 GB/s here)
# any bucket's own ingest speed would be the whole measurement instead of what the copy adds to the download.
SOURCE_RATE = 40 * 2**20


@contextlib.contextmanager
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with environment(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret"  # noqa: S106 - the test server's dummy key
                    , AWS_DEFAULT_REGION="us-east-1",
                     AWS_ENDPOINT_URL=endpoint):
        try:
            yield endpoint
        finally:
            server.stop()


def _bucket(name: str) -> S3Storage:
    storage = S3Storage(name, "media")
    storage.client.create_bucket(Bucket=name)
    return storage


def b9_copy_video(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: the copier's stream of a finished video into local storage and into the bucket; baseline: a bare
    requests download of the same URL to a file. Samples alternate local and S3 copies; the source serves at a
    CDN's speed (SOURCE_RATE)."""
    reps = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp, moto():
        source = Path(tmp) / "source"
        source.mkdir()
        # An MP4 header and incompressible bytes: the copy's cost is moving them, whatever they show.
        (source / "take.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(VIDEO_MB * 2**20))
        with SandboxServer(files=source, files_rate=SOURCE_RATE) as host:
            url = host.file_url("take.mp4")
            db = Database(f"sqlite:///{Path(tmp) / 'h.sqlite3'}")
            allow = {("127.0.0.1", host.port)}
            local = MediaCopier(MediaStore(db), LocalStorage(Path(tmp) / "media"), allow=allow)
            s3 = MediaCopier(MediaStore(db), _bucket("bench-copies"), allow=allow)
            target = Path(tmp) / "bare.mp4"

            def bare() -> None:
                with requests.get(url, stream=True, timeout=60) as answer, target.open("wb") as out:
                    for chunk in answer.iter_content(1024 * 1024):
                        out.write(chunk)

            candidate, baseline = [], []
            bare()
            for n in range(reps):
                for copier in (local, s3):
                    baseline.append(timed(bare))
                    with tempfile.TemporaryFile() as tee:
                        candidate.append(timed(lambda c=copier, t=tee, i=n: c.store_video(url, f"videos/{i}", t)))
            local.close()
            s3.close()
            db.dispose()
    return candidate, baseline


def _photo(megabytes: float) -> bytes:
    """A JPEG of about ``megabytes`` (noise compresses poorly, like a detailed photo)."""
    rng = np.random.default_rng(7)
    side = 2200
    while True:
        pixels = rng.integers(0, 255, (side * 3 // 4, side, 3), dtype=np.uint8)
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, "JPEG", quality=90, exif=Image.Exif())
        if len(out.getvalue()) >= megabytes * 2**20:
            return out.getvalue()
        side += 200


def b10_upload_image(quick: bool) -> tuple[list[float], list[float]]:
    """Candidate: an upload of a 10 MB photo (check, strip, store, sign) to the bucket; baseline: a bare boto3
    put_object of the same bytes."""
    reps = 3 if quick else 9
    photo = _photo(10)
    with tempfile.TemporaryDirectory() as tmp, moto():
        storage = _bucket("bench-uploads")
        db = Database(f"sqlite:///{Path(tmp) / 'h.sqlite3'}")
        uploads = UploadStore(db, storage)
        client = storage.client
        candidate, baseline = [], []
        for n in range(reps):
            # A different picture each time (one changed byte in a comment-free spot is still a new file), so
            # nothing is skipped as "already stored".
            variant = photo[:-3] + bytes([n % 250, 0xFF, 0xD9])
            baseline.append(timed(lambda v=variant, i=n: client.put_object(
                Bucket="bench-uploads", Key=f"bare/{i}.jpg", Body=v, ContentType="image/jpeg")))

            def upload(v: bytes = variant) -> None:
                stored = uploads.add(v, name="photo.jpg")
                storage.signed_url(stored.storage_key, 86400)

            candidate.append(timed(upload))
        db.dispose()
    return candidate, baseline
