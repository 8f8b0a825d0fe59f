"""Signed, expiring proofs made with the deployment's secret: links to stored media and exports, the session cookie
that keeps a browser signed in past the password, and the visitor cookie that makes one browser one rater.

Every proof is an HMAC-SHA256 over a purpose and its parts, so a proof made for one thing never passes for another;
comparisons are constant-time. Nothing secret is inside a proof: a session cookie holds an expiry, a random nonce
and a signature (keyed on a fingerprint of the password, so changing the password signs everyone out), never the
password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from .database import Database

SIGNATURE_BYTES = 16  # 128 bits: far past guessing, and short enough for a link
SESSION_COOKIE = "starvideos_session"
VISITOR_COOKIE = "starvideos_visitor"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class MediaGrant:
    """What a signed media link allows: one storage key, until ``expires``."""

    key: str
    expires: int


class Signer:
    """Makes and checks proofs with one secret. Thread-safe (immutable)."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._key = raw

    def sign(self, purpose: str, *parts: str) -> str:
        message = "\x1f".join((purpose, *parts)).encode("utf-8")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES])

    def check(self, signature: str, purpose: str, *parts: str) -> bool:
        return hmac.compare_digest(signature.encode("ascii", "replace"), self.sign(purpose, *parts).encode("ascii"))

    # Media and export links ------------------------------------------------------------------------------------

    def media_path(self, key: str, *, ttl: float, now: float | None = None) -> str:
        """``/files/<key>?e=…&s=…``, valid for between ``ttl`` and twice that. The expiry moves in steps of
        ``ttl``, so a page drawn again within a step gets the same link (its player keeps playing)."""
        expires = _stepped_expiry(now if now is not None else time.time(), ttl)
        return f"/files/{quote(key, safe='/')}?" + urlencode({"e": expires, "s": self.sign("media", key, str(expires))})

    def media_grant(self, key: str, expires: str, signature: str, *, now: float | None = None) -> MediaGrant | None:
        """The grant a media link carries, or None when it is forged, altered or expired."""
        if not expires.isascii() or not expires.isdecimal() or not self.check(signature, "media", key, expires):
            return None
        if int(expires) < (now if now is not None else time.time()):
            return None
        return MediaGrant(key, int(expires))

    def export_query(self, params: dict[str, str], *, ttl: float, now: float | None = None) -> str:
        """A signed query string for an export link: its filters cannot be changed without breaking it."""
        expires = str(_stepped_expiry(now if now is not None else time.time(), ttl))
        fields = sorted(params.items())
        signature = self.sign("export", expires, *(f"{k}={v}" for k, v in fields))
        return urlencode([*fields, ("e", expires), ("s", signature)])

    def export_params(self, query: dict[str, str], *, now: float | None = None) -> dict[str, str] | None:
        """The filters of a signed export link, or None when it is forged, altered or expired."""
        params = {k: v for k, v in query.items() if k not in ("e", "s")}
        expires, signature = query.get("e", ""), query.get("s", "")
        if not expires.isascii() or not expires.isdecimal():
            return None
        if not self.check(signature, "export", expires, *(f"{k}={v}" for k, v in sorted(params.items()))):
            return None
        if int(expires) < (now if now is not None else time.time()):
            return None
        return params

    # Session and visitor cookies ---------------------------------------------------------------------------------

    def session_token(self, password: str, *, hours: float, now: float | None = None) -> str:
        """A session cookie's value: ``expiry.nonce.signature``, nothing that reveals the password."""
        expires = str(int((now if now is not None else time.time()) + hours * 3600))
        nonce = _b64(secrets.token_bytes(9))
        return f"{expires}.{nonce}.{self.sign('session', _fingerprint(password), expires, nonce)}"

    def session_valid(self, token: str | None, password: str, *, now: float | None = None) -> bool:
        """True when ``token`` was made by ``session_token`` for this password and has not expired."""
        parts = (token or "").split(".")
        if len(parts) != 3 or not parts[0].isascii() or not parts[0].isdecimal():
            return False
        expires, nonce, signature = parts
        if int(expires) < (now if now is not None else time.time()):
            return False
        return self.check(signature, "session", _fingerprint(password), expires, nonce)

    def visitor_token(self) -> str:
        """A new visitor id with its signature: ``id.signature``."""
        visitor = _b64(secrets.token_bytes(12))
        return f"{visitor}.{self.sign('visitor', visitor)}"

    def visitor_id(self, token: str | None) -> str | None:
        """The visitor id a cookie proves, or None when it is missing or forged."""
        visitor, _, signature = (token if isinstance(token, str) else "").partition(".")
        if not visitor or not signature or not self.check(signature, "visitor", visitor):
            return None
        return visitor


def _fingerprint(password: str) -> str:
    return hashlib.sha256(("starvideos-password\x1f" + password).encode("utf-8")).hexdigest()


def _stepped_expiry(now: float, ttl: float) -> int:
    step = max(1, int(ttl))
    return (math.floor(now / step) + 2) * step


def deployment_secret(database: Database) -> str:
    """The deployment's signing secret, kept in the database: made by whichever replica needs it first, then shared
    by all (so a link one replica signed opens on another). ``STARVIDEOS_SECRET_KEY`` replaces it."""
    import sqlalchemy as sa

    from .schema import app_secrets

    with database.write() as conn:
        conn.execute(database.insert_ignore(app_secrets, {"name": "signing", "value": secrets.token_hex(32),
                                                          "created_at": time.time()}, keys=["name"]))
        return str(conn.execute(sa.select(app_secrets.c.value).where(app_secrets.c.name == "signing")).scalar_one())
