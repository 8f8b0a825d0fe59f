"""StarVideos Studio: the router. Page config, settings, the sign-in or password gate, navigation, sidebar.

The navigation is always declared, whatever happens: a configuration problem or the gate is one page standing in
for every URL (so nothing else, not even the page list, renders), and the app's pages appear once the visitor is
in. A share link's page is public: it brings its own proof.
"""

from __future__ import annotations

import streamlit as st

from components import gate, registry, runtime
from components.navigation import FAVICON, app_pages, by_section, stand_in
from components.router import routed
from components.sidebar import app_sidebar
from starvideos.errors import SettingsError

st.set_page_config(page_title="StarVideos Studio", page_icon=FAVICON, layout="wide")


try:
    settings = runtime.settings()
except SettingsError as exc:
    problem = exc

    def configuration_problem() -> None:
        st.error(f"**{problem.title}** {problem.message}\n\n{problem.hint}", icon=":material/settings:")

    st.navigation(stand_in(configuration_problem, registry.APP_PAGES), position="hidden").run()
    st.stop()

specs = registry.SETUP_PAGES if settings.effective_mode == "setup" else registry.APP_PAGES
if settings.effective_mode != "setup":
    runtime.backend()  # starts the background work (lookups, copies) with the process's first visit, gate or not
if gate.allowed(settings):
    runtime.session_id()
    page = st.navigation(by_section(app_pages(specs), specs), position="sidebar")
    app_sidebar(settings)
else:
    page = st.navigation(stand_in(gate.gate_page(settings), specs) + app_pages(specs, public_only=True),
                         position="hidden")
with routed():
    page.run()
