"""Pictures: checking an uploaded reference image by its content, stripping its metadata, and small thumbnails.

An upload is rebuilt from the parts of its file format that draw the picture, and nothing else: EXIF (with GPS),
XMP, IPTC, comments, text chunks and anything appended after the end of the image are dropped. That is done at the
level of the file's structure, without decoding and re-encoding the pixels, so a 10 MB photo is cleaned in
milliseconds and loses no quality. Only a photo that needs turning (an EXIF orientation) is re-encoded, turned the
right way up. The structural walk also proves the file complete: a truncated upload has no end marker.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from .errors import UploadRejectedError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # against decompression bombs: a 40-megapixel image is larger than any reference needs
THUMBNAIL_SIZE = (640, 640)
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class CleanImage:
    """An uploaded picture after checking and stripping."""

    data: bytes = field(repr=False)
    """The file as it will be stored: the picture, without metadata."""
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    """Hash of ``data``: the storage key, so the same picture is stored once."""


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def clean_upload(data: bytes) -> CleanImage:
    """Check an uploaded file by its content and return it stripped of metadata; ``UploadRejectedError`` says why
    it cannot be used (nothing is stored or sent then)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejectedError(f"The file is {human_size(len(data))}; the limit is "
                                  f"{human_size(MAX_UPLOAD_BYTES)}.")
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        width, height = image.size
        kind = image.format or ""
        orientation = _orientation(image)
    except Image.DecompressionBombError:
        raise UploadRejectedError(f"The picture has far too many pixels (more than {MAX_PIXELS // 1_000_000} "
                                  "megapixels); make it smaller.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise UploadRejectedError(f"The file is not a PNG, JPEG or WebP picture{_looks_like(data)}.") from None
    if width * height > MAX_PIXELS:
        raise UploadRejectedError(f"The picture is {width}×{height} pixels, more than "
                                  f"{MAX_PIXELS // 1_000_000} megapixels; make it smaller.")
    if kind == "JPEG" and orientation not in (None, 1):
        cleaned = _reencode_upright(image)
        width, height = Image.open(io.BytesIO(cleaned)).size
    else:
        cleaned = {"PNG": _clean_png, "JPEG": _clean_jpeg, "WEBP": _clean_webp}[kind](data)
    content_type, extension = FORMATS[kind]
    return CleanImage(cleaned, content_type, extension, width, height, hashlib.sha256(cleaned).hexdigest())


def thumbnail(image: Any, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """A small JPEG (PNG when it has transparency) of a Pillow image; raises OSError for a damaged image."""
    from PIL import Image, ImageOps

    if image.format == "JPEG":
        image.draft("RGB", size)  # decode at a fraction of the size: fast, and still reads the whole file
    image = ImageOps.exif_transpose(image) or image
    image.load()
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def thumbnail_from_bytes(data: bytes, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    from PIL import Image

    return thumbnail(Image.open(io.BytesIO(data)), size)


def _orientation(image: Any) -> int | None:
    try:
        return image.getexif().get(0x0112)
    except Exception:  # a broken EXIF block is dropped anyway; it says nothing reliable about orientation
        return None


def _looks_like(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        return " (it is an SVG drawing, which can carry scripts)"
    if head.startswith((b"<!doctype", b"<html", b"<")):
        return " (it is an HTML page)"
    if not data:
        return " (it is empty)"
    return ""


def _refuse_trailing(rest: bytes, kind: str) -> None:
    """Data after the picture's end is how polyglot files (a picture that is also a page or a program) hide their
    second self; a few padding bytes some cameras add are fine."""
    if rest.strip(b"\x00\r\n \t"):
        raise UploadRejectedError(f"The {kind} file carries {human_size(len(rest))} of something else after the "
                                  "picture. Save it again from an image editor and upload that.")


def _damaged(kind: str) -> UploadRejectedError:
    return UploadRejectedError(f"The {kind} file is damaged or incomplete (was the upload cut short?).")


# JPEG: keep the segments that decode the picture --------------------------------------------------------------------

_JPEG_KEEP_APP = {0xE0: b"JFIF", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _clean_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise _damaged("JPEG")
    out = [b"\xff\xd8"]
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise _damaged("JPEG")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # end of image
            out.append(b"\xff\xd9")
            _refuse_trailing(data[pos:], "JPEG")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > len(data):
            raise _damaged("JPEG")
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        end = pos + length
        if length < 2 or end > len(data):
            raise _damaged("JPEG")
        segment = data[pos - 2:end]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            signature = _JPEG_KEEP_APP.get(marker)
            if signature is not None and data[pos + 2:pos + 2 + len(signature)] == signature:
                out.append(segment)
            pos = end
            continue
        out.append(segment)
        pos = end
        if marker == 0xDA:  # start of scan: the compressed picture runs to the next real marker
            match = _JPEG_MARKER.search(data, pos)
            while match is not None and data[match.start() + 1] == 0xFF:
                match = _JPEG_MARKER.search(data, match.start() + 1)
            if match is None:
                raise _damaged("JPEG")
            out.append(data[pos:match.start()])
            pos = match.start()
    raise _damaged("JPEG")


def _reencode_upright(image: Any) -> bytes:
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(image)
    try:
        upright.load()
    except OSError:
        raise _damaged("JPEG") from None
    out = io.BytesIO()
    icc = image.info.get("icc_profile")
    upright.convert("RGB").save(out, "JPEG", quality=95, subsampling=0, **({"icc_profile": icc} if icc else {}))
    return out.getvalue()


# PNG: keep the chunks that draw the picture, each checked against its CRC ------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs",
             b"bKGD"}


def _clean_png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise _damaged("PNG")
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise _damaged("PNG")
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(data[pos + 4:end - 4]) & 0xFFFFFFFF != crc:
            raise _damaged("PNG")
        if kind in _PNG_KEEP:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            _refuse_trailing(data[pos:], "PNG")
            return b"".join(out)
    raise _damaged("PNG")


# WebP: keep the picture's chunks, drop EXIF and XMP and the flags announcing them ----------------------------------

def _clean_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _damaged("WebP")
    (size,) = struct.unpack("<I", data[4:8])
    if size + 8 > len(data) or size < 4:
        raise _damaged("WebP")
    _refuse_trailing(data[size + 8:], "WebP")
    chunks = []
    pos = 12
    while pos + 8 <= size + 8:
        kind = data[pos:pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4:pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > size + 8:
            raise _damaged("WebP")
        chunk = data[pos:end]
        if kind == b"VP8X":
            flags = chunk[8] & ~0x0C  # no EXIF (0x08), no XMP (0x04)
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        pos = end
    if not chunks:
        raise _damaged("WebP")
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
