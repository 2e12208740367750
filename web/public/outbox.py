"""The local outbox page of the embedded demo: the notices as their recipients would read them."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from notifications.quiet_hours import sms_held_until
from tracker.clock import utc_now
from tracker.deadlines.display import written_soon
from tracker.models import Notice
from web.core.clients import from_loopback
from web.core.database import current_database

outbox = Blueprint("outbox", __name__)


@outbox.get("/outbox")
def show() -> str:
    """The latest notices delivered to the local outbox (only to this machine, only locally)."""
    settings = current_app.config["SETTINGS"]
    # Receipts carry lookup codes: this page exists only while nothing is really sent, and only
    # for the person at this machine.
    sending = settings.sms_provider or settings.smtp_url or settings.line_enabled
    if sending or not from_loopback():
        abort(404)
    database = current_database()
    now = utc_now()
    with database.transaction() as session:
        notices = session.scalars(select(Notice).order_by(Notice.id.desc()).limit(200)).all()
    # An SMS that waits out the night says so, and until when (in both of the page's languages).
    held = {}
    for notice in notices:
        until = sms_held_until(
            notice.channel, notice.status, notice.not_before, now, settings.sms_quiet_hours
        )
        if until is not None:
            held[notice.id] = (written_soon(until, now, "zh-TW"), written_soon(until, now, "en"))
    return render_template("outbox.html", notices=notices, held=held)
