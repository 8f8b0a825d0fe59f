"""The sandbox follows the documented contract over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
import requests

from starvideos.sandbox import SandboxServer
from tests.conftest import DUMMY_KEY

AUTH = {"Authorization": f"Bearer {DUMMY_KEY}"}


def post(sandbox: SandboxServer, body: object, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/v1/starvideos/videos", json=body,
                         headers=AUTH if headers is None else headers, timeout=5)


def test_documented_answer_and_lifecycle(sandbox: SandboxServer) -> None:
    """Test that a create answers the documented shape and the task moves queued → processing → completed."""
    answer = post(sandbox, {"prompt": "cat", "model": "starvideos_v3"}).json()
    assert set(answer) == {"id", "object", "created", "model", "status", "error"}
    assert (answer["object"], answer["status"], answer["error"], answer["model"]) == (
        "video", "queued", None, "starvideos_v3")
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = requests.get(f"{sandbox.base_url}/v1/starvideos/videos/{answer['id']}", headers=AUTH,
                              timeout=5).json()
        if not seen or seen[-1] != status["status"]:
            seen.append(status["status"])
        if status["status"] == "completed":
            break
        time.sleep(0.05)
    assert seen == ["queued", "processing", "completed"]
    video = requests.get(status["video_url"], timeout=5)
    assert video.headers["Content-Type"] == "video/mp4" and video.content[4:8] == b"ftyp"
    assert 5_000 < len(video.content) < 200_000 and status["video_url"].endswith(f"/clips/{answer['id']}.mp4")


def test_fail_marker(sandbox: SandboxServer) -> None:
    """Test that a prompt with #fail ends in failed with an error message."""
    sandbox.queued_seconds = sandbox.processing_seconds = 0
    task_id = post(sandbox, {"prompt": "boom #fail", "model": "starvideos_v3"}).json()["id"]
    status = requests.get(f"{sandbox.base_url}/v1/starvideos/videos/{task_id}", headers=AUTH, timeout=5).json()
    assert (status["status"], status["error"]) == ("failed", "Sandbox: simulated failure (the prompt asked for #fail).")


def test_broken_json_is_400(sandbox: SandboxServer) -> None:
    """Test that a body that is not JSON gets 400 saying so."""
    response = requests.post(f"{sandbox.base_url}/v1/starvideos/videos", data=b"{nope", headers=AUTH, timeout=5)
    assert (response.status_code, response.json()["error"]["message"]) == (400, "The body is not valid JSON.")


@pytest.mark.parametrize(("body", "message"), [
    ({"model": "starvideos_v3"}, "Prompt: is required."),
    ({"prompt": "cat"}, "Model: is required."),
    ({"prompt": None, "model": "starvideos_v3"}, "Prompt: must be text describing the video."),
    ({"prompt": " ", "model": "starvideos_v3"}, "Prompt: describe the video"),
    ({"prompt": "cat", "model": "other"}, "Model: choose starvideos_v3 (got 'other')."),
    ({"prompt": "cat", "model": "starvideos_v3", "duration": 20}, "Duration: must be between 3 and 15 seconds"),
    ({"prompt": "cat", "model": "starvideos_v3", "ratio": "1:1"}, "Aspect ratio: choose 16:9 or 9:16"),
    ({"prompt": "cat", "model": "starvideos_v3", "images": ["file:///etc/passwd"]}, "Image URL: must start with"),
    ([1, 2], "The body must be a JSON object."),
])
def test_bad_input_is_400_with_json_error(sandbox: SandboxServer, body: object, message: str) -> None:
    """Test that bad input gets 400 with a JSON error naming the field."""
    response = post(sandbox, body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_only_first_two_images_are_used(sandbox: SandboxServer) -> None:
    """Test that, as documented, a third image is ignored rather than rejected."""
    urls = ["https://e.com/1.png", "https://e.com/2.png", "ftp://ignored"]
    assert post(sandbox, {"prompt": "cat", "model": "starvideos_v3", "images": urls}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}])
def test_401_without_bearer_token(sandbox: SandboxServer, headers: dict[str, str]) -> None:
    """Test that requests without a bearer token get 401."""
    response = post(sandbox, {"prompt": "cat", "model": "starvideos_v3"}, headers=headers)
    assert response.status_code == 401 and response.json()["error"]["message"] == "Missing bearer token."


def test_unknown_task_is_404(sandbox: SandboxServer) -> None:
    """Test that looking up an unknown id answers 404 with a JSON error."""
    response = requests.get(f"{sandbox.base_url}/v1/starvideos/videos/nope", headers=AUTH, timeout=5)
    assert response.status_code == 404 and response.json()["error"]["message"] == "No task with id nope."


def test_sample_images_and_control_endpoints(sandbox: SandboxServer) -> None:
    """Test the sample images (wide and tall), the request log and fault injection over HTTP."""
    import io

    from PIL import Image
    sizes = {name: Image.open(io.BytesIO(requests.get(url, timeout=5).content)).size
             for name, url in sandbox.sample_image_urls().items()}
    assert sizes == {"wide": (640, 360), "tall": (360, 640), "wide-last": (640, 360)}
    post(sandbox, {"prompt": "logged", "model": "starvideos_v3"})
    log = requests.get(f"{sandbox.base_url}/_sandbox/requests", timeout=5).json()
    assert [(r["method"], r["body"]["prompt"]) for r in log] == [("POST", "logged")]
    requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"status": 503, "method": "POST"}, timeout=5)
    assert post(sandbox, {"prompt": "x", "model": "starvideos_v3"}).status_code == 503
    assert post(sandbox, {"prompt": "x", "model": "starvideos_v3"}).status_code == 200


def test_binds_loopback_only(sandbox: SandboxServer) -> None:
    """Test that the sandbox listens on 127.0.0.1 only."""
    assert sandbox._httpd.server_address[0] == "127.0.0.1"


def test_command_line_entry_point() -> None:
    """Test that python -m starvideos.sandbox serves the API on the given port."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "starvideos.sandbox", "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"StarVideos sandbox on http://127.0.0.1:{port}")
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/starvideos/videos", method="POST",
                                     data=json.dumps({"prompt": "cli", "model": "starvideos_v3"}).encode(),
                                     headers={**AUTH, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as response:
            assert json.load(response)["status"] == "queued"
    finally:
        proc.terminate()
        proc.wait(5)


def test_tasks_survive_a_sandbox_restart() -> None:
    """Test that a task created before the sandbox restarts is still found and completes afterwards."""
    with SandboxServer(queued_seconds=0, processing_seconds=0) as first:
        task_id = post(first, {"prompt": "cat", "model": "starvideos_v3"}).json()["id"]
    with SandboxServer(queued_seconds=0, processing_seconds=0) as second:
        answer = requests.get(f"{second.base_url}/v1/starvideos/videos/{task_id}", headers=AUTH, timeout=5).json()
        assert (answer["id"], answer["status"]) == (task_id, "completed")
        assert answer["video_url"] == f"{second.base_url}/clips/{task_id}.mp4"
        clip = requests.get(answer["video_url"], timeout=10)
        assert clip.status_code == 200 and clip.content[4:8] == b"ftyp"  # drawn without the prompt it forgot


def test_each_task_gets_its_own_clip(sandbox: SandboxServer) -> None:
    """Test that two tasks' videos differ (so takes can be told apart), and that a clip is made once."""
    sandbox.queued_seconds = sandbox.processing_seconds = 0
    urls = []
    for prompt in ("A red fox in snow", "A lighthouse in a storm"):
        task_id = post(sandbox, {"prompt": prompt, "model": "starvideos_v3", "ratio": "9:16"}).json()["id"]
        urls.append(requests.get(f"{sandbox.base_url}/v1/starvideos/videos/{task_id}", headers=AUTH,
                                 timeout=5).json()["video_url"])
    first, second = (requests.get(u, timeout=10).content for u in urls)
    assert first[4:8] == second[4:8] == b"ftyp" and first != second
    assert requests.get(urls[0], timeout=10).content == first
    assert requests.get(urls[0].replace("/clips/", "/clips/x"), timeout=5).status_code == 404


def probe_clip(data: bytes) -> tuple[float, int, int]:
    """(seconds, width, height) of an MP4, read by PyAV as a player would."""
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return round(container.duration / 1_000_000, 2), stream.width, stream.height


@pytest.mark.parametrize(("body", "expected"), [
    ({}, (5.0, 320, 180)),  # the API's defaults: 5 s, 16:9
    ({"duration": 3, "ratio": "9:16"}, (3.0, 180, 320)),
    ({"duration": 8, "ratio": "9:16"}, (8.0, 180, 320)),
    ({"duration": 15, "ratio": "16:9"}, (15.0, 320, 180)),
])
def test_clip_has_the_requested_duration_and_ratio(body: dict, expected: tuple[float, int, int]) -> None:
    """Test that a task's clip lasts the seconds it asked for and has its aspect ratio, also when the sandbox that
    made it has restarted (the id carries both), so a demo in sandbox mode looks like the real thing."""
    with SandboxServer(queued_seconds=0, processing_seconds=0) as first:
        task_id = post(first, {"prompt": "A heron at dawn", "model": "starvideos_v3", **body}).json()["id"]
        url = requests.get(f"{first.base_url}/v1/starvideos/videos/{task_id}", headers=AUTH, timeout=5).json()[
            "video_url"]
        assert probe_clip(requests.get(url, timeout=20).content) == expected
    with SandboxServer(queued_seconds=0, processing_seconds=0) as second:
        url = requests.get(f"{second.base_url}/v1/starvideos/videos/{task_id}", headers=AUTH, timeout=5).json()[
            "video_url"]
        assert probe_clip(requests.get(url, timeout=20).content) == expected


def test_clip_frame_plan_is_drawn_once_per_duration_and_ratio() -> None:
    """Test that what clips of one duration and ratio share is drawn once and reused, so a long clip stays cheap:
    two takes of 15 s at 9:16 draw the plan once, and a 16:9 take draws its own."""
    from starvideos.sandbox import clips

    clips._frame_plan.cache_clear()
    one = clips.render("video_starvideos_1764500000000c15tdeadbeef", "A", "9:16", 15)
    two = clips.render("video_starvideos_1764500000001c15tfeedbeef", "B", "9:16", 15)
    clips.render("video_starvideos_1764500000002c15wfeedbeef", "C", "16:9", 15)
    info = clips._frame_plan.cache_info()
    assert (info.misses, info.hits) == (2, 1)
    assert one != two and probe_clip(one) == probe_clip(two) == (15.0, 180, 320)
