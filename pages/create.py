"""Create page: the form on the left, previews and the exact request on the right, and below the form what was
created here, followed to its end."""

from __future__ import annotations

import streamlit as st

from components import runtime
from components.create_form import FORM_DEFAULTS, render_inputs, submit_area
from components.created import board_dialogs, created_strip
from components.drafts import keep_draft
from components.image_preview import reference_previews
from components.presets_ui import presets_bar
from components.request_panel import request_panel
from components.router import ensure_router
from components.sidebar import mode_badge
from components.variants_ui import queue_variants_area
from starvideos.variants import first_of_grid

ensure_router()

backend = runtime.backend()
st.title("Create a video")
mode_badge(backend.settings)  # on a phone the sidebar is folded away; what a click costs must still show

form_col, side_col = st.columns([3, 2], gap="large")
with form_col:
    presets_bar(backend)
    request, grid = render_inputs(backend, craft=True)
    if grid is None:
        submit_area(backend, request)
    else:
        queue_variants_area(backend, request, grid)
    created_strip(backend, request if grid is None else None)
    board_dialogs(backend)
with side_col:
    reference_previews(backend, request)
    sender = "**Create video** will send" if grid is None else "**Queue all** will send for the grid's first task"
    request_panel(first_of_grid(request, grid), base_url=backend.client.base_url, models=backend.settings.models,
                  valid=not request.problems(backend.settings.models), sender=sender)
keep_draft({key: st.session_state.get(key) for key in FORM_DEFAULTS})
