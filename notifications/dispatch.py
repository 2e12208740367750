"""Sending what the outbox holds (DESIGN §4.6), GOV.UK Notify style.

Every step is a status change in the database, so a task that runs twice does nothing twice:

    pending ──claim──▶ sending ──provider accepted──▶ sent ──callback──▶ delivered | undelivered
       ▲                  │
       └──retry later─────┤ transient error (timeout, 5xx, 429): back to pending with a backoff
                          └─ permanent error, or too many tries: failed, and a fallback is written

Claiming is one UPDATE ... RETURNING over ``FOR UPDATE SKIP LOCKED`` rows (PostgreSQL), so any
number of workers share the queue without taking a row twice. The provider is called outside any
transaction. Rows left in "sending" by a crashed worker are re-queued by ``requeue_stuck`` after
``STUCK_AFTER`` — long enough that a slow but live send is never taken for a dead one.

The crash window. A worker that dies after the provider accepted a message but before our commit
of "sent" (milliseconds), or a request that timed out after the provider accepted it, leaves a
notice that may or may not have gone out. Such a notice is marked ``provider_status = "unknown"``,
and before it is sent again the SMS channel asks Twilio's message list whether that exact body
already went to that number since the notice was written; if so, it is recorded as sent instead.
What remains: email (SMTP has no way to ask), and an SMS whose lookup itself fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from config import Settings
from notifications.channels import Channels
from notifications.channels.base import PermanentSendError, SendResult, TransientSendError
from notifications.fallback import fall_back
from notifications.quiet_hours import quiet_until
from notifications.render import Rendered, render
from tracker.db import Database
from tracker.links import console_url, status_url, survey_url
from tracker.models import Notice
from tracker.notices import DELIVERED, FAILED, PENDING, SENDING, SENT

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)
STUCK_AFTER = timedelta(minutes=2)
# A previous attempt may have reached the provider: look before sending again.
MAYBE_SENT = "unknown"


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


def utc_now() -> datetime:
    """The real clock (tests pass their own)."""
    return datetime.now(UTC)


class Dispatcher:
    """Claims due notices and delivers them through the configured channels."""

    def __init__(
        self,
        database: Database,
        channels: Channels,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        threads: int = 8,
    ) -> None:
        self.db = database
        self.channels = channels
        self.settings = settings
        self.clock = clock
        self.threads = threads

    # -- claiming ---------------------------------------------------------------------------
    def claim(self, limit: int) -> list[int]:
        """Mark up to ``limit`` due pending notices as ours ("sending") and commit that."""
        now = self.clock()
        due = (
            select(Notice.id)
            .where(Notice.status == PENDING, Notice.not_before <= now)
            .order_by(Notice.not_before, Notice.id)
            .limit(limit)
        )
        if self.db.is_postgres:
            due = due.with_for_update(skip_locked=True)
        notices = Notice.__table__
        claim = (
            update(notices)
            .where(notices.c.id.in_(due.scalar_subquery()))
            .values(status=SENDING, claimed_at=now, attempts=notices.c.attempts + 1)
            .returning(notices.c.id)
        )
        with self.db.transaction() as session:
            return sorted(session.execute(claim).scalars())

    def requeue_stuck(self) -> int:
        """Put back rows a dead worker left in "sending" (the self-healing sweep)."""
        cutoff = self.clock() - STUCK_AFTER
        with self.db.transaction() as session:
            result = session.execute(
                update(Notice)
                .where(Notice.status == SENDING, Notice.claimed_at < cutoff)
                .values(status=PENDING, not_before=self.clock(), provider_status=MAYBE_SENT)
            )
            count = result.rowcount or 0  # type: ignore[attr-defined]
        if count:
            log.warning("re-queued %d notices left in 'sending' by a stopped worker", count)
        return count

    # -- delivering -------------------------------------------------------------------------
    def dispatch_once(self, batch: int = 200) -> DispatchReport:
        """Claim one batch and deliver it, several at a time."""
        report = DispatchReport()
        ids = self.claim(batch)
        report.claimed = len(ids)
        if not ids:
            return report
        with ThreadPoolExecutor(max_workers=min(self.threads, len(ids))) as pool:
            for outcome in pool.map(self.deliver, ids):
                report.count(outcome)
        return report

    def deliver(self, notice_id: int) -> str:
        """Deliver one claimed notice and record the outcome; returns what happened."""
        now = self.clock()
        with self.db.transaction() as session:
            notice = session.get(Notice, notice_id)
            if notice is None or notice.status != SENDING:
                return "skipped"  # handled elsewhere meanwhile (a re-queue and a slow worker)
            if notice.channel == "console":
                # Staff read it in the console, worded as the email to the department is.
                shown = render(notice.kind, "email", notice.language, self._values(notice))
                notice.status, notice.sent_at, notice.rendered = DELIVERED, now, _as_dict(shown)
                return "console"
            if notice.channel == "sms":
                held = quiet_until(now, self.settings.sms_quiet_hours)
                if held is not None:
                    notice.status, notice.not_before = PENDING, held
                    notice.attempts -= 1  # waiting is not a failed try
                    return "held"
            rendered = render(notice.kind, notice.channel, notice.language, self._values(notice))
            channel, recipient, reference = notice.channel, notice.recipient, str(notice.id)
            maybe_sent, since = notice.provider_status == MAYBE_SENT, notice.created_at
        try:
            result = None
            if maybe_sent:
                result = self._already_sent(channel, recipient, rendered, since)
            if result is None:
                result = self._send(channel, recipient, rendered, reference)
        except TransientSendError as exc:
            return self._transient(notice_id, str(exc), maybe_sent=exc.maybe_sent or maybe_sent)
        except PermanentSendError as exc:
            return self._failed(notice_id, f"{exc.code}: {exc.reason}", rendered)
        with self.db.transaction() as session:
            notice = session.get(Notice, notice_id)
            assert notice is not None
            # The local outbox has nobody to confirm delivery later: it is delivered now.
            final = result.status in ("delivered", "outbox")
            notice.status = DELIVERED if final else SENT
            notice.provider_id = result.provider_id
            notice.provider_status = result.status
            notice.sent_at = now
            notice.error = None
            notice.rendered = _as_dict(rendered)
        log.info("notice %s (%s, %s) sent", notice_id, channel, reference)
        return "sent"

    def _values(self, notice: Notice) -> dict[str, Any]:
        values = dict(notice.payload)
        number = values.get("case_number")
        if number:
            base = self.settings.public_base_url
            values["status_url"] = status_url(base, number)
            values["survey_url"] = survey_url(base, number)
            values["console_url"] = console_url(base, number)
        return values

    def _send(
        self, channel: str, recipient: str | None, rendered: Rendered, reference: str
    ) -> SendResult:
        if not recipient:
            raise PermanentSendError("no-recipient", "the notice has no address")
        if channel == "sms":
            assert rendered.sms is not None
            return self.channels.sms.send_sms(recipient, rendered.sms, reference=reference)
        if channel == "email":
            assert rendered.subject is not None and rendered.text is not None
            return self.channels.email.send_email(
                recipient, rendered.subject, rendered.text, rendered.html or "", reference=reference
            )
        raise PermanentSendError("no-channel", f"unknown channel {channel!r}")

    def _already_sent(
        self, channel: str, recipient: str | None, rendered: Rendered, since: datetime
    ) -> SendResult | None:
        """What the provider says it already accepted, where it can tell (Twilio can)."""
        find_sent = getattr(self.channels.sms, "find_sent", None)
        if channel != "sms" or find_sent is None or not recipient or rendered.sms is None:
            return None
        found: SendResult | None = find_sent(recipient, rendered.sms, since)
        if found is not None:
            log.warning("notice to %s was already accepted as %s: not sent again", channel, found)
        return found

    def _transient(self, notice_id: int, reason: str, *, maybe_sent: bool = False) -> str:
        now = self.clock()
        with self.db.transaction() as session:
            notice = session.get(Notice, notice_id)
            assert notice is not None
            notice.provider_status = MAYBE_SENT if maybe_sent else None
            if notice.attempts >= MAX_ATTEMPTS:
                notice.status, notice.error = (
                    FAILED,
                    f"gave up after {notice.attempts} tries: {reason}",
                )
                fall_back(session, notice, now)
                return "gave_up"
            notice.status = PENDING
            notice.not_before = now + backoff(notice.attempts)
            notice.error = reason
        return "retry"

    def _failed(self, notice_id: int, reason: str, rendered: Rendered) -> str:
        now = self.clock()
        with self.db.transaction() as session:
            notice = session.get(Notice, notice_id)
            assert notice is not None
            notice.status, notice.error = FAILED, reason
            notice.rendered = _as_dict(rendered)
            fall_back(session, notice, now)
        return "failed"


def _as_dict(rendered: Rendered) -> dict[str, Any]:
    return {key: value for key, value in asdict(rendered).items() if value is not None}
