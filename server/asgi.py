"""The app's own routes, gathered for ``st.App`` in ``app.py``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import auth, exports, health, media, metrics
from .lifespan import lifespan

ROUTES: list[BaseRoute] = [*health.ROUTES, *media.ROUTES, *auth.ROUTES, *exports.ROUTES,
                             *metrics.ROUTES]

__all__ = ["ROUTES", "lifespan"]
