"""Live parts: fragments on a timer that rerun the whole page when what they watch has changed."""

from __future__ import annotations

from streamlit.runtime.scriptrunner import get_script_run_ctx


def on_its_own_timer() -> bool:
    """True when this run is a fragment's own (its timer's, or a click inside it), not the whole page's. Only then
    may a live part that finds the page out of date rerun it: drawn inline in the page's run, which a click elsewhere
    on the page may have started, a rerun would lose that click (Streamlit resets buttons on a rerun), and the
    part's next timer run sees the change anyway."""
    ctx = get_script_run_ctx()
    return ctx is not None and bool(ctx.fragment_ids_this_run)
