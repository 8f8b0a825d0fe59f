"""Plain-language messages for problems and errors: what happened and what to do next, never a traceback."""

from __future__ import annotations

import streamlit as st

from starvideos.errors import OutcomeUnknownError, StarVideosError

from .text import md_escape


def show_problems(problems: list[str]) -> None:
    """Validation problems, one per line; nothing was sent."""
    lines = "\n".join(f"- {md_escape(p)}" for p in problems)
    st.error(f"**Fix these and try again (nothing was sent):**\n\n{lines}", icon=":material/edit:")


def show_error(error: StarVideosError) -> None:
    """An error with its title, details and next step (each class carries its own title and hint). Titles are
    the app's own words; the message and hint may quote the API, so they are escaped."""
    body = f"**{error.title}** {md_escape(error.message)}\n\n{md_escape(error.hint)}"
    if isinstance(error, OutcomeUnknownError):
        st.warning(body, icon=":material/help:")
    else:
        st.error(body, icon=":material/error:")


def stop_unless_database(problem: StarVideosError | None) -> None:
    """A page that needs the database says plainly why it cannot show anything, and stops there."""
    if problem is not None:
        show_error(problem)
        st.stop()
