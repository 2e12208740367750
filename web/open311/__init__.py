"""Open311 GeoReport v2 (``/open311/v2``): services and service requests in XML (the spec's
required format) and JSON, and the Service Discovery document (``/open311/discovery.xml``).
"""

from __future__ import annotations

from flask import Flask

# The route modules register their views on the blueprint when imported.
from web.open311 import create, views  # noqa: F401
from web.open311.blueprint import open311
from web.open311.discovery import discovery
from web.open311.errors import init_errors


def init_open311(app: Flask) -> None:
    """Register the API on ``app``: no CSRF (an API key, not cookies), spec-format errors.

    Call it after the app's error pages are registered.
    """
    from web.core.extensions import csrf

    csrf.exempt(open311)
    init_errors(app)
    app.register_blueprint(open311)
    app.register_blueprint(discovery)
