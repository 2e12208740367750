"""Open311 Service Discovery (``/open311/discovery.xml`` and ``.json``), as its spec asks.

``changeset`` is when the services last changed (the newest SOP version loaded): a client that
caches the service list refreshes it when this moves. One endpoint, this server's GeoReport v2,
in production, in both formats.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker.clock import utc_now
from tracker.deadlines.timezones import iso_taipei
from tracker.models import ServiceVersion
from web.core.database import current_database
from web.core.extensions import limiter
from web.open311.blueprint import PREFIX, read_limit, reader_language
from web.open311.formats import document_response

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = ["text/xml", "application/json"]

discovery = Blueprint("open311_discovery", __name__, url_prefix="/open311")


@discovery.get("/discovery.<any(xml, json):fmt>")
@limiter.limit(read_limit)
def document(fmt: str) -> Response:
    """Where this server's GeoReport v2 is, in which formats, and whom to ask for a key."""
    settings = current_app.config["SETTINGS"]
    with current_database().transaction() as session:
        changed = session.scalar(select(func.max(ServiceVersion.created_at))) or utc_now()
    changeset = iso_taipei(changed)
    base = settings.public_base_url
    with reader_language():
        found: dict[str, Any] = {
            "changeset": changeset,
            "contact": _("The office's administrator runs this service: %(url)s", url=f"{base}/"),
            "key_service": _(
                "API keys are issued by the office's administrator (with the open311:submit "
                "scope); reading needs no key."
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": f"{base}{PREFIX}",
                    "changeset": changeset,
                    "type": "production",
                    "formats": MEDIA_TYPES,
                }
            ],
        }
    return document_response(found, "discovery")
