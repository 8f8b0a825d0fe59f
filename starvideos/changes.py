"""What changed between two takes: a word diff of their prompts, the settings that differ, and what each cost in
money and waiting (Compare and a retake thread show these)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .history import HistoryRecord
from .models import SPENT, TaskStatus
from .pricing import estimate_cost, money

SAME, REMOVED, ADDED = "=", "-", "+"
_WORD = re.compile(r"\S+")
_MODES = {"text": "Text to video", "image": "Image to video", "first_last": "First and last frame"}


@dataclass(frozen=True)
class Change:
    """One setting that differs: its name and the two values, as text."""

    name: str
    before: str
    after: str


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The words of ``after`` against ``before``: runs of ``(op, words)`` with op ``=`` (kept), ``-`` (removed) or
    ``+`` (added), in reading order; a replaced run is its removal then its addition. Spacing is not a change."""
    old, new = _WORD.findall(before), _WORD.findall(after)
    runs: list[tuple[str, list[str]]] = []

    def add(op: str, words: list[str]) -> None:
        if not words:
            return
        if runs and runs[-1][0] == op:
            runs[-1][1].extend(words)
        else:
            runs.append((op, list(words)))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            add(SAME, old[i1:i2])
        else:
            add(REMOVED, old[i1:i2])
            add(ADDED, new[j1:j2])
    return [(op, " ".join(words)) for op, words in runs]


def prompt_changed(before: str, after: str) -> bool:
    return _WORD.findall(before) != _WORD.findall(after)


def setting_changes(before: HistoryRecord, after: HistoryRecord) -> list[Change]:
    """The settings (not the prompt) that differ between two takes, in the form's order."""
    def values(record: HistoryRecord) -> dict[str, str]:
        images = record.images
        return {"Mode": _MODES.get(record.mode, record.mode), "Model": record.model,
                "Duration": f"{record.duration} s", "Aspect ratio": record.ratio,
                "Reference images": f"{len(images)} picture{'s' if len(images) != 1 else ''}" if images else "none"}

    old, new = values(before), values(after)
    changes = [Change(name, old[name], new[name]) for name in old if old[name] != new[name]]
    if before.images and after.images and before.images != after.images and old["Reference images"] == \
            new["Reference images"]:
        changes.append(Change("Reference images", "other pictures", "new pictures"))
    return changes


def generation_seconds(record: HistoryRecord) -> float | None:
    """How long the take took to make, from sending to finished; None while it is not finished."""
    if record.finished_at is None:
        return None
    return max(0.0, record.finished_at - record.attempted_at)


def take_cost(record: HistoryRecord, price_per_second: float | None) -> float | None:
    """What the take cost in the app's estimate terms, as Usage counts it: its seconds × STARVIDEOS_PRICE_PER_SECOND
    once a task was (or may have been) created, nothing for an attempt refused or cancelled before that; None when
    no price is set."""
    if price_per_second is None:
        return None
    if record.status not in SPENT:
        return 0.0
    return estimate_cost([record.request], price_per_second)


def time_taken(record: HistoryRecord) -> str:
    """How long the take took, from sending to finished, in words; or why there is no such time."""
    seconds = generation_seconds(record)
    if record.status == TaskStatus.COMPLETED and seconds is not None:
        return span(seconds)
    if record.status == TaskStatus.FAILED and seconds is not None:
        return f"failed after {span(seconds)}"
    if record.status in (TaskStatus.REJECTED, TaskStatus.CANCELLED):
        return "not made"
    if record.status == TaskStatus.OUTCOME_UNKNOWN:
        return "outcome unknown"
    return "still being made"


def span(seconds: float) -> str:
    """``42 s``, or ``2 min 5 s`` from 90 s on."""
    whole = round(seconds)
    return f"{whole} s" if whole < 90 else f"{whole // 60} min {whole % 60} s"


def cost_and_time(before: HistoryRecord, after: HistoryRecord, *, price_per_second: float | None,
                  currency: str) -> list[Change]:
    """What each take cost (when a price is set) and how long each took, whether or not they differ."""
    found = []
    if price_per_second is not None:
        found.append(Change("Cost", money(take_cost(before, price_per_second), currency),
                            money(take_cost(after, price_per_second), currency)))
    found.append(Change("Took", time_taken(before), time_taken(after)))
    return found
