"""Delivery reports from a gateway, applied to a notice: idempotent, never undoing a final state.

Each gateway's callback module (twilio_callbacks, mitake_callbacks) checks its request and reads
its own statuses; this applies the outcome. A report for a message we do not know changes
nothing; a report after the final one (a retry, one late out of order) changes nothing; a final
failure falls back to the next channel (notifications.fallback).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.fallback import fall_back
from notifications.metrics import DELIVERY_REPORTS
from tracker.models import Notice
from tracker.notices.outbox import DELIVERED, FAILED, FINAL_STATUSES


class Outcome(Enum):
    """What a report says of a message: on its way (with how far), delivered, or failed."""

    PROGRESS = "progress"
    DELIVERED = "delivered"
    FAILED = "failed"


def apply_report(
    session: Session,
    provider_id: str,
    outcome: Outcome,
    *,
    provider: str,
    provider_status: str,
    rank: int = 0,
    ranks: dict[str, int] | None = None,
    error: str | None = None,
    now: datetime,
) -> bool:
    """Apply one report; returns False when there is no such message (nothing changed).

    ``rank`` orders progress reports (``ranks`` gives the rank of the status recorded so far): a
    late "handed to the carrier" never overwrites "sent".
    """
    DELIVERY_REPORTS.labels(provider, outcome.value).inc()
    notice = session.scalar(
        select(Notice).where(Notice.provider_id == provider_id).with_for_update()
    )
    if notice is None:
        return False
    if notice.status in FINAL_STATUSES:
        return True  # a retried or late report: the final word has been said
    if outcome is Outcome.DELIVERED:
        notice.status, notice.provider_status = DELIVERED, provider_status
    elif outcome is Outcome.FAILED:
        notice.status, notice.provider_status, notice.error = FAILED, provider_status, error
        fall_back(session, notice, now)
    elif rank >= (ranks or {}).get(notice.provider_status or "", -1):
        # Only an accepted message has a provider id: its status is "sent" already.
        notice.provider_status = provider_status
    return True
