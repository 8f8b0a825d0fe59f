"""Uploaded reference pictures: checked by content, stripped of metadata (GPS!), stored once per content on a real
folder or moto's S3 server; anything that is not a plain picture is refused with a clear message, storing nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import requests
from PIL import Image, PngImagePlugin

from starvideos.database import Database
from starvideos.errors import UploadRejectedError
from starvideos.images import clean_upload
from starvideos.storage import open_storage
from starvideos.uploads import UploadStore

GPS_EXIF = Image.Exif()
GPS_EXIF[0x010F] = "PhoneMaker"
GPS_EXIF[0x8825] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}


def picture(kind: str, size: tuple[int, int] = (400, 300), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind, **save)
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A tiny file claiming a huge picture (one grey row, compressed)."""
    raw = zlib.compress((b"\x00" + b"\x80" * width) * 1, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("kind", "save"), [
    ("JPEG", {"exif": GPS_EXIF, "comment": b"shot at home"}),
    ("PNG", {"exif": GPS_EXIF, "pnginfo": (lambda i: (i.add_text("Location", "40.44N 79.98W"), i)[1])(
        PngImagePlugin.PngInfo())}),
    ("WEBP", {"exif": GPS_EXIF}),
])
def test_metadata_is_stripped_and_the_picture_kept(kind: str, save: dict) -> None:
    """Test that EXIF (with GPS), comments and text chunks are gone and the same picture remains, pixel for
    pixel (nothing was re-encoded)."""
    data = picture(kind, **save)
    clean = clean_upload(data)
    for secret in (b"PhoneMaker", b"shot at home", b"40.44N", b"GPS"):
        assert secret not in clean.data
    again = Image.open(io.BytesIO(clean.data))
    assert (again.format, again.size, (clean.width, clean.height)) == (kind, (400, 300), (400, 300))
    assert not again.getexif() and again.tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_a_turned_phone_photo_is_turned_upright() -> None:
    """Test that a photo with an EXIF orientation is stored the right way up, without its EXIF."""
    turned = Image.Exif()
    turned[0x0112] = 6  # rotate 90° clockwise to view
    clean = clean_upload(picture("JPEG", (400, 300), exif=turned))
    assert (clean.width, clean.height) == (300, 400) and not Image.open(io.BytesIO(clean.data)).getexif()


PNG = picture("PNG")
REFUSED = [
    (b"<!doctype html><html><script>alert(1)</script></html>", "not a PNG, JPEG or WebP picture (it is an HTML page)"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "not a PNG, JPEG or WebP picture (it is an SVG drawing, which can carry scripts)"),
    (PNG + b"<html><script>alert(document.cookie)</script></html>", "carries 52 B of something else after"),
    (picture("JPEG") + b"PK\x03\x04 a zip archive hides here", "carries 29 B of something else after"),
    (PNG[: len(PNG) // 2], "The PNG file is damaged or incomplete"),
    (picture("JPEG")[:-200], "The JPEG file is damaged or incomplete"),
    (png_bomb(30_000, 30_000), "far too many pixels"),
    (png_bomb(9_000, 9_000), "The picture is 9000×9000 pixels, more than 40 megapixels"),
    (picture("GIF"), "not a PNG, JPEG or WebP picture"),
    (b"", "(it is empty)"),
]


@pytest.mark.parametrize(("data", "message"), REFUSED, ids=[m[:30] for _, m in REFUSED])
def test_what_is_not_a_plain_picture_is_refused(data: bytes, message: str, storage_url: str, database: Database) \
        -> None:
    """Test that HTML or SVG named .png, polyglots, truncated files and pixel bombs are refused with a clear
    message, and nothing is stored (no file, no row)."""
    uploads = UploadStore(database, open_storage(storage_url))
    with pytest.raises(UploadRejectedError) as info:
        uploads.add(data, name="cat.png")
    assert message in info.value.message
    assert info.value.hint.endswith("Nothing was stored or sent.")
    assert uploads.recent() == []
    storage = uploads.storage
    if storage.kind == "local":
        assert not storage.root.exists() or not any(storage.root.rglob("*"))
    else:
        assert storage.client.list_objects_v2(Bucket=storage.bucket).get("KeyCount", 0) == 0


def test_too_large_a_file_is_refused_before_reading_it() -> None:
    """Test that a file over 20 MB is refused by size."""
    with pytest.raises(UploadRejectedError, match=r"The file is 21\.0 MB; the limit is 20\.0 MB\."):
        clean_upload(b"\x89PNG" + b"\x00" * (21 * 2**20 - 4))


def test_stored_once_per_content_with_a_link_a_stranger_can_fetch(storage_url: str, database: Database) -> None:
    """Test that the same picture uploaded twice (with different metadata) is stored once, the newest use first in
    "Recent uploads", and that on S3 its signed link serves the cleaned bytes to anyone."""
    uploads = UploadStore(database, open_storage(storage_url))
    first = uploads.add(picture("JPEG", exif=GPS_EXIF), name="beach.jpg", created_by="ann@team.test")
    other = uploads.add(picture("PNG"), name="logo.png")
    again = uploads.add(picture("JPEG", exif=Image.Exif()), name="beach-copy.jpg")
    assert again.id == first.id and again.storage_key == first.storage_key == f"uploads/{first.sha256}.jpg"
    assert [u.id for u in uploads.recent()] == [first.id, other.id]
    assert (first.width, first.height, first.content_type, first.created_by) == (400, 300, "image/jpeg",
                                                                                  "ann@team.test")
    link = uploads.storage.signed_url(first.storage_key, 3600)
    if link is not None:
        fetched = requests.get(link, timeout=5)
        assert fetched.status_code == 200 and b"PhoneMaker" not in fetched.content
        assert Image.open(io.BytesIO(fetched.content)).size == (400, 300)
