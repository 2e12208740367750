"""Twilio delivery-status callbacks: checked, idempotent, never undoing a final state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from notifications.delivery_reports import Outcome, apply_report

# Twilio's message statuses in the order they happen; a late "sent" never undoes "delivered".
_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3}
_FINAL = {
    "delivered": Outcome.DELIVERED,
    "undelivered": Outcome.FAILED,
    "failed": Outcome.FAILED,
    "canceled": Outcome.FAILED,
}


def signature_is_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Whether Twilio signed this request (X-Twilio-Signature over the URL and the form)."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def record_status(
    session: Session,
    message_sid: str,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Apply one callback; returns False when there is no such message (nothing changed)."""
    outcome = _FINAL.get(status, Outcome.PROGRESS)
    error = f"Twilio {status}" + (f" (error {error_code})" if error_code else "")
    return apply_report(
        session,
        message_sid,
        outcome,
        provider="twilio",
        provider_status=status,
        rank=_RANK.get(status, -1),
        ranks=_RANK,
        error=error if outcome is Outcome.FAILED else None,
        now=now,
    )
