"""Pictures: checking an uploaded reference image by its content, stripping its metadata, and small thumbnails.

An upload is rebuilt from the parts of its file format that draw the picture, and nothing else: EXIF (with GPS),
XMP, IPTC, comments, text chunks and anything appended after the end of the image are dropped. That is done at the
level of the file's structure, without decoding and re-encoding the pixels, so a 10 MB photo is cleaned in
milliseconds and loses no quality. Only a photo that needs turning (an EXIF orientation) is re-encoded, turned the
right way up. The structural walk also proves the file complete: a truncated upload has no end marker.

What is kept is kept only in the form display needs, so nothing else can ride along (a polyglot: a picture that is
also a web page): an ICC colour profile only when it is one, rebuilt (``starvideos.icc``); the JFIF and Adobe
segments without their thumbnails and padding; WebP's picture chunks and nothing unknown. A multi-picture JPEG (MPO,
as phones take for depth) keeps its first picture; an animated WebP is re-encoded as its first frame, an animated
PNG keeps its still image.
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
from .icc import MAX_PROFILE_BYTES, clean_profile

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
        kind = "JPEG" if image.format == "MPO" else image.format or ""  # a JPEG with more pictures after its end
        animated = bool(getattr(image, "is_animated", False))
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
    elif kind == "WEBP" and animated:
        cleaned = _first_frame_webp(image)
    elif kind == "JPEG":
        cleaned = _clean_jpeg(data, more_pictures=image.format == "MPO")
    else:
        cleaned = {"PNG": _clean_png, "WEBP": _clean_webp}[kind](data)
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
        orientation: int | None = image.getexif().get(0x0112)  # a SHORT by the EXIF standard
        return orientation
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

_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# Frames (SOF0-15), Huffman and arithmetic tables, quantisation tables, restart interval, scans, line count.
_JPEG_DECODE = {*range(0xC0, 0xD0)} - {0xC8} | {0xDA, 0xDB, 0xDC, 0xDD}
_ICC_SIGNATURE = b"ICC_PROFILE\x00"
_ICC_CHUNK = 65519  # 65535 - length (2) - signature (12) - sequence (2)


def _clean_jpeg(data: bytes, *, more_pictures: bool = False) -> bytes:
    """The segments that draw the first picture, JFIF and Adobe cut to their fixed fields, the ICC profile rebuilt.

    ``more_pictures``: an MPO, whose other pictures follow the first one's end; they are dropped, not refused.
    """
    if data[:2] != b"\xff\xd8":
        raise _damaged("JPEG")
    out = [b"\xff\xd8"]
    icc: list[tuple[int, bytes]] = []
    icc_at: int | None = None
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
            if not more_pictures:
                _refuse_trailing(data[pos:], "JPEG")
            if icc_at is not None:
                out.insert(icc_at, _icc_segments(icc))
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
        content = data[pos + 2:end]
        if marker == 0xE2 and content.startswith(_ICC_SIGNATURE) and len(content) > 14:
            icc.append((content[12], content[14:]))
            icc_at = len(out) if icc_at is None else icc_at
        elif marker in (0xE0, 0xEE):
            out.append(_fixed_app(marker, content))
        elif marker in _JPEG_DECODE:
            out.append(data[pos - 2:end])
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


def _fixed_app(marker: int, content: bytes) -> bytes:
    """JFIF (APP0) and Adobe (APP14) with only their fixed fields: no thumbnail, nothing after."""
    if marker == 0xE0 and content.startswith(b"JFIF\x00") and len(content) >= 12:
        kept = content[:12] + b"\x00\x00"  # version, units, density; a 0x0 thumbnail
    elif marker == 0xEE and content.startswith(b"Adobe") and len(content) >= 12:
        kept = content[:12]  # version, flags, colour transform: how to read CMYK
    else:
        return b""
    return bytes((0xFF, marker)) + struct.pack(">H", len(kept) + 2) + kept


def _icc_segments(chunks: list[tuple[int, bytes]]) -> bytes:
    """The profile the APP2 chunks carry (joined in their order), rebuilt, as APP2 chunks again; nothing when it is
    not a profile."""
    profile = clean_profile(b"".join(part for _number, part in sorted(chunks, key=lambda c: c[0])))
    if profile is None:
        return b""
    parts = [profile[i:i + _ICC_CHUNK] for i in range(0, len(profile), _ICC_CHUNK)]
    return b"".join(b"\xff\xe2" + struct.pack(">H", 2 + 14 + len(part)) + _ICC_SIGNATURE
                    + bytes((n, len(parts))) + part for n, part in enumerate(parts, start=1))


def _reencode_upright(image: Any) -> bytes:
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(image)
    try:
        upright.load()
    except OSError:
        raise _damaged("JPEG") from None
    out = io.BytesIO()
    icc = clean_profile(image.info.get("icc_profile") or b"")
    upright.convert("RGB").save(out, "JPEG", quality=95, subsampling=0, **({"icc_profile": icc} if icc else {}))
    return out.getvalue()


# PNG: keep the chunks that draw the picture, each checked against its CRC ------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The chunks that draw the picture, with the length each must have (None: any). Animation chunks (acTL, fcTL,
# fdAT) are not among them: an animated PNG keeps its still image, the one every viewer without animation shows.
_PNG_KEEP: dict[bytes, int | None] = {b"IHDR": 13, b"PLTE": None, b"IDAT": None, b"IEND": 0, b"tRNS": None,
                                      b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"cICP": 4, b"iCCP": None}


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
        if kind == b"iCCP":
            out.append(_png_icc(data[pos + 8:end - 4]))
        elif kind in _PNG_KEEP and _PNG_KEEP[kind] in (None, length):
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            _refuse_trailing(data[pos:], "PNG")
            return b"".join(out)
    raise _damaged("PNG")


def _png_icc(content: bytes) -> bytes:
    """The iCCP chunk with its profile rebuilt and a plain name; nothing when it holds no profile."""
    _name, _, rest = content.partition(b"\x00")  # the name is replaced: it is free text
    if not rest or rest[0] != 0:  # compression method 0 (zlib) is the only one
        return b""
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(rest[1:], MAX_PROFILE_BYTES + 1)  # not a zip bomb's gigabytes
    except zlib.error:
        return b""
    cleaned = clean_profile(profile) if inflater.eof and len(profile) <= MAX_PROFILE_BYTES else None
    if cleaned is None:
        return b""
    return _png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(cleaned, 9))


def _png_chunk(kind: bytes, content: bytes) -> bytes:
    return struct.pack(">I", len(content)) + kind + content + struct.pack(">I", zlib.crc32(kind + content) & 0xFFFFFFFF)


# WebP: keep the picture's chunks and nothing unknown; an animation becomes its first frame -----------------------

_WEBP_PICTURE = (b"VP8 ", b"VP8L", b"ALPH")
_WEBP_ICC, _WEBP_ALPHA = 0x20, 0x10


def _clean_webp(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise _damaged("WebP")
    (size,) = struct.unpack("<I", data[4:8])
    if size + 8 > len(data) or size < 4:
        raise _damaged("WebP")
    _refuse_trailing(data[size + 8:], "WebP")
    header: bytes | None = None
    icc: bytes | None = None
    chunks = []
    pos = 12
    while pos + 8 <= size + 8:
        kind = data[pos:pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4:pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > size + 8:
            raise _damaged("WebP")
        content = data[pos + 8:pos + 8 + length]
        if kind == b"VP8X" and length >= 10:
            header = content[:10]
        elif kind == b"ICCP" and icc is None:
            icc = clean_profile(content)
        elif kind in _WEBP_PICTURE:
            chunks.append(_webp_chunk(kind, content))
        pos = end
    if not chunks:
        raise _damaged("WebP")
    if header is not None:
        # Only the flags for what is kept (alpha, a profile); canvas size as it was; reserved bytes zero.
        flags = (header[0] & _WEBP_ALPHA) | (_WEBP_ICC if icc else 0)
        chunks.insert(0, _webp_chunk(b"VP8X", bytes((flags, 0, 0, 0)) + header[4:10])
                      + (_webp_chunk(b"ICCP", icc) if icc else b""))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _webp_chunk(kind: bytes, content: bytes) -> bytes:
    return kind + struct.pack("<I", len(content)) + content + b"\x00" * (len(content) & 1)


def _first_frame_webp(image: Any) -> bytes:
    """An animated WebP's first frame, as every viewer composes it, encoded again (its frames are not separable)."""
    icc = clean_profile(image.info.get("icc_profile") or b"")
    out = io.BytesIO()
    try:
        image.seek(0)
        frame = image.convert("RGBA")
        if frame.getextrema()[3] == (255, 255):
            frame = frame.convert("RGB")
        frame.save(out, "WEBP", quality=95, method=4, **({"icc_profile": icc} if icc else {}))
    except (OSError, ValueError, EOFError):  # frames that do not decode, a canvas past WebP's 16,383 pixels
        raise _damaged("WebP") from None
    return out.getvalue()
