"""Typed request and task models, and the validation every request passes before anything is sent."""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeGuard
from urllib.parse import urlsplit

from .errors import ValidationError

DEFAULT_MODEL = "starvideos_v3"
DEFAULT_MODELS: tuple[str, ...] = (DEFAULT_MODEL,)
MIN_DURATION = 3
MAX_DURATION = 15
DEFAULT_DURATION = 5
RATIOS: tuple[str, ...] = ("16:9", "9:16")
DEFAULT_RATIO = "16:9"
MAX_IMAGES = 2
MAX_URL_CHARS = 2048
# The API documents no limit; this guard keeps a pasted novel (or a runaway script) from becoming a paid task.
MAX_PROMPT_CHARS = 5000

Mode = Literal["text", "image", "first_last"]
MODES: tuple[Mode, ...] = ("text", "image", "first_last")
_ALLOWED_CONTROL = {"\n", "\r", "\t"}


class TaskStatus(enum.StrEnum):
    """Where a task is: the one vocabulary of task states, the API's and the app's own.

    The API reports ``queued``, ``processing``, ``completed`` and ``failed``; ``unknown`` is any status it reports
    that we do not recognise (never success). Before a task exists the app has states of its own: ``pending`` (waits
    in the queue), ``sending`` (the attempt, recorded before the POST), ``rejected`` (refused: nothing created),
    ``outcome_unknown`` (sent without an answer: a task may exist and may be billed) and ``cancelled``. The groups
    below name what the rest of the app asks of a state.
    """

    PENDING = "pending"
    SENDING = "sending"
    REJECTED = "rejected"
    OUTCOME_UNKNOWN = "outcome_unknown"
    CANCELLED = "cancelled"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """True when a task at the provider will not change any more (completed or failed)."""
        return self in FINISHED


LOCAL = (TaskStatus.PENDING, TaskStatus.SENDING, TaskStatus.REJECTED, TaskStatus.OUTCOME_UNKNOWN, TaskStatus.CANCELLED)
"""The app's own states, before (or instead of) a task at the provider."""
LIVE = (TaskStatus.QUEUED, TaskStatus.PROCESSING, TaskStatus.UNKNOWN)
"""A task exists at the provider and may still change: it is looked up."""
FINISHED = (TaskStatus.COMPLETED, TaskStatus.FAILED)
"""The provider is done with it."""
UNSETTLED = (TaskStatus.PENDING, TaskStatus.SENDING, *LIVE)
"""May still change: waiting, being sent, or live. Everything else is settled."""
SETTLED = (*FINISHED, TaskStatus.REJECTED, TaskStatus.OUTCOME_UNKNOWN, TaskStatus.CANCELLED)
"""Will not change on its own any more (in the order summaries name them)."""
SPENT = (*UNSETTLED, *FINISHED, TaskStatus.OUTCOME_UNKNOWN)
"""Counts toward spend: created, running, finished, queued, or possibly billed; rejected and cancelled cost nothing."""
IN_FLIGHT = (TaskStatus.SENDING, *LIVE)
"""Being sent or running at the provider: what the in-flight limit counts."""


_WHOLE_NUMBER = re.compile(r"\s*([0-9]{1,18})(?:\.0*)?\s*")


def whole_number(text: str) -> int | None:
    """``text`` as a whole number when it is one, written in ASCII digits (a spreadsheet's ``7.0`` too); else None.

    Not ``text.isdigit()``: that is true for ``'²'`` and other digits ``int`` refuses, and ``int`` also refuses
    more than 4,300 digits.
    """
    match = _WHOLE_NUMBER.fullmatch(text)
    return int(match.group(1)) if match else None


def image_field_labels(count: int) -> list[str]:
    """The names the UI gives image URL fields, so problems name the field the user sees."""
    if count == 1:
        return ["Image URL"]
    labels = ["First frame URL", "Last frame URL"]
    return labels[:count] + [f"Image {n} URL" for n in range(3, count + 1)]


def is_http_url(value: object) -> TypeGuard[str]:
    """True for an absolute http(s) URL with a host: the only strings safe to hand to ``st.image``/``st.video``."""
    return isinstance(value, str) and url_problem("URL", value) is None


def url_problem(label: str, url: object) -> str | None:
    """The problem with one image URL, naming the field and the fix, or None when it is acceptable."""
    if not isinstance(url, str):
        return f"{label}: must be text, a URL starting with https://."
    if not url.strip():
        return f"{label}: enter a URL starting with https://."
    if len(url) > MAX_URL_CHARS:
        return f"{label}: is {len(url):,} characters long; the limit is {MAX_URL_CHARS:,}. Use a shorter link."
    if any(unicodedata.category(ch) == "Cc" for ch in url):
        return f"{label}: remove the control characters."
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        # The first thing to fix when it is not a link at all ("not a url", a file path): say so, once.
        if not scheme or not scheme.isascii() or not scheme.replace("+", "").replace("-", "").isalnum():
            return f"{label}: must start with http:// or https:// (paste the full link, like " \
                   "https://example.com/cat.png)."
        return f"{label}: must start with http:// or https:// (got '{scheme}:')."
    if any(ch.isspace() for ch in url):
        return f"{label}: remove the spaces (write a space as %20)."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{label}: is not a valid URL; use a full link like https://example.com/cat.png."
    del port  # parsed only to reject malformed ports
    if not parts.hostname:
        return f"{label}: must be a full URL with a host, like https://example.com/cat.png."
    if parts.username is not None or parts.password is not None:
        return f"{label}: remove the user:password@ part; the image must be publicly reachable without it."
    return None


def _api_field(default: Any, *, omit_empty: bool = False) -> Any:
    """A request field that is part of the API body; ``omit_empty`` leaves it out of the body when empty."""
    return field(default=default, metadata={"api": True, "omit_empty": omit_empty})


@dataclass(frozen=True)
class VideoRequest:
    """The parameters of one create-video call, validated before anything is sent.

    The fields are the API body's fields, in the documented order: this class is the one place that lists them.
    ``to_payload`` and ``from_payload`` convert to and from the body, and the history stores the body as it was
    sent, so adding an optional API field is a change here (and a widget in the form).
    """

    prompt: str
    """What the video shows: subject, action, camera and style. Trimmed before sending."""
    model: str = _api_field(DEFAULT_MODEL)
    """Model name; the API currently accepts only ``starvideos_v3``."""
    duration: int = _api_field(DEFAULT_DURATION)
    """Length in whole seconds, 3 to 15."""
    ratio: str = _api_field(DEFAULT_RATIO)
    """Output aspect ratio, ``16:9`` or ``9:16``."""
    images: Sequence[str] = _api_field((), omit_empty=True)
    """Reference image URLs: none (text), one (image) or two (first and last frame)."""

    def __post_init__(self) -> None:
        # A list would make the frozen dataclass unhashable and mutable behind our back.
        if isinstance(self.images, list):
            object.__setattr__(self, "images", tuple(self.images))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> VideoRequest:
        """The request a stored or received API body describes; unknown keys are ignored, missing ones default."""
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in payload.items() if name in known}
        values.setdefault("prompt", "")
        return cls(**values)

    @property
    def mode(self) -> Mode:
        """``text``, ``image`` or ``first_last``, from the number of images."""
        count = len(self.images) if isinstance(self.images, (tuple, list)) else 0
        return "text" if count == 0 else "image" if count == 1 else "first_last"

    def problems(self, models: Sequence[str] = DEFAULT_MODELS) -> list[str]:
        """Every problem at once, each naming its field and the fix; empty when the request is valid."""
        found: list[str] = []
        found += _prompt_problems(self.prompt)
        if self.model not in models:
            found.append(f"Model: choose {' or '.join(models)} (got {_shown(self.model)}).")
        found += _duration_problems(self.duration)
        if self.ratio not in RATIOS:
            found.append(f"Aspect ratio: choose 16:9 or 9:16 (got {_shown(self.ratio)}).")
        found += _images_problems(self.images)
        return found

    def to_payload(self, models: Sequence[str] = DEFAULT_MODELS, *, validate: bool = True) -> dict[str, Any]:
        """The JSON body exactly as documented; raises ``ValidationError`` listing every problem.

        ``validate=False`` gives the draft body of an invalid request, for showing, never for sending.
        """
        problems = self.problems(models) if validate else []
        if problems:
            raise ValidationError(problems)
        payload: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "prompt":
                value = value.strip() if isinstance(value, str) else value
            if isinstance(value, tuple):
                value = list(value)
            if spec.metadata.get("omit_empty") and not value:
                continue
            payload[spec.name] = value
        return payload


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4,300 digits has no repr
        return "a number too long to show"
    return text if len(text) <= 40 else text[:37] + "..."


def _prompt_problems(prompt: object) -> list[str]:
    if not isinstance(prompt, str):
        return ["Prompt: must be text describing the video."]
    if not prompt.strip():
        return ["Prompt: describe the video (subject, action, camera, style); it cannot be empty."]
    found = []
    if len(prompt) > MAX_PROMPT_CHARS:
        found.append(f"Prompt: is {len(prompt):,} characters long; shorten it to {MAX_PROMPT_CHARS:,} or fewer.")
    bad = sorted({ch for ch in prompt if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL})
    if bad:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:3])
        found.append(f"Prompt: remove the control characters ({codes}); use plain text.")
    return found


def _duration_problems(duration: object) -> list[str]:
    rule = f"a whole number of seconds from {MIN_DURATION} to {MAX_DURATION}"
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        return [f"Duration: must be {rule} (got {_shown(duration)})."]
    if isinstance(duration, float):
        shown = "a non-number" if math.isnan(duration) else f"{duration:g}"
        return [f"Duration: must be {rule} (got {shown})."]
    if not MIN_DURATION <= duration <= MAX_DURATION:
        return [f"Duration: must be between {MIN_DURATION} and {MAX_DURATION} seconds (got {_shown(duration)})."]
    return []


def _images_problems(images: object) -> list[str]:
    if isinstance(images, str) or not isinstance(images, (tuple, list)):
        return ["Images: must be a list of image URLs."]
    found = []
    if len(images) > MAX_IMAGES:
        found.append(f"Images: use at most {MAX_IMAGES} (first and last frame); remove {len(images) - MAX_IMAGES}.")
    for label, url in zip(image_field_labels(len(images)), images, strict=True):
        problem = url_problem(label, url)
        if problem:
            found.append(problem)
    return found


@dataclass(frozen=True)
class VideoTask:
    """A task as the API last described it."""

    id: str
    """The task id the API assigned; save it, it is the only handle on paid work."""
    status: TaskStatus
    """Where the task is; ``UNKNOWN`` for statuses we do not recognise."""
    created: int | None = None
    """Creation time the API reported, seconds since the epoch."""
    model: str | None = None
    """Model the API says it used."""
    error: str | None = None
    """Why the task failed, when it did."""
    video_url: str | None = None
    """The finished video (always an http(s) URL), once completed."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The answer exactly as received, for debugging."""
