"""Shown in live mode without an API key: exactly what to put where."""

from __future__ import annotations

import streamlit as st

from components.router import ensure_router

ensure_router()

st.title("Set up the live API")
st.write("`STARVIDEOS_MODE` is `live`, but no API key is configured. Put your key in **one** of these places, "
         "then restart the app:")
st.markdown("**1. A `.env` file** next to `app.py`:")
st.code("STARVIDEOS_API_KEY=your-key-here", language="bash")
st.markdown("**2. `.streamlit/secrets.toml`** (copy `.streamlit/secrets.toml.example`):")
st.code('STARVIDEOS_API_KEY = "your-key-here"', language="toml")
st.markdown("**3. The environment:**")
st.code("export STARVIDEOS_API_KEY=your-key-here", language="bash")
st.info("To try the app without a key, set `STARVIDEOS_MODE=sandbox` (or leave it at `auto`): tasks are then "
        "simulated locally and use no credits.", icon=":material/science:")
