"""The app's vocabulary in one place: how modes and task states are named, coloured and marked everywhere."""

from __future__ import annotations

from typing import Literal

from starvideos.models import MODES, TaskStatus

BadgeColor = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "grey", "primary"]

# mode: (form label, short name for tables and cards)
MODE_NAMES: dict[str, tuple[str, str]] = {
    "text": ("Text to video", "Text"),
    "image": ("Image to video", "Image"),
    "first_last": ("First & last frame", "First & last"),
}
assert tuple(MODE_NAMES) == MODES
MODE_BY_LABEL = {label: mode for mode, (label, _short) in MODE_NAMES.items()}

# state: (label, badge colour, icon, table marker); every TaskStatus has one (a test checks). Keyed by str, which a
# TaskStatus is, so a state read from the database looks up without a conversion.
STATES: dict[str, tuple[str, BadgeColor, str, str]] = {
    TaskStatus.PENDING: ("Waiting to send", "gray", ":material/hourglass_empty:", "…"),
    TaskStatus.SENDING: ("Sending", "gray", ":material/upload:", "↑"),
    TaskStatus.REJECTED: ("Not created", "red", ":material/block:", "⊘"),
    TaskStatus.OUTCOME_UNKNOWN: ("Outcome unknown", "orange", ":material/help:", "?"),
    TaskStatus.CANCELLED: ("Cancelled", "gray", ":material/cancel:", "–"),
    TaskStatus.QUEUED: ("Queued", "gray", ":material/schedule:", "○"),
    TaskStatus.PROCESSING: ("Processing", "blue", ":material/autorenew:", "◐"),
    TaskStatus.COMPLETED: ("Completed", "green", ":material/check_circle:", "✓"),
    TaskStatus.FAILED: ("Failed", "red", ":material/error:", "✕"),
    TaskStatus.UNKNOWN: ("Unknown status", "orange", ":material/help:", "?"),
}


def mode_label(mode: str) -> str:
    return MODE_NAMES.get(mode, (mode, mode))[0]


def mode_short(mode: str) -> str:
    return MODE_NAMES.get(mode, (mode, mode))[1]


def state_label(state: str) -> str:
    return STATES.get(state, (state,))[0]


def state_marker(state: str) -> str:
    """The label with a one-character marker, for tables (which cannot hold badges)."""
    entry = STATES.get(state)
    return f"{entry[3]} {entry[0]}" if entry else state
