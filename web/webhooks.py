"""Callbacks from providers. CSRF-exempt by design: the provider's signature is the check."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from config.gateways import mitake_callback_secret
from notifications.line_events import InvalidSignature, read_events
from notifications.mitake_callbacks import acknowledgement, record_report
from notifications.twilio_callbacks import record_status, signature_is_valid
from tracker.cases.line_binding import end_bindings, on_text
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


@webhooks.route("/mitake/<secret>", methods=["GET", "POST"])
def mitake_report(secret: str) -> Response:
    """Record a delivery report 三竹 Mitake sends for one of our messages (GET, or a form)."""
    settings = current_app.config["SETTINGS"]
    expected = mitake_callback_secret(settings.secret_key)
    if settings.sms_provider != "mitake" or not hmac.compare_digest(secret, expected):
        abort(404)
    with current_database().transaction() as session:
        msgid = record_report(session, request.values, utc_now())
    if msgid is None:
        abort(400)
    # Mitake calls again until it reads this answer, known message or not.
    return Response(acknowledgement(msgid), content_type="text/plain; charset=utf-8")


@webhooks.post("/line")
def line_events() -> tuple[str, int]:
    """Act on the chat events LINE sends (a code, "confirm", "stop", an unfollow)."""
    settings = current_app.config["SETTINGS"]
    if not settings.line_enabled:
        abort(404)
    body = request.get_data(as_text=True)
    try:
        events = read_events(
            settings.line_channel_secret, body, request.headers.get("X-Line-Signature")
        )
    except InvalidSignature:
        abort(403)
    except ValueError:
        abort(400)  # signed, but not the webhook's JSON
    now = utc_now()
    with current_database().transaction() as session:
        for event in events:
            if event.kind == "text":
                on_text(session, event.user_id, event.text, event_id=event.event_id, now=now)
            elif event.kind == "unfollow":
                end_bindings(session, event.user_id, reason="unfollowed", now=now)
    # 200 for every signed request, events or none (LINE's "verify" sends none).
    return "", 200
