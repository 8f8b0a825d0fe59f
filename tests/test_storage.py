"""Storage on a real folder and on moto's S3 server over HTTP: writes all or nothing, links a stranger can fetch,
plain errors for a full disk or an unreachable bucket, and no credential in any message."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from starvideos.errors import StorageError
from starvideos.storage import LocalStorage, S3Storage, open_storage


class Stream:
    """A download that delivers ``size`` bytes, or breaks after ``fail_after`` bytes."""

    def __init__(self, size: int, fail_after: int | None = None) -> None:
        self.size, self.fail_after, self.sent = size, fail_after, 0

    def read(self, amount: int = -1) -> bytes:
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise ConnectionError("the download broke")
        amount = self.size - self.sent if amount < 0 else min(amount, self.size - self.sent)
        self.sent += amount
        return b"v" * amount


def leftovers(storage: object, prefix: str) -> list[str]:
    """Everything under ``prefix``: files (temporary ones included), objects, and unfinished multipart uploads."""
    if isinstance(storage, LocalStorage):
        return [str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file()]
    assert isinstance(storage, S3Storage)
    objects = storage.client.list_objects_v2(Bucket=storage.bucket).get("Contents", [])
    uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads", [])
    return [o["Key"] for o in objects if prefix in o["Key"]] + [u["Key"] for u in uploads]


def test_write_read_and_links(storage_url: str) -> None:
    """Test a round trip, existence, and (on S3) a signed link that a stranger without credentials can fetch."""
    storage = open_storage(storage_url)
    storage.check()
    storage.put_bytes("uploads/a.png", b"\x89PNG picture", "image/png")
    assert storage.exists("uploads/a.png") and not storage.exists("uploads/b.png")
    assert storage.read_bytes("uploads/a.png") == b"\x89PNG picture"
    link = storage.signed_url("uploads/a.png", 600)
    if storage.kind == "local":
        assert link is None and storage.local_path("uploads/a.png").read_bytes() == b"\x89PNG picture"
    else:
        answer = requests.get(link, timeout=5)  # no credentials: what the API will do
        assert answer.status_code == 200 and answer.content == b"\x89PNG picture"
        assert answer.headers["Content-Type"] == "image/png"
        assert storage.signed_url("uploads/a.png", 600) == link  # reused, so a page that redraws keeps it
        assert "test-secret-key" not in link


@pytest.mark.parametrize("size", [3 * 2**20, 20 * 2**20])
def test_streamed_writes_are_all_or_nothing(storage_url: str, size: int) -> None:
    """Test that a stream breaking half-way leaves nothing behind (no file, no object, no unfinished multipart
    upload), and a whole stream is stored whole; for a small and a multipart-sized stream."""
    storage = open_storage(storage_url)
    with pytest.raises(ConnectionError):
        storage.put_stream("videos/1/video.mp4", Stream(size, fail_after=size // 2), "video/mp4")
    assert leftovers(storage, "videos/1") == []
    assert storage.put_stream("videos/2/video.mp4", Stream(size), "video/mp4") == size
    assert len(storage.read_bytes("videos/2/video.mp4")) == size


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB filesystem (tmpfs), to fill up."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_is_a_plain_message_and_leaves_nothing(tiny_disk: Path) -> None:
    """Test that filling the disk gives "is full" in plain words, and no partial file is left."""
    storage = LocalStorage(tiny_disk / "media")
    storage.put_bytes("small.bin", b"x" * 1000, "application/octet-stream")
    with pytest.raises(StorageError) as info:
        storage.put_stream("videos/9/video.mp4", Stream(5 * 2**20), "video/mp4")
    assert info.value.message == f"The disk holding STARVIDEOS_STORAGE_URL ({tiny_disk / 'media'}) is full."
    assert "nothing was lost, the app tries again later" in info.value.hint
    assert leftovers(storage, "videos") == ["small.bin"]


def test_unreachable_bucket_is_a_plain_message_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that a bucket nobody answers for is reported plainly, naming the setting, never the keys."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA-VISIBLE-ID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "super-secret-key-never-shown")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    storage = S3Storage("team-media", "studio")
    storage.client.meta.config.retries = {"max_attempts": 1}
    with pytest.raises(StorageError) as info:
        storage.put_bytes("uploads/a.png", b"x", "image/png")
    message = f"{info.value.message} {info.value.hint}"
    assert info.value.message.startswith("Could not store a file in STARVIDEOS_STORAGE_URL (s3://team-media/studio): "
                                         "the bucket could not be reached")
    assert "super-secret-key-never-shown" not in message and "AKIA-VISIBLE-ID" not in message


def test_missing_bucket_names_the_problem(s3_bucket: str) -> None:
    """Test that a bucket that does not exist is named as such by the service's own words."""
    storage = open_storage(s3_bucket.replace("studio-", "nobody-"))
    with pytest.raises(StorageError, match="NoSuchBucket"):
        storage.put_bytes("a", b"x", "text/plain")


def test_keys_cannot_leave_the_folder(tmp_path: Path) -> None:
    """Test that a key with ../ cannot write outside the storage folder."""
    with pytest.raises(StorageError, match="outside the folder"):
        LocalStorage(tmp_path / "media").put_bytes("../escape.txt", b"x", "text/plain")
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("s3://", "has no bucket"),
    ("gs://bucket/x", "must be a folder or s3://bucket/prefix"),
])
def test_bad_storage_urls(url: str, message: str) -> None:
    """Test that a storage URL the app cannot use says how to fix it."""
    with pytest.raises(StorageError, match=message):
        open_storage(url)
