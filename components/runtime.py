"""The process's shared resources for pages: the settings and the ``Services`` (client, sandbox, stores, workers),
each made once per server process and shared by every browser session (``st.cache_resource``).

The server's lifespan (``server/lifespan.py``) starts the services' background work when the server starts and
stops it on shutdown; in a process with no server (AppTest, the benchmarks) the first page that needs the data layer
builds it, workers included.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from starvideos.access import GuessThrottle
from starvideos.logs import configure_logging
from starvideos.services import Services
from starvideos.settings import Settings, load_settings

from .identity import current_user, session_id, signin_configured

# Pages and components ask runtime for who is here as well as for the services.
__all__ = ["APP_DIR", "Backend", "backend", "current_user", "session_id", "settings", "signin_configured"]

Backend = Services  # the pages' older name for the same thing

log = logging.getLogger("starvideos.app")
APP_DIR = Path(__file__).resolve().parents[1]


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Settings, read once per process: environment > .streamlit/secrets.toml > .env next to app.py > defaults."""
    secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    loaded = load_settings(secrets=secrets, dotenv_path=APP_DIR / ".env")
    configure_logging(loaded)
    return loaded


@st.cache_resource(show_spinner=False, on_release=Services.close)
def backend() -> Services:
    """The process's services. Its data layer and workers start with the server (or on first use without one)."""
    return Services.from_settings(settings())


@st.cache_resource(show_spinner=False)
def guess_throttle() -> GuessThrottle:
    """One per process: wrong passwords are slowed down across every session."""
    return GuessThrottle()


def reset() -> None:
    """Forget every cached resource, stopping what they started (for tests and benchmarks running the app
    in-process, where one test's sandbox and workers must not leak into the next)."""
    st.cache_resource.clear()
    st.cache_data.clear()
