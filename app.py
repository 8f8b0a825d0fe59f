"""StarVideos Studio: the router. Page config, settings, the sign-in or password gate, navigation, sidebar.

The navigation is always declared, whatever happens: a configuration problem or the gate is one page standing in
for every URL (so nothing else, not even the page list, renders), and the app's pages appear once the visitor is
in. A share link's page is public: it brings its own proof.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import gate, registry, runtime
from components.router import routed
from components.sidebar import app_sidebar
from starvideos.errors import SettingsError

# A local icon: a ":material/…" page icon makes every browser fetch the favicon from a Google font CDN.
ICON = Path(__file__).parent / "components" / "assets" / "favicon.png"
st.set_page_config(page_title="StarVideos Studio", page_icon=str(ICON), layout="wide")


def stand_in(render: object, specs: tuple[registry.PageSpec, ...]) -> list[st.Page]:
    """One page (a function) standing in for every app URL, keeping each URL so a deep link survives the gate."""
    return [st.Page(render, title=spec.title, url_path=None if spec.default else spec.url_path,  # type: ignore[arg-type]
                    default=spec.default) for spec in specs if not spec.public]


def real(specs: tuple[registry.PageSpec, ...], *, public_only: bool = False) -> list[st.Page]:
    return [st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=None if spec.default else spec.url_path,
                    default=spec.default, visibility="hidden" if spec.hidden else "visible")
            for spec in specs if spec.public or not public_only]


def sections(pages: list[st.Page], specs: tuple[registry.PageSpec, ...]) -> dict[str, list[st.Page]]:
    grouped: dict[str, list[st.Page]] = {}
    for page, spec in zip(pages, specs, strict=True):
        grouped.setdefault(spec.section, []).append(page)
    return grouped


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
    page = st.navigation(sections(real(specs), specs), position="sidebar")
    app_sidebar(settings)
else:
    page = st.navigation(stand_in(gate.gate_page(settings), specs) + real(specs, public_only=True),
                         position="hidden")
with routed():
    page.run()
