"""The JSON API for other systems (``/api/v1``), described by ``/api/v1/openapi.json``."""

from __future__ import annotations

from flask import Flask

# The route modules register their operations on the blueprint when imported.
from web.api import actions, calendar, cases, openapi, services  # noqa: F401
from web.api.blueprint import DEFAULT_RATE_LIMIT, api
from web.api.errors import init_errors


def init_api(app: Flask) -> None:
    """Register the API on ``app``: JSON errors, no CSRF (keys, not cookies), the routes.

    Call it after the app's error pages are registered (see ``init_errors``).
    """
    from web.core.extensions import csrf

    csrf.exempt(api)
    app.config.setdefault("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    init_errors(app)
    app.register_blueprint(api)
