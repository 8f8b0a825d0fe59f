"""ICC colour profiles inside uploaded pictures: kept only when they are profiles, and only what colours the pixels.

A profile is a container of tagged data, and a polyglot can hide a page in it: in a private tag, in the slack after
a tag's data, in the description text, or as the whole "profile" when it is not one at all. LittleCMS (Pillow's
ImageCms) re-serialises a profile but copies tags it does not read byte for byte, so parsing and saving is not
enough. A profile is rebuilt instead: the colorimetric tags only, each cut to the length its type needs, a
description regenerated from the old one's plain letters, then parsed and re-serialised by LittleCMS; anything that
does not survive that is dropped (the picture then shows in sRGB).
"""

from __future__ import annotations

import io
import re
import struct

MAX_PROFILE_BYTES = 4 * 1024 * 1024
_HEADER = 128
# Tags that take part in colour conversion (ICC.1:2022 section 9), with the data types each may have.
_CURVES = (b"curv", b"para")
_LUTS = (b"mft1", b"mft2", b"mAB ", b"mBA ")
_DISPLAY_TAGS: dict[bytes, tuple[bytes, ...]] = {
    b"rXYZ": (b"XYZ ",), b"gXYZ": (b"XYZ ",), b"bXYZ": (b"XYZ ",), b"wtpt": (b"XYZ ",), b"bkpt": (b"XYZ ",),
    b"lumi": (b"XYZ ",), b"rTRC": _CURVES, b"gTRC": _CURVES, b"bTRC": _CURVES, b"kTRC": _CURVES,
    b"chad": (b"sf32",), b"chrm": (b"chrm",), b"cicp": (b"cicp",),
    b"A2B0": _LUTS, b"A2B1": _LUTS, b"A2B2": _LUTS, b"B2A0": _LUTS, b"B2A1": _LUTS, b"B2A2": _LUTS,
}
_PARA_PARAMETERS = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}


def clean_profile(data: bytes) -> bytes | None:
    """The profile rebuilt from its colorimetric tags and re-serialised by LittleCMS, or None when ``data`` is not
    a profile LittleCMS reads (or is too large, or keeps no colour tag)."""
    from PIL import ImageCms

    if not _HEADER + 4 <= len(data) <= MAX_PROFILE_BYTES or data[36:40] != b"acsp":
        return None
    try:
        original = ImageCms.ImageCmsProfile(io.BytesIO(data))
        rebuilt = _rebuild(data, _plain_text(original.profile.profile_description))
        if rebuilt is None:
            return None
        cleaned = ImageCms.ImageCmsProfile(io.BytesIO(rebuilt)).tobytes()
        ImageCms.ImageCmsProfile(io.BytesIO(cleaned))  # what is stored must read back
    except (OSError, ValueError, TypeError, struct.error, ImageCms.PyCMSError):
        return None
    return cleaned


def _rebuild(data: bytes, description: str) -> bytes | None:
    (count,) = struct.unpack(">I", data[_HEADER:_HEADER + 4])
    if count > 200 or _HEADER + 4 + 12 * count > len(data):
        return None
    tags: list[tuple[bytes, bytes]] = []
    for i in range(count):
        signature, offset, size = struct.unpack(">4sII", data[_HEADER + 4 + 12 * i:_HEADER + 16 + 12 * i])
        allowed = _DISPLAY_TAGS.get(signature)
        body = data[offset:offset + size]
        if allowed is None or len(body) != size or body[:4] not in allowed:
            continue
        needed = _needed_length(body)
        if needed is not None and needed <= len(body):
            tags.append((signature, body[:needed]))
    if not tags:
        return None
    version = data[8]
    tags.append((b"desc", _description(description, version)))
    return _assemble(data[:_HEADER], tags)


def _needed_length(body: bytes) -> int | None:
    """How many bytes a tag of a simple type takes (so nothing can follow it); None when the type does not say
    simply (LUTs, which LittleCMS reads and writes anew), or when the tag is too short to say."""
    kind = body[:4]
    if len(body) < 12:
        return None if kind in _LUTS else len(body) + 1  # too short: refused by the caller
    if kind == b"XYZ ":
        return 8 + 12 * ((len(body) - 8) // 12)
    if kind == b"curv":
        return 12 + 2 * int(struct.unpack(">I", body[8:12])[0])
    if kind == b"para":
        (function,) = struct.unpack(">H", body[8:10])
        return 12 + 4 * _PARA_PARAMETERS[function] if function in _PARA_PARAMETERS else len(body) + 1
    if kind == b"sf32":
        return 8 + 36
    if kind == b"chrm":
        return 12 + 8 * int(struct.unpack(">H", body[8:10])[0])
    if kind == b"cicp":
        return 12
    return None


def _description(text: str, version: int) -> bytes:
    if version >= 4:  # multiLocalizedUnicodeType: one record, en-US
        encoded = text.encode("utf-16-be")
        return b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(encoded), 28) + encoded
    ascii_text = text.encode("ascii") + b"\0"  # textDescriptionType (version 2)
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(4 + 4 + 2 + 1 + 67)


def _plain_text(description: object) -> str:
    """The description's letters, digits and a little punctuation (no markup can survive), or a neutral name."""
    text = re.sub(r"[^A-Za-z0-9 .,()_+-]", "", description if isinstance(description, str) else "")[:64].strip()
    return text or "Colour profile"


def _assemble(header: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """A profile of ``header`` and ``tags``; tags with identical data (rTRC = gTRC = bTRC) share it, as before."""
    table, blobs, where = [], [], {}
    position = _HEADER + 4 + 12 * len(tags)
    for signature, body in tags:
        if body not in where:
            position += -position % 4
            where[body] = position
            blobs.append((position, body))
            position += len(body)
        table.append(struct.pack(">4sII", signature, where[body], len(body)))
    out = bytearray(header)
    out += struct.pack(">I", len(tags)) + b"".join(table)
    for offset, body in blobs:
        out += bytes(offset - len(out)) + body
    out += bytes(-len(out) % 4)
    out[0:4] = struct.pack(">I", len(out))
    out[84:100] = bytes(16)  # the profile ID is an MD5 of the old bytes: no longer true
    return bytes(out)
