"""StarVideos Studio: the router (page config, settings, the sign-in or password gate, navigation, sidebar) and, when
imported by a server, the ASGI app serving it with the app's own routes.

``streamlit run app.py`` finds ``app`` below and serves it (as ``uvicorn app:app`` does); each browser session then
runs this file as a script (``__main__``), which routes. The navigation is always declared, whatever happens: a
configuration problem or the gate is one page standing in for every URL (so nothing else, not even the page list,
renders), and the app's pages appear once the visitor is in. A share link's page is public: it brings its own proof.
"""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    from components import gate, identity, registry, runtime
    from components.navigation import FAVICON, app_pages, by_section, stand_in
    from components.router import routed
    from components.sidebar import app_sidebar
    from components.toasts import finished_toasts
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
    if gate.allowed(settings):
        identity.session_id()
        page = st.navigation(by_section(app_pages(specs), specs), position="sidebar")
        app_sidebar(settings)
        gate.keep_signed_in()
        if settings.effective_mode != "setup":
            with st.sidebar:
                finished_toasts(runtime.backend())
    else:
        page = st.navigation(stand_in(gate.gate_page(settings), specs) + app_pages(specs, public_only=True),
                             position="hidden")
    with routed():
        page.run()
    identity.post_visitor_cookie()
else:
    from server.asgi import ROUTES, lifespan

    app = st.App(__file__, routes=ROUTES, lifespan=lifespan)
