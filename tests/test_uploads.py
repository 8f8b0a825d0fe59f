"""Uploaded reference pictures: checked by content, stripped of metadata (GPS!), stored once per content on a real
folder or moto's S3 server; anything that is not a plain picture is refused with a clear message, storing nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from starvideos.database import Database
from starvideos.errors import UploadRejectedError
from starvideos.icc import clean_profile
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


# Polyglots: a page hidden where the picture's format keeps data ----------------------------------------------------

PAGE = b"<html><body><script>fetch('/steal?c='+document.cookie)</script></body></html>"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with(*extra: bytes) -> bytes:
    """A real PNG with ``extra`` chunks right after IHDR (where iCCP belongs)."""
    data = picture("PNG", (64, 48))
    end_of_ihdr = 8 + 12 + 13
    return data[:end_of_ihdr] + b"".join(extra) + data[end_of_ihdr:]


def profile_with_a_page() -> bytes:
    """A real sRGB profile carrying the page in a private tag, in its description and after its end."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (count,) = struct.unpack(">I", profile[128:132])
    table = [list(struct.unpack(">4sII", profile[132 + 12 * i:144 + 12 * i])) for i in range(count)]
    for entry in table:
        entry[1] += 24  # two more table entries
    body = bytearray(profile[132 + 12 * count:])
    page_at = 132 + 12 * (count + 2) + len(body)
    private = b"zzzz" + bytes(4) + PAGE
    description = b"desc" + bytes(4) + struct.pack(">I", len(PAGE) + 1) + PAGE + b"\x00" + bytes(79)
    table.append([b"zzzz", page_at, len(private)])
    table.append([b"dmnd", page_at + len(private) + (-len(private) % 4), len(description)])
    out = bytearray(profile[:128]) + struct.pack(">I", count + 2)
    out += b"".join(struct.pack(">4sII", *entry) for entry in table) + body
    out += private + bytes(-len(private) % 4) + description + PAGE  # and the page once more, after the end
    out[0:4] = struct.pack(">I", len(out) - len(PAGE))
    assert ImageCms.ImageCmsProfile(io.BytesIO(bytes(out)))  # LittleCMS reads it: a valid profile
    return bytes(out)


def jpeg_with(*segments: bytes) -> bytes:
    """A real JPEG with ``segments`` right after its JFIF segment."""
    data = picture("JPEG", (64, 48))
    (jfif_length,) = struct.unpack(">H", data[4:6])
    return data[:4 + jfif_length] + b"".join(segments) + data[4 + jfif_length:]


def jpeg_segment(marker: int, content: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(content) + 2) + content


def webp_with(*chunks: bytes) -> bytes:
    """A real extended WebP (VP8X) with ``chunks`` added at its end, the RIFF size fixed."""
    data = picture("WEBP", (64, 48), exif=GPS_EXIF)  # EXIF makes Pillow write the extended format
    assert data[12:16] == b"VP8X"
    body = data[8:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunk(kind: bytes, content: bytes) -> bytes:
    return kind + struct.pack("<I", len(content)) + content + b"\x00" * (len(content) & 1)


def everything_inside(data: bytes) -> bytes:
    """The file's bytes plus what its compressed parts inflate to (a PNG's iCCP), to look for the page in."""
    inside = [data]
    pos = 8
    while data.startswith(b"\x89PNG") and pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == b"iCCP":
            inside.append(zlib.decompress(data[pos + 8:pos + 8 + length].split(b"\x00", 1)[1][1:]))
        pos += 12 + length
    return b"".join(inside)


PROFILE = profile_with_a_page()
POLYGLOTS = {
    "PNG iCCP that is a page": (png_with(png_chunk(b"iCCP", b"x\x00\x00" + zlib.compress(PAGE))), False),
    "PNG iCCP named like a page": (png_with(png_chunk(b"iCCP", b"<script>alert(1)</script>\x00\x00"
                                                      + zlib.compress(ImageCms.ImageCmsProfile(
                                                          ImageCms.createProfile("sRGB")).tobytes()))), True),
    "PNG iCCP profile hiding a page": (png_with(png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(PROFILE))), True),
    "PNG chunks display does not need": (png_with(png_chunk(b"bKGD", PAGE), png_chunk(b"gAMA", PAGE)), False),
    "JPEG APP2 ICC_PROFILE that is a page": (jpeg_with(jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + PAGE)), False),
    "JPEG APP2 ICC_PROFILE hiding a page": (jpeg_with(*(
        jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes((n + 1, 2)) + part)
        for n, part in enumerate((PROFILE[:300], PROFILE[300:])))), True),
    "JPEG JFIF thumbnail, Adobe tail, APP9": (jpeg_with(
        jpeg_segment(0xE0, b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x20\x01" + PAGE + bytes(96 - len(PAGE))),
        jpeg_segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01" + PAGE), jpeg_segment(0xE9, PAGE)), False),
    "WebP unknown chunk": (webp_with(riff_chunk(b"HTML", PAGE)), False),
    "WebP ICCP that is a page": (webp_with(riff_chunk(b"ICCP", PAGE)), False),
    "WebP ICCP profile hiding a page": (webp_with(riff_chunk(b"ICCP", PROFILE)), True),
}


@pytest.mark.parametrize(("data", "keeps_profile"), list(POLYGLOTS.values()), ids=list(POLYGLOTS))
def test_a_page_hidden_in_a_picture_is_not_stored(data: bytes, keeps_profile: bool) -> None:
    """Test that a page hidden in a PNG iCCP chunk, a JPEG APP2 ICC_PROFILE segment (or JFIF, Adobe, unknown
    segments) or a WebP chunk is not in what is stored, inflated or not; the picture is the same, pixel for pixel; a
    real profile is kept, rebuilt, and still converts colours exactly as before."""
    assert PAGE in everything_inside(data) or PAGE in data.replace(b"ICC_PROFILE", b"") or keeps_profile
    original = Image.open(io.BytesIO(data))
    clean = clean_upload(data)
    stored = Image.open(io.BytesIO(clean.data))
    assert b"<script" not in everything_inside(clean.data) and b"<html" not in everything_inside(clean.data)
    assert stored.format == original.format and stored.size == original.size
    assert stored.convert("RGB").tobytes() == original.convert("RGB").tobytes()
    icc = stored.info.get("icc_profile")
    assert bool(icc) is keeps_profile
    if keeps_profile:
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        kept = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        lab = ImageCms.createProfile("LAB")
        sample = Image.frombytes("RGB", (4, 1), bytes((10, 20, 30, 200, 100, 50, 0, 255, 0, 255, 255, 255)))
        assert ImageCms.applyTransform(sample, ImageCms.buildTransform(kept, lab, "RGB", "LAB")).tobytes() == \
            ImageCms.applyTransform(sample, ImageCms.buildTransform(srgb, lab, "RGB", "LAB")).tobytes()


def test_polyglots_are_stored_clean(storage_url: str, database: Database) -> None:
    """Test that what the upload store puts in storage (a folder or S3) holds none of the hidden pages."""
    uploads = UploadStore(database, open_storage(storage_url))
    for data, _keeps_profile in POLYGLOTS.values():
        upload = uploads.add(data, name="cat.png")
        assert b"<script" not in everything_inside(uploads.storage.read_bytes(upload.storage_key))


def frames(kind: str, **save: object) -> bytes:
    out = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), (220, 30, 30)), Image.new("RGB", (64, 48), (30, 30, 220))
    first.save(out, kind, save_all=True, append_images=[second], **save)
    return out.getvalue()


@pytest.mark.parametrize(("data", "kind"), [
    (frames("MPO"), "JPEG"), (frames("WEBP", duration=100, loop=0, lossless=True), "WEBP"),
    (frames("PNG", duration=100, loop=0), "PNG"),
], ids=["multi-picture JPEG (MPO)", "animated WebP", "animated PNG"])
def test_a_multi_picture_or_animated_file_keeps_its_first_picture(data: bytes, kind: str) -> None:
    """Test that a multi-picture JPEG (MPO, which crashed with KeyError: 'MPO'), an animated WebP and an animated
    PNG are stored as their first picture alone: one frame, red, nothing of the second picture."""
    opened = Image.open(io.BytesIO(data))
    assert getattr(opened, "n_frames", 1) == 2
    clean = clean_upload(data)
    stored = Image.open(io.BytesIO(clean.data))
    assert (stored.format, clean.content_type, stored.size) == (kind, f"image/{kind.lower()}", (64, 48))
    assert getattr(stored, "n_frames", 1) == 1 and not getattr(stored, "is_animated", False)
    red, green, blue = stored.convert("RGB").getpixel((32, 24))
    assert red > 200 and green < 50 and blue < 50
    assert len(clean.data) < len(data) and b"acTL" not in clean.data and b"ANMF" not in clean.data
    assert clean.data.count(b"\xff\xd8") <= 1  # one JPEG picture, not two


SEEDS = [picture("PNG", (16, 12)), picture("JPEG", (16, 12)), picture("WEBP", (16, 12), exif=GPS_EXIF),
         POLYGLOTS["JPEG APP2 ICC_PROFILE hiding a page"][0], POLYGLOTS["PNG iCCP profile hiding a page"][0],
         frames("MPO"), frames("WEBP", duration=100, loop=0)]


@settings(max_examples=300, deadline=None)
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=4)),
                                                  max_size=4))
def test_a_damaged_picture_is_refused_never_a_crash(seed: bytes, edits: list[tuple[int, bytes]]) -> None:
    """Test that a picture with bytes overwritten anywhere (headers, segment lengths, profiles, frames) is either
    cleaned or refused with UploadRejectedError, never another exception (the page would show a crash)."""
    data = bytearray(seed)
    for at, replacement in edits:
        at %= len(data)
        data[at:at + len(replacement)] = replacement
    try:
        clean = clean_upload(bytes(data))
    except UploadRejectedError:
        return
    assert Image.open(io.BytesIO(clean.data)).format in ("PNG", "JPEG", "WEBP")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_as_a_profile_give_a_profile_or_nothing(data: bytes) -> None:
    """Test that clean_profile returns a profile LittleCMS reads, or None, for any bytes (with a valid header too)."""
    header = bytearray(PROFILE[:132])
    for candidate in (data, bytes(header) + data):
        profile = clean_profile(candidate)
        assert profile is None or ImageCms.ImageCmsProfile(io.BytesIO(profile))
