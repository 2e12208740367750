"""Claiming due notices from the outbox, and putting back what a dead worker left claimed.

A claim is one UPDATE ... RETURNING over ``FOR UPDATE SKIP LOCKED`` rows (PostgreSQL): any
number of workers share the queue without taking a row twice, and the claim (status
``sending``, ``claimed_at``, one more attempt) is committed before anything is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from tracker.db import Database
from tracker.models import Notice
from tracker.notices.outbox import NO_SMS_PROVIDER, PENDING, SENDING

log = logging.getLogger(__name__)

# Rows left in "sending" longer than this were claimed by a worker that died: long enough that a
# slow but live send (a provider's timeout is 10 s) is never taken for a dead one.
STUCK_AFTER = timedelta(minutes=2)
# A claim older than this starts no more sends: the rest of its batch goes back to the queue. A
# batch can outlast STUCK_AFTER when the provider is slow, and a row that requeue_stuck hands
# to another worker must not still be sent by this one. A send that starts in time ends within
# its channel's timeout, well before STUCK_AFTER.
SEND_WITHIN = STUCK_AFTER / 2
# A previous attempt may have reached the provider: look before sending again.
MAYBE_SENT = "unknown"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notice this worker claimed: what it takes to send it, and the claim's own mark."""

    id: int
    kind: str
    channel: str
    language: str
    recipient: str | None
    payload: dict[str, Any]
    dedupe_key: str
    provider_status: str | None
    created_at: datetime
    not_before: datetime  # when it became due: the latency the metrics measure starts here
    claimed_at: datetime
    attempts: int

    @property
    def maybe_sent(self) -> bool:
        """An earlier attempt may have reached the provider (a timeout, a worker's death)."""
        return self.provider_status == MAYBE_SENT


def claim(database: Database, now: datetime, limit: int) -> list[Claimed]:
    """Mark up to ``limit`` due pending notices as ours ("sending") and commit that."""
    due = (
        select(Notice.id)
        .where(Notice.status == PENDING, Notice.not_before <= now)
        .order_by(Notice.not_before, Notice.id)
        .limit(limit)
    )
    if database.is_postgres:
        due = due.with_for_update(skip_locked=True)
    notices = Notice.__table__
    statement = (
        update(notices)
        .where(notices.c.id.in_(due.scalar_subquery()))
        .values(status=SENDING, claimed_at=now, attempts=notices.c.attempts + 1)
        .returning(*(notices.c[name] for name in Claimed.__slots__))
    )
    with database.transaction() as session:
        rows = session.execute(statement).all()
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def requeue_stuck(database: Database, now: datetime) -> int:
    """Put back rows a dead worker left in "sending" (the self-healing sweep)."""
    with database.transaction() as session:
        result = session.execute(
            update(Notice)
            .where(Notice.status == SENDING, Notice.claimed_at < now - STUCK_AFTER)
            .values(status=PENDING, not_before=now, provider_status=MAYBE_SENT)
        )
        count = result.rowcount or 0  # type: ignore[attr-defined]
    if count:
        log.warning("re-queued %d notices left in 'sending' by a stopped worker", count)
    return count


def release_waiting_sms(database: Database, now: datetime) -> int:
    """Make the SMS that waited for a provider due now (a provider is configured at last)."""
    with database.transaction() as session:
        result = session.execute(
            update(Notice)
            .where(
                Notice.status == PENDING,
                Notice.channel == "sms",
                Notice.error == NO_SMS_PROVIDER,
                Notice.not_before > now,
            )
            .values(not_before=now)
        )
        count = result.rowcount or 0  # type: ignore[attr-defined]
    if count:
        log.info("%d SMS notices that waited for a provider are due now", count)
    return count


def claim_is_ours(notice: Claimed) -> tuple[Any, ...]:
    """The row is still in the state our claim left it (a re-queue and re-claim change it)."""
    return (
        Notice.id == notice.id,
        Notice.status == SENDING,
        Notice.claimed_at == notice.claimed_at,
        Notice.attempts == notice.attempts,
    )
