"""AppTest: uploads beside the image fields, "Recent uploads", "Create anyway?", and the task view playing the
app's own copy (saving state, downloads, "Continue from last frame")."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import runtime
from starvideos.models import VideoRequest
from tests.apptest_support import new_app, plain, served_key, texts
from tests.creates import create_now
from tests.test_uploads import GPS_EXIF


def png(size: tuple[int, int] = (640, 360), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 160, 90)).save(out, "PNG", **save)
    return out.getvalue()


def rerun_until(at: AppTest, condition: Callable[[], bool], timeout: float = 20.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)
        at.run()
    return at


def image_mode() -> AppTest:
    at = new_app().run()
    at.radio(key="form_mode").set_value("Image to video").run()
    return at


def test_upload_fills_the_field_with_a_fetchable_link_and_reaches_the_post(app_env: Path) -> None:
    """Test that a picture picked beside "Image URL" is stripped, stored, previewed without a network check, and
    sent as a link the (simulated) API can fetch; the task keeps its storage key."""
    at = image_mode()
    at.file_uploader(key="form_image_url_file").upload("holiday.png", png(exif=GPS_EXIF), "image/png").run()
    b = runtime.backend()
    link = at.text_input(key="form_image_url").value
    [upload] = b.uploads.recent()
    assert link == f"{b.sandbox.base_url}/files/{upload.storage_key}"
    fetched = requests.get(link, timeout=5)
    assert fetched.status_code == 200 and b"PhoneMaker" not in fetched.content
    assert any(c.value.startswith(":material/check: Uploaded · image/png · 640×360 px") for c in at.caption)
    at.text_area(key="form_prompt").set_value("Holiday pan").run()
    at.button(key="create_button").click().run()
    [sent] = b.sandbox.received("POST")
    assert sent.body["images"] == [link]
    [record] = b.store.list()
    assert record.image_keys == [upload.storage_key]


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_kept(app_env: Path) -> None:
    """Test that an HTML page named .png is refused under the picker, nothing is stored, nothing sent."""
    at = image_mode()
    at.file_uploader(key="form_image_url_file").upload("cat.png", b"<html><script>x()</script></html>",
                                                       "image/png").run()
    assert not at.exception
    assert plain(at.error[0].value).startswith("The file is not a PNG, JPEG or WebP picture (it is an HTML page).")
    assert at.text_input(key="form_image_url").value == ""
    assert runtime.backend().uploads.recent() == [] and not any((app_env / "media").rglob("*.*"))
    assert runtime.backend().sandbox.received() == []


def test_live_mode_with_a_folder_says_uploads_need_a_bucket(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Test that in live mode with local storage the picker says plainly that uploads need a bucket, naming the
    setting, instead of failing later."""
    monkeypatch.setenv("STARVIDEOS_MODE", "live")
    monkeypatch.setenv("STARVIDEOS_API_KEY", "sk-live-test")
    monkeypatch.setenv("STARVIDEOS_BASE_URL", "http://127.0.0.1:9")
    at = image_mode()
    assert at.file_uploader(key="form_image_url_file").disabled
    assert any("Uploads need a bucket" in c.value and "STARVIDEOS_STORAGE_URL" in c.value for c in at.caption)


def test_recent_uploads_can_be_picked_again(app_env: Path) -> None:
    """Test that "Recent uploads" puts an earlier upload in a field (a fresh link each time)."""
    at = image_mode()
    at.file_uploader(key="form_image_url_file").upload("first.png", png(), "image/png").run()
    link = at.text_input(key="form_image_url").value
    at.radio(key="form_mode").set_value("First & last frame").run()
    upload = runtime.backend().uploads.recent()[0]
    at.button(key=f"recent_{upload.id}_form_last_url").click().run()
    assert at.text_input(key="form_last_url").value == link


def test_reusing_a_task_signs_a_fresh_link(app_env: Path, monkeypatch: pytest.MonkeyPatch, s3_bucket: str) -> None:
    """Test that reusing a task whose picture's link has expired puts a freshly signed, fetchable link in the form,
    never the dead one (S3 storage)."""
    monkeypatch.setenv("STARVIDEOS_STORAGE_URL", s3_bucket)
    new_app().run()
    b = runtime.backend()
    upload = b.uploads.add(png(), name="ref.png")
    dead = b.storage.signed_url(upload.storage_key, 60).replace("Expires=", "Expires=1") + "&gone=1"
    submission = create_now(b.client, b.store, VideoRequest("reuse me", images=(dead,)), session_id="s",
                              image_keys=[upload.storage_key])
    at = new_app().run()
    at.query_params["task"] = submission.task.id
    at.switch_page("pages/history.py").run()
    at.button(key="reuse").click().run()
    fresh = at.text_input(key="form_image_url").value
    assert fresh != dead and fresh.startswith(s3_bucket.replace("s3://", "http://").split("/")[0] or "http")
    assert requests.get(fresh, timeout=5).status_code == 200


def test_an_unreachable_reference_asks_create_anyway(app_env: Path) -> None:
    """Test that when the check found the picture unreachable, "Create video" asks "Create anyway?" first: nothing
    is sent until it is confirmed, then exactly one request."""
    at = image_mode()
    at.text_input(key="form_image_url").set_value("http://nowhere.invalid/reference.png").run()
    at.text_area(key="form_prompt").set_value("A risky take").run()
    rerun_until(at, lambda: not any("Checking" in c.value for c in at.caption))
    assert "could not be found" in plain(at.warning[0].value)
    at.button(key="create_button").click().run()
    sandbox = runtime.backend().sandbox
    assert sandbox.received("POST") == []
    assert any("Image URL: The host nowhere.invalid could not be found" in plain(w.value) for w in at.warning)
    at.button(key="confirm_create_anyway").click().run()
    assert len(sandbox.received("POST")) == 1


def finished_take(at: AppTest, prompt: str = "A take to keep") -> str:
    b = runtime.backend()
    submission = create_now(b.client, b.store, VideoRequest(prompt, duration=4), session_id="s")
    task_id = submission.task.id
    at.query_params["task"] = task_id
    at.switch_page("pages/history.py").run()
    rerun_until(at, lambda: (m := b.media.get(submission.record_id)) is not None and m.state == "saved")
    at.run()
    return task_id


def test_task_view_plays_the_stored_copy(app_env: Path) -> None:
    """Test that a finished take plays from the app's own copy (not the provider's link), says "Saved", and offers
    the video, the poster and the animated preview."""
    at = new_app().run()
    finished_take(at)
    [video] = at.get("video")
    copy = runtime.backend().media.get(runtime.backend().store.list()[0].id)
    assert served_key(video.proto.url) == copy.video_key  # the app's own copy, through its signed /files link
    assert any(c.value.startswith(":material/cloud_done: Saved · 320×180 · H264") for c in at.caption)
    links = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert [served_key(links[name]) for name in ("Video", "Poster", "Preview")] == [
        copy.video_key, copy.poster_key, copy.preview_key]
    assert all("&d=" in links[name] for name in ("Video", "Poster", "Preview"))  # downloads, with a file name


def test_a_failed_copy_says_why_and_can_be_retried(app_env: Path) -> None:
    """Test that a copy that failed says "Could not save: <reason>" and "Retry saving" queues it again at once."""
    at = new_app().run()
    b = runtime.backend()
    submission = create_now(b.client, b.store, VideoRequest("expiring take"), session_id="s")
    task_id = submission.task.id
    deadline = time.monotonic() + 20
    while (m := b.media.get(submission.record_id)) is None or m.state != "saved":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    b.media.finish(submission.record_id, None, state="failed", error="The video link answered HTTP 403 (the "
                   "provider's link may have expired).", due_at=9e18)
    at.query_params["task"] = task_id
    at.switch_page("pages/history.py").run()
    assert plain(at.warning[0].value) == ("Could not save: The video link answered HTTP 403 (the provider's link may "
                                          "have expired).")
    at.button(key="retry_saving").click().run()
    assert b.media.get(submission.record_id).due_at == 0.0


def test_continue_from_last_frame_chains_the_shots(app_env: Path) -> None:
    """Test that "Continue from last frame" opens Create in "Image to video" with the last frame stored and filled
    in, that the new task records its parent, and that the first task's view links to it."""
    at = new_app().run()
    first_id = finished_take(at, "Shot one: the door opens")
    at.button(key="continue_last_frame").click().run()
    assert not at.exception and at.radio(key="form_mode").value == "Image to video"
    link = at.text_input(key="form_image_url").value
    assert requests.get(link, timeout=5).headers["Content-Type"] == "image/png"
    assert at.title[0].value == "Create a video"
    at.switch_page("pages/create.py")  # AppTest keeps asking for the page last switched to by the test itself
    at.text_area(key="form_prompt").set_value("Shot two: we walk through").run()
    at.button(key="create_button").click().run()
    b = runtime.backend()
    first, second = b.store.get_by_task_id(first_id), b.store.list()[0]
    assert second.parent_id == first.id and second.images == [link]
    at.query_params.clear()
    at.query_params["task"] = first_id
    at.switch_page("pages/history.py").run()
    assert [plain(b.label) for b in at.button if b.key.startswith("lineage_")] == ["Shot two: we walk through"]


def test_reference_pictures_are_pictures_never_server_addresses(app_env: Path) -> None:
    """Test that a first-and-last-frame task shows its references as pictures the app serves (an uploaded one from
    storage, the sandbox's sample fetched by the server), in the task view and in Compare, and that no page writes
    an address only the server can reach: the tables name an uploaded picture by its file name."""
    new_app().run()
    b = runtime.backend()
    upload = b.uploads.add(png(), name="first frame.png")
    first, last = b.upload_link(upload.storage_key), b.sandbox.sample_image_urls()["wide-last"]
    made = [create_now(b.client, b.store, VideoRequest(f"two frames {n}", images=(first, last)), session_id="s",
                         image_keys=[upload.storage_key, None]) for n in range(2)]
    at = new_app().run()
    at.query_params["task"] = made[0].task.id
    at.switch_page("pages/history.py").run()
    rerun_until(at, lambda: len(at.get("image")) == 2)
    table = at.dataframe[0].value
    values = dict(zip(table["Field"], table["Value"], strict=True))
    assert (values["First frame"], values["Last frame"]) == ("Uploaded picture “first frame.png”",
                                                             "Picture served by this app")
    assert [c.value for c in at.caption if c.value in ("First frame", "Last frame")] == ["First frame", "Last frame"]
    assert b.sandbox.base_url not in words(at) and b.sandbox.base_url not in table.to_string()

    at.query_params.clear()
    at.query_params["ids"] = ",".join(str(m.record_id) for m in made)
    at.switch_page("pages/compare.py").run()
    rerun_until(at, lambda: len(at.get("image")) == 4)
    differences = at.dataframe[0].value
    assert differences.loc["Reference images"].tolist() == [
        "Uploaded picture “first frame.png”\nPicture served by this app"] * 2
    assert b.sandbox.base_url not in words(at) and not at.exception

    # Someone holding the board's link is told there are pictures (and sees them), not the team's file names or
    # the addresses a teammate typed.
    board = b.showcase.board_named("Client")
    b.showcase.add(board.id, [m.record_id for m in made])
    token, _ = b.showcase.share(board.id)
    stranger = new_app().run()
    stranger.query_params.update(token=token, view="compare", ids=",".join(str(m.record_id) for m in made))
    stranger.switch_page("pages/shared.py").run()
    rerun_until(stranger, lambda: len(stranger.get("image")) == 4)
    assert stranger.dataframe[0].value.loc["Reference images"].tolist() == ["Reference picture\nReference picture"] * 2
    assert "first frame.png" not in texts(stranger) and not stranger.exception


def words(at: AppTest) -> str:
    """What the page writes for people to read (the raw answer's expander is the provider's own words, as sent)."""
    return texts(at).replace("\n".join(str(j.value) for j in at.get("json")), "")
