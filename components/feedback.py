"""Plain-language messages for problems and errors: what happened and what to do next, never a traceback."""

from __future__ import annotations

import streamlit as st

from starvideos import StarVideosError

from .text import md_escape

_TITLES = {
    "AuthenticationError": "The API key was refused.",
    "RateLimitError": "Too many requests right now.",
    "ServerError": "The StarVideos service had a problem.",
    "BadRequestError": "The API rejected the request.",
    "NotFoundError": "Not found.",
    "ConflictError": "The API reported a conflict.",
    "APIConnectionError": "Could not reach the StarVideos API.",
    "OutcomeUnknownError": "No answer came back: the task may exist.",
    "InvalidResponseError": "The API answered in an unexpected format.",
}


def show_problems(problems: list[str]) -> None:
    """Validation problems, one per line; nothing was sent."""
    lines = "\n".join(f"- {md_escape(p)}" for p in problems)
    st.error(f"**Fix these and try again (nothing was sent):**\n\n{lines}", icon=":material/edit:")


def show_error(error: StarVideosError) -> None:
    """An API or client error with its next step."""
    title = _TITLES.get(type(error).__name__, "Something went wrong.")
    body = f"**{title}** {md_escape(error.message)}\n\n{md_escape(error.hint)}"
    if type(error).__name__ == "OutcomeUnknownError":
        st.warning(body, icon=":material/help:")
    else:
        st.error(body, icon=":material/error:")
