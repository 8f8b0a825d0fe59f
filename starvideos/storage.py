"""Where uploads and copies of finished videos are kept: a local folder, or an S3-compatible bucket.

``STARVIDEOS_STORAGE_URL`` is a folder (``data/media``) or ``s3://bucket/prefix`` on AWS S3, Cloudflare R2, MinIO
or Google Cloud Storage's interoperability API, configured the standard AWS way (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, profiles). This module is the only place
that knows which one is in use. Writes are all-or-nothing: a failed or cut-off write leaves nothing behind (a
temporary file is removed; a multipart upload is aborted). Errors are ``StorageError`` in plain words, never with
a credential in them.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from .errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

S3_PART_SIZE = 8 * 1024 * 1024


class Readable(Protocol):
    """What an upload reads from: a file, a response, or a wrapper that checks what passes through."""

    def read(self, size: int = -1, /) -> bytes: ...


class Storage(Protocol):
    kind: str
    """``local`` or ``s3``."""
    where: str
    """Where, for messages (no credentials)."""

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...
    def put_stream(self, key: str, stream: Readable, content_type: str) -> int: ...
    def put_file(self, key: str, path: Path, content_type: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def read_bytes(self, key: str) -> bytes: ...
    def local_path(self, key: str) -> Path | None: ...
    def signed_url(self, key: str, ttl: float, *, download_name: str | None = None) -> str | None: ...
    def delete(self, key: str) -> None: ...
    def check(self) -> None: ...


def open_storage(url: str) -> Storage:
    """The storage a ``STARVIDEOS_STORAGE_URL`` names."""
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise StorageError(f"STARVIDEOS_STORAGE_URL {url!r} has no bucket; use s3://bucket/prefix.",
                               hint="Fix STARVIDEOS_STORAGE_URL, then restart the app.")
        return S3Storage(bucket, prefix.strip("/"))
    if "://" in url:
        raise StorageError(f"STARVIDEOS_STORAGE_URL must be a folder or s3://bucket/prefix (got {url.split(':')[0]}://…).",
                           hint="Fix STARVIDEOS_STORAGE_URL, then restart the app.")
    return LocalStorage(Path(url))


def _disk_error(exc: OSError, where: str) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageError(f"The disk holding {where} is full.",
                            hint="Free some space or point STARVIDEOS_STORAGE_URL elsewhere; nothing was lost, the app "
                                 "tries again later.")
    return StorageError(f"Could not write to {where} ({exc.strerror or type(exc).__name__}).")


class _SourceFailed(Exception):
    """Carries an error of the stream being stored, so it is not mistaken for a disk error."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class LocalStorage:
    """A folder. Files are written next to their final name and renamed into place only when complete."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = f"STARVIDEOS_STORAGE_URL ({root})"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"Refused a storage key outside the folder: {key!r}.")
        return path

    @contextlib.contextmanager
    def _writer(self, key: str) -> Iterator[IO[bytes]]:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".part-", delete=False)  # noqa: SIM115
        except OSError as exc:
            raise _disk_error(exc, self.where) from None
        try:
            with handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, target)
        except _SourceFailed:
            Path(handle.name).unlink(missing_ok=True)
            raise
        except OSError as exc:
            Path(handle.name).unlink(missing_ok=True)
            raise _disk_error(exc, self.where) from None
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        with self._writer(key) as out:
            out.write(data)

    def put_stream(self, key: str, stream: Readable, content_type: str) -> int:
        written = 0
        try:
            with self._writer(key) as out:
                while True:
                    try:
                        chunk = stream.read(1024 * 1024)
                    except BaseException as exc:  # the source failed, not the disk: pass it on as it was
                        raise _SourceFailed(exc) from exc
                    if not chunk:
                        break
                    out.write(chunk)
                    written += len(chunk)
        except _SourceFailed as failed:
            raise failed.original from None
        return written

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        with self._writer(key) as out, path.open("rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise StorageError(f"Could not read {key} from {self.where} ({exc.strerror or type(exc).__name__}).") \
                from None

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def signed_url(self, key: str, ttl: float, *, download_name: str | None = None) -> str | None:
        return None  # a folder has no public links; the app serves its files itself

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _disk_error(exc, self.where) from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"Could not write to {self.where} (permission denied).")


class S3Storage:
    """A bucket (and key prefix) on any S3-compatible service, through boto3 (imported on first use)."""

    kind = "s3"

    def __init__(self, bucket: str, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.where = f"STARVIDEOS_STORAGE_URL (s3://{bucket}/{prefix})"
        self._client: S3Client | None = None
        self._lock = threading.Lock()
        self._signed: dict[tuple[str, str | None], tuple[float, str]] = {}

    @property
    def client(self) -> S3Client:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                # A custom endpoint (MinIO, R2, a test server) is addressed by path: its buckets are rarely DNS names.
                path_style = bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3"))
                config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"},
                                s3={"addressing_style": "path" if path_style else "auto"},
                                request_checksum_calculation="when_required",
                                response_checksum_validation="when_required")
                self._client = boto3.session.Session().client("s3", config=config)
            return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, exc: Exception, action: str) -> StorageError:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        if isinstance(exc, NoCredentialsError):
            reason = "no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile)"
        elif isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
        elif isinstance(exc, BotoCoreError):
            reason = f"the bucket could not be reached ({type(exc).__name__})"
        elif "An error occurred" in str(exc):  # boto3's upload errors quote the service's own answer
            reason = str(exc).split("An error occurred", 1)[1].strip(" :")
        else:
            reason = type(exc).__name__
        return StorageError(f"Could not {action} in {self.where}: {reason}.")

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)
        except Exception as exc:
            raise self._error(exc, "store a file") from None

    def put_stream(self, key: str, stream: Readable, content_type: str) -> int:
        """Upload while reading: parts go up (in parallel) as the stream delivers them; on any error the
        multipart upload is aborted, so nothing half-written stays in the bucket."""
        from boto3.exceptions import Boto3Error
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        counter = _Counting(stream)
        config = TransferConfig(multipart_threshold=S3_PART_SIZE, multipart_chunksize=S3_PART_SIZE,
                                max_concurrency=4, use_threads=True)
        try:
            self.client.upload_fileobj(counter, self.bucket,  # type: ignore[arg-type]  # s3transfer only calls read()
                                       self._key(key), ExtraArgs={"ContentType": content_type},
                                       Config=config)
        except (Boto3Error, BotoCoreError, ClientError) as exc:
            raise self._error(exc, "store a file") from None
        return counter.count  # anything the stream itself raised (a download cut off) propagates as it was

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        try:
            self.client.upload_file(str(path), self.bucket, self._key(key), ExtraArgs={"ContentType": content_type})
        except Exception as exc:
            raise self._error(exc, "store a file") from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error(exc, "look a file up") from None
        except Exception as exc:
            raise self._error(exc, "look a file up") from None

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as exc:
            raise self._error(exc, "read a file") from None

    def local_path(self, key: str) -> Path | None:
        return None

    def signed_url(self, key: str, ttl: float, *, download_name: str | None = None) -> str | None:
        """A presigned GET link valid for ``ttl`` seconds; the same link is reused for half its life, so a page
        that redraws does not make the browser load a video again."""
        now = time.time()
        cache_key = (key, download_name)
        with self._lock:
            cached = self._signed.get(cache_key)
            if cached and cached[0] - now > ttl / 2:
                return cached[1]
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        try:
            url = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=int(ttl))
        except Exception as exc:
            raise self._error(exc, "sign a link") from None
        with self._lock:
            self._signed[cache_key] = (now + ttl, url)
            if len(self._signed) > 10_000:
                self._signed.clear()
        return url

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise self._error(exc, "delete a file") from None

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise self._error(exc, "reach the bucket") from None


class _Counting:
    """A read-only stream wrapper that counts what passed through."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data
