"""The app's vocabulary in one place: how modes and task states are named, coloured and marked everywhere."""

from __future__ import annotations

from starvideos.models import MODES

# mode: (form label, short name for tables and cards)
MODE_NAMES: dict[str, tuple[str, str]] = {
    "text": ("Text to video", "Text"),
    "image": ("Image to video", "Image"),
    "first_last": ("First & last frame", "First & last"),
}
assert tuple(MODE_NAMES) == MODES
MODE_BY_LABEL = {label: mode for mode, (label, _short) in MODE_NAMES.items()}

# state: (label, badge colour, icon, table marker)
STATES: dict[str, tuple[str, str, str, str]] = {
    "pending": ("Waiting to send", "gray", ":material/hourglass_empty:", "…"),
    "sending": ("Sending", "gray", ":material/upload:", "↑"),
    "rejected": ("Not created", "red", ":material/block:", "⊘"),
    "outcome_unknown": ("Outcome unknown", "orange", ":material/help:", "?"),
    "cancelled": ("Cancelled", "gray", ":material/cancel:", "–"),
    "queued": ("Queued", "gray", ":material/schedule:", "○"),
    "processing": ("Processing", "blue", ":material/autorenew:", "◐"),
    "completed": ("Completed", "green", ":material/check_circle:", "✓"),
    "failed": ("Failed", "red", ":material/error:", "✕"),
    "unknown": ("Unknown status", "orange", ":material/help:", "?"),
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
