"""Variants on Create: the grid's controls in place of the single duration and ratio, and "Queue all" in place of
"Create video" (one set of controls for what gets made, never two: B16)."""

from __future__ import annotations

import streamlit as st

from starvideos.models import MAX_DURATION, MIN_DURATION, RATIOS, VideoRequest
from starvideos.variants import VariantGrid

from .queueing import Plan, queue_all
from .runtime import Backend

MAX_TAKES = 8
DURATION_CHOICES = list(range(MIN_DURATION, MAX_DURATION + 1))
TAKE_CHOICES = list(range(1, MAX_TAKES + 1))
VARIANTS_HELP = "Several ratios, durations and takes of this prompt at once, queued together at the team's pace."


def variants_toggle() -> bool:
    """"Variants" on turns the form's single duration and ratio into a grid, and "Create video" into "Queue all"."""
    return st.toggle("Variants", key="variants_on", help=VARIANTS_HELP)


def grid_controls(ratio: str, duration: int) -> VariantGrid:
    """Drawn in place of the single Duration and Aspect ratio: one set of controls for what gets made, never two."""
    # Keyless: the grid starts from the form's ratio and duration, and a keyed widget's value would be presented
    # again for every text field and select box on each rerun (B16).
    ratios = st.pills("Ratios", RATIOS, selection_mode="multi", default=[ratio] if ratio in RATIOS else [])
    durations = st.pills("Durations (seconds)", DURATION_CHOICES, selection_mode="multi",
                         default=[duration] if duration in DURATION_CHOICES else [])
    takes = st.segmented_control("Takes", TAKE_CHOICES, default=1, help=f"Takes of each setting (at most {MAX_TAKES}).")
    return VariantGrid(tuple(ratios), tuple(durations), int(takes or 1))


def queue_variants_area(backend: Backend, request: VideoRequest, grid: VariantGrid) -> None:
    """The grid's count and cost against what is left, then "Queue all" (in place of "Create video"): one batch
    however often it is pressed."""
    queue_all(backend, Plan("variants", grid.requests(request), "variants", "Queue all",
                            problems=request.problems(backend.settings.models)))
