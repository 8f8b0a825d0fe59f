"""Validation and payloads: every bad input gets a message naming its field and the fix."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starvideos import ValidationError, VideoRequest
from starvideos.models import TaskStatus, is_http_url

OK = "https://example.com/a.png"
NO_SCHEME = "Image URL: must start with http:// or https:// (paste the full link, like https://example.com/cat.png)."

BAD_INPUTS = [
    # (request, exact message expected among the problems)
    (VideoRequest(""), "Prompt: describe the video (subject, action, camera, style); it cannot be empty."),
    (VideoRequest("   \n\t"), "Prompt: describe the video (subject, action, camera, style); it cannot be empty."),
    (VideoRequest(None), "Prompt: must be text describing the video."),  # type: ignore[arg-type]
    (VideoRequest("x" * 100_000), "Prompt: is 100,000 characters long; shorten it to 5,000 or fewer."),
    (VideoRequest("a\x07b\x00"), "Prompt: remove the control characters (U+0000, U+0007); use plain text."),
    (VideoRequest("cat", model="gpt"), "Model: choose starvideos_v3 (got 'gpt')."),
    (VideoRequest("cat", model=""), "Model: choose starvideos_v3 (got '')."),
    (VideoRequest("cat", duration=2), "Duration: must be between 3 and 15 seconds (got 2)."),
    (VideoRequest("cat", duration=16), "Duration: must be between 3 and 15 seconds (got 16)."),
    (VideoRequest("cat", duration=-1), "Duration: must be between 3 and 15 seconds (got -1)."),
    (VideoRequest("cat", duration=5.5), "Duration: must be a whole number of seconds from 3 to 15 (got 5.5)."),
    (VideoRequest("cat", duration=5.0), "Duration: must be a whole number of seconds from 3 to 15 (got 5)."),
    (VideoRequest("cat", duration="5"), "Duration: must be a whole number of seconds from 3 to 15 (got '5')."),
    (VideoRequest("cat", duration=True), "Duration: must be a whole number of seconds from 3 to 15 (got True)."),
    (VideoRequest("cat", duration=None), "Duration: must be a whole number of seconds from 3 to 15 (got None)."),
    (VideoRequest("cat", ratio="1:1"), "Aspect ratio: choose 16:9 or 9:16 (got '1:1')."),
    (VideoRequest("cat", ratio=""), "Aspect ratio: choose 16:9 or 9:16 (got '')."),
    (VideoRequest("cat", ratio="16/9"), "Aspect ratio: choose 16:9 or 9:16 (got '16/9')."),
    (VideoRequest("cat", images=(OK, OK, OK)), "Images: use at most 2 (first and last frame); remove 1."),
    (VideoRequest("cat", images=OK), "Images: must be a list of image URLs."),  # type: ignore[arg-type]
    (VideoRequest("cat", images=("",)), "Image URL: enter a URL starting with https://."),
    (VideoRequest("cat", images=("ftp://example.com/a.png",)),
     "Image URL: must start with http:// or https:// (got 'ftp:')."),
    (VideoRequest("cat", images=("javascript:alert(1)",)),
     "Image URL: must start with http:// or https:// (got 'javascript:')."),
    (VideoRequest("cat", images=("data:image/png;base64,AAAA",)),
     "Image URL: must start with http:// or https:// (got 'data:')."),
    (VideoRequest("cat", images=("file:///etc/passwd",)),
     "Image URL: must start with http:// or https:// (got 'file:')."),
    (VideoRequest("cat", images=("/etc/passwd",)), NO_SCHEME),
    (VideoRequest("cat", images=("images/cat.png",)), NO_SCHEME),
    (VideoRequest("cat", images=("not a url",)), NO_SCHEME),  # the real problem, once (not "remove the spaces")
    (VideoRequest("cat", images=("//example.com/cat.png",)), NO_SCHEME),
    (VideoRequest("cat", images=("https:///cat.png",)),
     "Image URL: must be a full URL with a host, like https://example.com/cat.png."),
    (VideoRequest("cat", images=("https://example.com/my cat.png",)),
     "Image URL: remove the spaces (write a space as %20)."),
    (VideoRequest("cat", images=("https://bob:hunter2@example.com/a.png",)),
     "Image URL: remove the user:password@ part; the image must be publicly reachable without it."),
    (VideoRequest("cat", images=("https://example.com/" + "a" * 3000,)),
     "Image URL: is 3,020 characters long; the limit is 2,048. Use a shorter link."),
    (VideoRequest("cat", images=(OK, "ftp://x/y.png")),
     "Last frame URL: must start with http:// or https:// (got 'ftp:')."),
    (VideoRequest("cat", images=("", OK)), "First frame URL: enter a URL starting with https://."),
    (VideoRequest("cat", images=("https://example.com:99999/a.png",)),
     "Image URL: is not a valid URL; use a full link like https://example.com/cat.png."),
]


@pytest.mark.parametrize(("request_", "message"), BAD_INPUTS, ids=[m[:50] for _, m in BAD_INPUTS])
def test_bad_input_gets_exact_message(request_: VideoRequest, message: str) -> None:
    """Test that each bad input yields exactly the documented message, and to_payload refuses it."""
    assert message in request_.problems()
    with pytest.raises(ValidationError) as info:
        request_.to_payload()
    assert message in info.value.problems


def test_problems_lists_every_problem_at_once() -> None:
    """Test that problems() reports all fields together, not just the first."""
    problems = VideoRequest("", model="x", duration=99, ratio="4:3", images=("ftp://a/b",)).problems()
    assert [p.split(":")[0] for p in problems] == ["Prompt", "Model", "Duration", "Aspect ratio", "Image URL"]


def test_configured_models_are_accepted() -> None:
    """Test that a model from the configured list passes and the default list rejects it."""
    request = VideoRequest("cat", model="starvideos_v4")
    assert request.problems(("starvideos_v3", "starvideos_v4")) == []
    assert request.problems() == ["Model: choose starvideos_v3 (got 'starvideos_v4')."]


@pytest.mark.parametrize(("images", "mode", "payload_images"), [
    ((), "text", None),
    (("https://e.com/a.png",), "image", ["https://e.com/a.png"]),
    (("https://e.com/first.png", "https://e.com/last.png"), "first_last",
     ["https://e.com/first.png", "https://e.com/last.png"]),
])
def test_payload_for_each_mode(images: tuple[str, ...], mode: str, payload_images: list[str] | None) -> None:
    """Test that the payload is exactly the documented body, with images only when there are some, in order."""
    request = VideoRequest("  A cyberpunk city at night \n", duration=7, ratio="9:16", images=images)
    expected = {"prompt": "A cyberpunk city at night", "model": "starvideos_v3", "duration": 7, "ratio": "9:16"}
    if payload_images is not None:
        expected["images"] = payload_images
    assert request.mode == mode
    assert request.to_payload() == expected
    assert list(request.to_payload()) == list(expected)


def test_defaults_match_the_docs() -> None:
    """Test that model, duration and ratio default to the documented values."""
    assert VideoRequest("cat").to_payload() == {"prompt": "cat", "model": "starvideos_v3", "duration": 5,
                                                "ratio": "16:9"}


def test_boundaries_are_valid() -> None:
    """Test that 3 and 15 seconds and both ratios are accepted."""
    for duration in (3, 15):
        for ratio in ("16:9", "9:16"):
            assert VideoRequest("cat", duration=duration, ratio=ratio).problems() == []


def test_terminal_statuses() -> None:
    """Test that only completed and failed are terminal; unknown never counts as done."""
    assert {s for s in TaskStatus if s.is_terminal} == {TaskStatus.COMPLETED, TaskStatus.FAILED}


@pytest.mark.parametrize(("value", "expected"), [
    ("https://e.com/v.mp4", True), ("http://127.0.0.1:8/a", True), ("/etc/passwd", False), ("file:///x", False),
    ("data/history.sqlite3", False), ("javascript:alert(1)", False), (None, False), ("", False),
])
def test_is_http_url(value: object, expected: bool) -> None:
    """Test that only http(s) URLs with a host pass the guard used before st.image/st.video."""
    assert is_http_url(value) is expected


@pytest.mark.parametrize("request_", [
    VideoRequest("cat"),
    VideoRequest("  dog  ", duration=12, ratio="9:16", images=(OK,)),
    VideoRequest("pair", images=(OK, "https://example.com/b.png")),
])
def test_payload_round_trip(request_: VideoRequest) -> None:
    """Test that a stored body reads back as the same request (the history keeps only the body)."""
    payload = request_.to_payload()
    again = VideoRequest.from_payload(payload)
    assert again.to_payload() == payload and again.mode == request_.mode


def test_from_payload_ignores_unknown_keys_and_defaults_the_rest() -> None:
    """Test that an old or foreign body with unknown keys and missing optional fields still reads back."""
    assert VideoRequest.from_payload({"prompt": "x", "seed": 7}) == VideoRequest("x")


_ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=60),
                       st.sampled_from(["²", "٣", "５", "7.0", 10**5000, "1" * 5000, float("nan")]),
                       st.lists(st.text(max_size=30), max_size=3))


@settings(max_examples=400, deadline=None)
@given(prompt=_ANY_VALUE, model=_ANY_VALUE, duration=_ANY_VALUE, ratio=_ANY_VALUE,
       images=st.one_of(_ANY_VALUE, st.lists(_ANY_VALUE, max_size=4)))
def test_validation_names_a_field_for_any_value_and_never_raises(prompt: object, model: object, duration: object,
                                                                 ratio: object, images: object) -> None:
    """Test that any value in any field (a duration of '²', 5,000 digits, NaN, lists, None) gives problems that
    each name a form field, never an exception, and that a request without problems has a sendable body."""
    request = VideoRequest.from_payload({"prompt": prompt, "model": model, "duration": duration, "ratio": ratio,
                                         "images": images})
    problems = request.problems()
    labels = {"Prompt", "Model", "Duration", "Aspect ratio", "Images", "Image URL", "First frame URL",
              "Last frame URL", "Image 3 URL", "Image 4 URL"}
    assert all(problem.split(":", 1)[0] in labels for problem in problems), problems
    if not problems:
        assert request.to_payload()["duration"] == duration
    request.to_payload(validate=False)  # the draft body of an invalid request is shown, so it must build too


def test_one_vocabulary_of_task_states_with_labels_and_groups() -> None:
    """Test that every task state has a label, colour, icon and marker, and that the groups the app asks about
    split the states without overlap: the app's own, live and finished; settled and not."""
    from components.labels import STATES
    from starvideos.models import FINISHED, LIVE, LOCAL, SETTLED, SPENT, UNSETTLED

    assert set(STATES) == set(TaskStatus) and all(len(entry) == 4 and all(entry) for entry in STATES.values())
    assert sorted(LOCAL + LIVE + FINISHED) == sorted(TaskStatus)
    assert set(SETTLED) | set(UNSETTLED) == set(TaskStatus) and not set(SETTLED) & set(UNSETTLED)
    assert TaskStatus.REJECTED not in SPENT and TaskStatus.CANCELLED not in SPENT
    assert TaskStatus.OUTCOME_UNKNOWN in SPENT  # it may be billed
    assert TaskStatus("pending") is TaskStatus.PENDING and f"{TaskStatus.PENDING}" == "pending"
