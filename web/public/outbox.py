"""The local outbox page of the embedded demo: the notices as their recipients would read them."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from tracker.models import Notice
from web.core.database import current_database

outbox = Blueprint("outbox", __name__)

_LOOPBACK = {"127.0.0.1", "::1"}


@outbox.get("/outbox")
def show() -> str:
    """The latest notices delivered to the local outbox (only to this machine, only locally)."""
    settings = current_app.config["SETTINGS"]
    # Receipts carry lookup codes: this page exists only while nothing is really sent, and only
    # for the person at this machine.
    sending = settings.sms_provider or settings.smtp_url or settings.line_enabled
    if sending or request.remote_addr not in _LOOPBACK:
        abort(404)
    database = current_database()
    with database.transaction() as session:
        notices = session.scalars(select(Notice).order_by(Notice.id.desc()).limit(200)).all()
    return render_template("outbox.html", notices=notices)
