"""Signed, expiring proofs: media and export links, session and visitor cookies (UI-free, with a fake clock)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from starvideos.database import Database
from starvideos.signing import Signer, deployment_secret

SECRET = "s" * 32
NOW = 1_800_000_000.0


def _query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def test_a_media_link_opens_its_own_key_until_it_expires() -> None:
    """Test that a media link grants exactly its key, for between one and two TTLs, and nothing after."""
    signer = Signer(SECRET)
    path = signer.media_path("videos/ab/take 1.mp4", ttl=3600, now=NOW)
    assert urlsplit(path).path == "/files/videos/ab/take%201.mp4"
    q = _query(path)
    grant = signer.media_grant("videos/ab/take 1.mp4", q["e"], q["s"], now=NOW)
    assert grant is not None and grant.key == "videos/ab/take 1.mp4"
    assert NOW + 3600 <= grant.expires <= NOW + 7200
    assert signer.media_grant("videos/ab/take 1.mp4", q["e"], q["s"], now=grant.expires + 1) is None


@pytest.mark.parametrize("tamper", ["other key", "later expiry", "forged signature", "other secret", "junk expiry"])
def test_a_forged_or_altered_media_link_is_refused(tamper: str) -> None:
    """Test that changing any part of a media link, or signing with another secret, grants nothing."""
    signer = Signer(SECRET)
    q = _query(signer.media_path("videos/a.mp4", ttl=3600, now=NOW))
    key, expires, signature = "videos/a.mp4", q["e"], q["s"]
    if tamper == "other key":
        key = "videos/b.mp4"
    elif tamper == "later expiry":
        expires = str(int(expires) + 86400)
    elif tamper == "forged signature":
        signature = "A" * len(signature)
    elif tamper == "other secret":
        signature = _query(Signer("t" * 32).media_path("videos/a.mp4", ttl=3600, now=NOW))["s"]
    else:
        expires = "²"
    assert signer.media_grant(key, expires, signature, now=NOW) is None


def test_a_media_link_is_the_same_for_a_redraw_within_its_step() -> None:
    """Test that redrawing a page a minute later gives the same link (a player keeps playing), and a fresh one in
    the next step."""
    signer = Signer(SECRET)
    first = signer.media_path("v.mp4", ttl=3600, now=NOW)
    assert signer.media_path("v.mp4", ttl=3600, now=NOW + 60) == first
    assert signer.media_path("v.mp4", ttl=3600, now=NOW + 3600) != first


def test_an_export_link_fixes_its_filters() -> None:
    """Test that an export link's filters read back as signed, and that changing one breaks the link."""
    signer = Signer(SECRET)
    params = {"status": "completed,failed", "text": "fox & hound"}
    q = _query("?" + signer.export_query(params, ttl=600, now=NOW))
    assert signer.export_params(q, now=NOW) == params
    assert signer.export_params({**q, "status": "completed"}, now=NOW) is None
    assert signer.export_params({**q, "by": "ceo@example.com"}, now=NOW) is None
    assert signer.export_params(q, now=NOW + 1300) is None


def test_a_session_token_reveals_nothing_and_dies_with_the_password() -> None:
    """Test that a session cookie holds no trace of the password, is valid until its expiry, and is invalid once the
    password changes or it is altered."""
    signer = Signer(SECRET)
    token = signer.session_token("correct horse", hours=12, now=NOW)
    assert "correct" not in token and "horse" not in token
    assert signer.session_valid(token, "correct horse", now=NOW + 11 * 3600)
    assert not signer.session_valid(token, "correct horse", now=NOW + 12 * 3600 + 1)
    assert not signer.session_valid(token, "new password", now=NOW)
    expires, nonce, signature = token.split(".")
    assert not signer.session_valid(f"{int(expires) + 3600}.{nonce}.{signature}", "correct horse", now=NOW)
    assert not signer.session_valid(None, "correct horse", now=NOW)
    assert not signer.session_valid("", "correct horse", now=NOW)


def test_a_visitor_cookie_is_checked_and_each_is_new() -> None:
    """Test that visitor ids are random, signed, and that a made-up one is refused."""
    signer = Signer(SECRET)
    a, b = signer.visitor_token(), signer.visitor_token()
    assert a != b and signer.visitor_id(a) == a.split(".")[0]
    assert signer.visitor_id(a.split(".")[0] + ".forged") is None
    assert signer.visitor_id("nobody") is None and signer.visitor_id(None) is None


def test_short_secrets_are_refused() -> None:
    """Test that a signer refuses a secret too short to be safe."""
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Signer("short")


def test_the_deployment_secret_is_made_once_and_shared(database: Database) -> None:
    """Test that two replicas (two Database objects on one database) get the same secret, made once."""
    other = Database(str(database.engine.url.render_as_string(hide_password=False)))
    try:
        first = deployment_secret(database)
        assert len(first) == 64 and deployment_secret(other) == first
    finally:
        other.dispose()
