"""End to end, in Chromium: a picture from the laptop reaches the API as a link anyone can fetch (S3), and a take
whose provider link has expired still plays from the app's own copy, on both storage backends."""

from __future__ import annotations

import io
import re

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect

from starvideos.sandbox import SandboxServer
from tests.conftest import DUMMY_KEY
from tests.e2e.conftest import AppServer, result_task_id, wait_idle
from tests.e2e.test_app_e2e import prompt_box
from tests.test_uploads import GPS_EXIF

pytestmark = pytest.mark.e2e


def aws_env(endpoint: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret-key-0123",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}


def test_a_picked_png_reaches_the_post_as_a_link_a_stranger_can_fetch(make_server: type, page: Page, tmp_path,
                                                                     s3_bucket: str, moto_endpoint: str) -> None:
    """Test that a PNG picked in "Image to video" is stripped, stored in the bucket, and sent to the API as a signed
    link that anyone (no credentials) can fetch."""
    server: AppServer = make_server(STARVIDEOS_STORAGE_URL=s3_bucket, **aws_env(moto_endpoint))
    picture = tmp_path / "holiday.png"
    out = io.BytesIO()
    Image.new("RGB", (640, 360), (200, 90, 30)).save(out, "PNG", exif=GPS_EXIF)
    picture.write_bytes(out.getvalue())
    page.goto(server.url)
    wait_idle(page)
    page.get_by_text("Image to video", exact=True).click()
    wait_idle(page)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(str(picture))
    field = page.get_by_role("textbox", name="Image URL")
    expect(field).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/studio-\d+/media/uploads/[0-9a-f]{64}\.png\?"),
                                timeout=20_000)
    link = field.input_value()
    expect(page.get_by_text(re.compile(r"Uploaded · image/png · 640×360 px"))).to_be_visible()
    prompt_box(page).fill("Holiday footage, slow pan")
    prompt_box(page).press("Control+Enter")
    wait_idle(page)
    page.get_by_role("button", name="Create video").click()
    expect(page.locator(".st-key-create_result").get_by_text("Task created.")).to_be_visible()
    [post] = [r for r in server.sandbox_requests() if r["method"] == "POST"]
    assert post["body"]["images"] == [link]
    fetched = requests.get(link, timeout=5)  # a stranger: no cookies, no credentials
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "image/png"
    assert b"PhoneMaker" not in fetched.content and Image.open(io.BytesIO(fetched.content)).size == (640, 360)


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_take_whose_provider_link_expired_still_plays(make_server: type, page: Page, backend: str, tmp_path,
                                                       request: pytest.FixtureRequest) -> None:
    """Test that once the app has its copy, a take plays from it even after the provider's link has expired."""
    env: dict[str, str] = {}
    if backend == "s3":
        env = {"STARVIDEOS_STORAGE_URL": request.getfixturevalue("s3_bucket"),
               **aws_env(request.getfixturevalue("moto_endpoint"))}
    else:
        env = {"STARVIDEOS_STORAGE_URL": str(tmp_path / "media")}
    with SandboxServer(queued_seconds=0.3, processing_seconds=0.3) as api:
        server: AppServer = make_server(STARVIDEOS_MODE="live", STARVIDEOS_API_KEY=DUMMY_KEY,
                                        STARVIDEOS_BASE_URL=api.base_url, STARVIDEOS_POLL_INTERVAL="0.5",
                                        STARVIDEOS_ALLOW_PRIVATE_HOSTS=f"127.0.0.1:{api.port}", **env)
        page.goto(server.url)
        wait_idle(page)
        prompt_box(page).fill("A take that must outlive its link")
        prompt_box(page).press("Control+Enter")
        wait_idle(page)
        page.get_by_role("button", name="Create video").click()
        task_id = result_task_id(page, "A take that must outlive its link")
        page.goto(f"{server.url}/history?task={task_id}")
        wait_idle(page)
        expect(page.get_by_text(re.compile(r"Saved · 320×180 · H264"))).to_be_visible(timeout=30_000)
        api.assets_expired = True  # the provider's signed link is dead from now on
        assert requests.get(f"{api.base_url}/assets/sample.mp4", timeout=5).status_code == 403
        page.reload()
        wait_idle(page)
        video = page.locator("video")
        expect(video).to_be_visible()
        source = video.get_attribute("src") or ""
        assert f":{api.port}/" not in source
        page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
        page.wait_for_function("() => document.querySelector('video').currentTime > 0.3", timeout=15_000)
