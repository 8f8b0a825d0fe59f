"""The server layer over real HTTP: ``streamlit run app.py`` serving its own routes beside the pages. Stored media
with Range and signed links, health and readiness, the cookie routes and streamed exports."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from starvideos.history import HistoryFilter
from starvideos.signing import SESSION_COOKIE, Signer
from tests.e2e.conftest import AppServer, free_port

SECRET = "route-tests-secret-0123456789abcdef"
CLIP = os.urandom(1_000_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One app server for the module, with a known signing secret and a password."""
    root = tmp_path_factory.mktemp("routes")
    (root / "media" / "videos" / "ab").mkdir(parents=True)
    (root / "media" / "videos" / "ab" / "clip.mp4").write_bytes(CLIP)
    (root / "media" / "uploads").mkdir()
    (root / "media" / "uploads" / "page.html").write_text("<script>alert(1)</script>")
    app = AppServer(history=root / "history.sqlite3", sandbox_port=free_port(),
                    env={"STARVIDEOS_SECRET_KEY": SECRET, "STARVIDEOS_APP_PASSWORD": "correct horse"}).start()
    yield app
    app.stop()


def signed(server: AppServer, key: str, *, ttl: float = 3600, now: float | None = None) -> str:
    return server.url + Signer(SECRET).media_path(key, ttl=ttl, now=now)


def test_healthz_answers_without_the_password(server: AppServer) -> None:
    """Test that /healthz says the process is alive, as JSON, even with the password gate on."""
    answer = requests.get(f"{server.url}/healthz", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readyz_reports_each_check_once_the_workers_run(server: AppServer) -> None:
    """Test that /readyz is 200 with the database, storage and every worker named, without any page visited."""
    answer = requests.get(f"{server.url}/readyz", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "ready": True, "checks": {
        "database": "ok", "storage": "ok",
        "workers": {"status_poller": "running", "media_copier": "running", "create_queue": "running",
                    "cut_builder": "running", "note_frames": "running"}}}


def test_a_stored_video_streams_whole_with_its_headers(server: AppServer) -> None:
    """Test a plain GET: the whole file, video/mp4, nosniff, a validator, and a cache lifetime within the link's."""
    answer = requests.get(signed(server, "videos/ab/clip.mp4"), timeout=5)
    assert answer.status_code == 200 and answer.content == CLIP
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["etag"] and answer.headers["last-modified"]
    max_age = int(answer.headers["cache-control"].removeprefix("private, max-age="))
    assert 3500 <= max_age <= 7200


@pytest.mark.parametrize(("range_header", "start", "end"), [
    ("bytes=0-99", 0, 99),  # the first bytes
    ("bytes=400000-400999", 400_000, 400_999),  # the middle (a seek)
    ("bytes=-500", 999_500, 999_999),  # a suffix: the last 500 bytes
    ("bytes=999000-", 999_000, 999_999),  # open-ended
    ("bytes=999000-5000000", 999_000, 999_999),  # past the end is cut to the end
])
def test_range_requests_answer_206_with_exactly_those_bytes(server: AppServer, range_header: str, start: int,
                                                           end: int) -> None:
    """Test that a Range request gets 206, the right Content-Range and exactly those bytes."""
    answer = requests.get(signed(server, "videos/ab/clip.mp4"), headers={"Range": range_header}, timeout=5)
    assert answer.status_code == 206
    assert answer.headers["content-range"] == f"bytes {start}-{end}/1000000"
    assert answer.content == CLIP[start:end + 1]


def test_a_range_past_the_end_is_416(server: AppServer) -> None:
    """Test that a range starting past the end is 416 with the size in Content-Range."""
    answer = requests.get(signed(server, "videos/ab/clip.mp4"), headers={"Range": "bytes=2000000-"}, timeout=5)
    assert answer.status_code == 416 and answer.headers["content-range"] == "bytes */1000000"


def test_an_unchanged_file_is_304(server: AppServer) -> None:
    """Test that If-None-Match with the file's ETag answers 304 with no body."""
    url = signed(server, "videos/ab/clip.mp4")
    etag = requests.head(url, timeout=5).headers["etag"]
    answer = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
    assert answer.status_code == 304 and answer.content == b""


@pytest.mark.parametrize("tamper", ["unsigned", "forged", "other key", "expired", "junk"])
def test_a_forged_or_expired_media_link_is_403(server: AppServer, tamper: str) -> None:
    """Test that a stored file answers only to a link this deployment signed for it, before it expires."""
    url = signed(server, "videos/ab/clip.mp4")
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if tamper == "unsigned":
        url = f"{server.url}/files/videos/ab/clip.mp4"
    elif tamper == "forged":
        url = f"{server.url}/files/videos/ab/clip.mp4?e={q['e']}&s={'A' * len(q['s'])}"
    elif tamper == "other key":
        url = f"{server.url}/files/videos/ab/other.mp4?e={q['e']}&s={q['s']}"
    elif tamper == "expired":
        url = signed(server, "videos/ab/clip.mp4", ttl=60, now=1_000_000)
    else:
        url = f"{server.url}/files/videos/ab/clip.mp4?e=%C2%B2&s=x"
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 403
    assert answer.text == "This link is not valid or has expired. Reload the page for a fresh one."
    assert CLIP[:100] not in answer.content


def test_a_file_of_unknown_type_is_only_ever_downloaded(server: AppServer) -> None:
    """Test that a stored file whose type is not a known picture or video is sent as an attachment, never inline,
    so a browser cannot render it as a page."""
    answer = requests.get(signed(server, "uploads/page.html"), timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith('attachment; filename="page.html"')
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_download_name_is_sanitised(server: AppServer) -> None:
    """Test that the download name a link asks for is made safe for a header."""
    answer = requests.get(signed(server, "videos/ab/clip.mp4") + "&d=..%2F..%2Fevil%0D%0AX-Injected%3A%201.mp4",
                          headers={"Range": "bytes=0-0"}, timeout=5)
    assert answer.status_code == 206 and "x-injected" not in answer.headers
    assert answer.headers["content-disposition"].startswith('attachment; filename="evil_X-Injected_1.mp4"')


def test_a_session_cookie_is_set_only_for_a_value_the_app_signed(server: AppServer) -> None:
    """Test /auth/cookie: a session token made with the deployment's secret and the current password becomes an
    HttpOnly, SameSite=Lax cookie; a forged one, one for another password, or a cross-site post are refused."""
    signer = Signer(SECRET)
    good = signer.session_token("correct horse", hours=12)
    answer = requests.post(f"{server.url}/auth/cookie", json={"kind": "session", "token": good}, timeout=5)
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={good};") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "correct" not in cookie and "horse" not in cookie
    assert "Max-Age=43200" in cookie
    # One character of the signature changed for another (a fixed "AA" ending was the real one once in 256 runs).
    altered = good[:-2] + ("B" if good[-2] != "B" else "C") + good[-1]
    for token in (signer.session_token("old password", hours=12), altered, "x.y.z"):
        refused = requests.post(f"{server.url}/auth/cookie", json={"kind": "session", "token": token}, timeout=5)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
    cross = requests.post(f"{server.url}/auth/cookie", json={"kind": "session", "token": good},
                          headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, timeout=5)
    assert cross.status_code == 403 and "set-cookie" not in cross.headers


def test_sign_out_drops_the_cookie(server: AppServer) -> None:
    """Test that /auth/signout answers with a Set-Cookie that expires the session cookie."""
    answer = requests.post(f"{server.url}/auth/signout", json={"n": "1"}, timeout=5)
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f'{SESSION_COOKIE}="";') and "Max-Age=0" in cookie


def test_an_export_streams_as_signed_and_refuses_altered_filters(server: AppServer) -> None:
    """Test that a signed export link downloads the CSV (header row, as an attachment) and JSON, and that changing
    its filters or its expiry gives 403."""
    signer = Signer(SECRET)
    query = signer.export_query(HistoryFilter(statuses=("completed",)).to_params(), ttl=600)
    answer = requests.get(f"{server.url}/export/history.csv?{query}", timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith('attachment; filename="starvideos-history-')
    header = next(csv.reader(io.StringIO(answer.text)))
    assert header[:3] == ["id", "task_id", "status"]
    as_json = requests.get(f"{server.url}/export/history.json?{query}", timeout=10)
    assert as_json.status_code == 200 and json.loads(as_json.text) == []
    altered = query.replace("status=completed", "status=failed")
    assert requests.get(f"{server.url}/export/history.csv?{altered}", timeout=10).status_code == 403
    assert requests.get(f"{server.url}/export/history.csv", timeout=10).status_code == 403
    assert requests.get(f"{server.url}/export/history.xml?{query}", timeout=10).status_code == 404


def test_pages_still_render_behind_the_gate(server: AppServer) -> None:
    """Test that Streamlit's own routes are untouched: the page shell and its health check answer."""
    assert requests.get(f"{server.url}/_stcore/health", timeout=5).text == "ok"
    assert "<title>" in requests.get(server.url, timeout=5).text
