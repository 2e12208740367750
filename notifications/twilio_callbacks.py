"""Twilio delivery-status callbacks: checked, idempotent, never undoing a final state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from notifications.fallback import fall_back
from tracker.models import Notice
from tracker.notices.outbox import DELIVERED, FAILED, FINAL_STATUSES, SENT

# Twilio's message statuses in the order they happen; a late "sent" never undoes "delivered".
_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3}
_FINAL = {"delivered": DELIVERED, "undelivered": FAILED, "failed": FAILED, "canceled": FAILED}


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
    notice = session.scalar(
        select(Notice).where(Notice.provider_id == message_sid).with_for_update()
    )
    if notice is None:
        return False
    if notice.status in FINAL_STATUSES:
        return True  # a retried or late callback: the final word has been said
    if status in _FINAL:
        notice.status = _FINAL[status]
        notice.provider_status = status
        if notice.status == FAILED:
            notice.error = f"Twilio {status}" + (f" (error {error_code})" if error_code else "")
            fall_back(session, notice, now)
    elif _RANK.get(status, -1) >= _RANK.get(notice.provider_status or "", -1):
        notice.provider_status = status
        notice.status = SENT if status == "sent" else notice.status
    return True
