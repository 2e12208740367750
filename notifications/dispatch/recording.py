"""Recording what became of each send: accepted, held, retried later, or failed with a fallback.

Every write checks that the claim is still ours (``claim_is_ours``): a row that a re-queue
handed to another worker meanwhile is left to that worker's claim. Errors were classified by the
channel before they get here (GOV.UK Notify style): transient ones retry with an exponential
backoff, permanent ones fail at once; either way a notice that cannot reach its applicant falls
back (notifications.fallback).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from notifications.channels.base import PermanentSendError
from notifications.dispatch.claiming import MAYBE_SENT, claim_is_ours
from notifications.dispatch.sending import NO_PROVIDER, Attempt, Held, Outcome
from notifications.fallback import fall_back
from notifications.metrics import DUE_TO_PROVIDER, OUTCOMES, PROVIDER_ERRORS
from notifications.render import Rendered
from tracker.db import Database
from tracker.models import Notice
from tracker.notices.outbox import DELIVERED, FAILED, NO_SMS_PROVIDER, PENDING, SENDING, SENT
from tracker.operations.heartbeats import record_credit

# Tries before a notice is given up (and falls back to email, or to a letter task for the clerk).
# With the backoff below, 12 tries span about four hours, as GOV.UK Notify retries an SMS for
# four: an overdue notice is worth waiting out a provider's outage of an afternoon.
MAX_ATTEMPTS = 12
FIRST_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, 2 min … capped at an hour: exponential, so an outage is not hammered."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass
class DispatchReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        """Count one notice's outcome."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def add(self, other: DispatchReport) -> None:
        """Add another run's counts to these."""
        self.claimed += other.claimed
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count


def record(
    database: Database, outcomes: list[Outcome], now: datetime, report: DispatchReport
) -> None:
    """Write a few outcomes in one transaction; rows no longer ours are left alone."""
    accepted: list[dict[str, Any]] = []
    credit: dict[str, int] = {}
    with database.transaction() as session:
        for outcome in outcomes:
            channel = outcome.notice.channel
            if isinstance(outcome, Held):
                said = _hold(session, outcome)
            elif outcome.result is not None:
                accepted.append(_accepted_row(outcome, now))
                said = "console" if channel == "console" else "sent"
                due = max(outcome.notice.not_before, outcome.notice.created_at)
                DUE_TO_PROVIDER.labels(channel).observe(max((now - due).total_seconds(), 0.0))
                if outcome.result.credit is not None:
                    credit[channel] = outcome.result.credit
            else:
                error = outcome.error
                kind = "permanent" if isinstance(error, PermanentSendError) else "transient"
                PROVIDER_ERRORS.labels(channel, kind).inc()
                said = _refused(session, outcome, now)
            report.count(said)
            OUTCOMES.labels(channel, said).inc()
        if accepted:
            # One statement for all; a row a re-queue took meanwhile matches nothing.
            session.execute(_RECORD_ACCEPTED, accepted)
        for channel, remaining in credit.items():
            record_credit(session, channel, remaining, now)


def _hold(session: Session, held: Held) -> str:
    """Back to pending until ``held.until``: waiting is not a failed try. An SMS with no
    provider says so on its row, where the console shows it."""
    reason = {"error": NO_SMS_PROVIDER} if held.outcome == NO_PROVIDER else {}
    session.execute(
        update(Notice)
        .where(*claim_is_ours(held.notice))
        .values(status=PENDING, not_before=held.until, attempts=Notice.attempts - 1, **reason)
    )
    return held.outcome


def _refused(session: Session, attempt: Attempt, now: datetime) -> str:
    """A transient error: retry later (or give up after the last try); permanent: fail."""
    notice = session.scalar(select(Notice).where(*claim_is_ours(attempt.notice)).with_for_update())
    if notice is None:
        return "skipped"  # re-queued meanwhile: the new claim decides
    error = attempt.error
    assert error is not None
    if isinstance(error, PermanentSendError):
        notice.status, notice.error = FAILED, f"{error.code}: {error.reason}"
        notice.rendered = _as_dict(attempt.rendered) or None
        fall_back(session, notice, now, refused=True)
        return "failed"
    notice.provider_status = MAYBE_SENT if attempt.maybe_sent else None
    if notice.attempts >= MAX_ATTEMPTS:
        notice.status = FAILED
        notice.error = f"gave up after {notice.attempts} tries: {error.reason}"
        fall_back(session, notice, now)
        return "gave_up"
    notice.status = PENDING
    notice.not_before = now + backoff(notice.attempts)
    notice.error = error.reason
    return "retry"


_table = Notice.__table__
# Many accepted notices in one executemany, each only if the claim is still ours.
_RECORD_ACCEPTED = (
    update(_table)
    .where(
        _table.c.id == bindparam("notice_id"),
        _table.c.status == SENDING,
        _table.c.claimed_at == bindparam("claim_at"),
        _table.c.attempts == bindparam("claim_attempts"),
    )
    .values(
        status=bindparam("new_status"),
        provider_id=bindparam("new_provider_id"),
        provider_status=bindparam("new_provider_status"),
        sent_at=bindparam("new_sent_at"),
        rendered=bindparam("new_rendered"),
        error=None,
    )
)


def _accepted_row(attempt: Attempt, now: datetime) -> dict[str, Any]:
    assert attempt.result is not None
    result, notice = attempt.result, attempt.notice
    # Console notices, and the local outbox, have nobody to confirm delivery later: delivered now.
    final = result.status in ("delivered", "outbox", "console")
    return {
        "notice_id": notice.id,
        "claim_at": notice.claimed_at,
        "claim_attempts": notice.attempts,
        "new_status": DELIVERED if final else SENT,
        "new_provider_id": result.provider_id or None,
        "new_provider_status": result.status if result.status != "console" else None,
        "new_sent_at": now,
        "new_rendered": _as_dict(attempt.rendered),
    }


def _as_dict(rendered: Rendered) -> dict[str, Any]:
    return {key: value for key, value in asdict(rendered).items() if value is not None}
