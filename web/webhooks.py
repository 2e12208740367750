"""Callbacks from providers. CSRF-exempt by design: the provider's signature is the check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from notifications.twilio_callbacks import record_status, signature_is_valid
from tracker.clock import utc_now
from web.core.database import current_database

webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@webhooks.post("/twilio/status")
def twilio_status() -> tuple[str, int]:
    """Record a delivery status Twilio reports for one of our messages."""
    settings = current_app.config["SETTINGS"]
    if not settings.twilio_auth_token:
        abort(404)
    signature = request.headers.get("X-Twilio-Signature")
    if not signature_is_valid(settings.twilio_auth_token, request.url, request.form, signature):
        abort(403)
    sid, status = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    if not sid or not status:
        abort(400)
    database = current_database()
    with database.transaction() as session:
        record_status(session, sid, status, request.form.get("ErrorCode"), utc_now())
    # 204 whether or not the message is ours: nothing to learn for a prober, nothing to retry.
    return "", 204
