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
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from config import Settings
from notifications.channels import Channels
from notifications.channels.base import (
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
)
from notifications.fallback import fall_back
from notifications.quiet_hours import quiet_until
from notifications.render import Rendered, render
from tracker.clock import utc_now
from tracker.db import Database
from tracker.models import Notice
from tracker.notices.links import console_url, status_url, survey_url
from tracker.notices.outbox import DELIVERED, FAILED, PENDING, SENDING, SENT

log = logging.getLogger(__name__)

# Tries before a notice is given up (and falls back to email, or to a letter task for the clerk).
# With the backoff below, 12 tries span about four hours, as GOV.UK Notify retries an
# SMS for four: an overdue notice is worth a provider's outage of an afternoon. (8 tries, about
# half an hour, gave one notice in 10,000 up in the fault-injection run, whose kills and 25% of
# failing calls each cost a try.)
MAX_ATTEMPTS = 12
FIRST_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)
STUCK_AFTER = timedelta(minutes=2)
# A claim older than this starts no more sends: the rest of its batch goes back to the queue. A
# batch can outlast STUCK_AFTER when the provider is slow (200 notices, 8 threads, 10 s timeouts),
# and a row requeue_stuck hands to another worker must not still be sent by this one. A send that
# starts in time ends within its channel's timeout (Twilio 10 s), well before STUCK_AFTER.
SEND_WITHIN = STUCK_AFTER / 2
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


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notice this worker claimed: what it takes to send it, and the claim's own mark."""

    id: int
    kind: str
    channel: str
    language: str
    recipient: str | None
    payload: dict[str, Any]
    provider_status: str | None
    created_at: datetime
    claimed_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One claimed notice after its send: a result, or the error that stopped it."""

    notice: Claimed
    rendered: Rendered
    result: SendResult | None = None
    error: SendError | None = None
    maybe_sent: bool = False


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

    def close(self) -> None:
        """Let go of the providers' idle connections (the end of a dispatch run)."""
        close_idle = getattr(self.channels.email, "close_idle", None)
        if close_idle is not None:
            close_idle()

    # -- claiming ---------------------------------------------------------------------------
    def claim(self, limit: int) -> list[Claimed]:
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
            .returning(*(notices.c[name] for name in Claimed.__slots__))
        )
        with self.db.transaction() as session:
            rows = session.execute(claim).all()
        return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)

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
        """Claim one batch and deliver it, several at a time, recording outcomes as they come.

        Only this thread talks to the database: the sending threads hand back results, which
        are written a few at a time as they finish, so a crash leaves at most the handful in
        flight unrecorded (not the whole batch).
        """
        report = DispatchReport()
        claimed = self.claim(batch)
        report.claimed = len(claimed)
        if not claimed:
            return report
        now = self.clock()
        to_send, done = self._prepare(claimed, now)
        if done:
            self._record(done, now, report)
        if not to_send:
            return report
        with ThreadPoolExecutor(max_workers=min(self.threads, len(to_send))) as pool:
            running = {pool.submit(self._attempt, notice, rendered) for notice, rendered in to_send}
            while running:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                self._record([future.result() for future in finished], self.clock(), report)
        return report

    def _prepare(
        self, claimed: list[Claimed], now: datetime
    ) -> tuple[list[tuple[Claimed, Rendered]], list[_Attempt | _Held]]:
        """Render each notice; settle at once those that need no provider (console, quiet)."""
        to_send: list[tuple[Claimed, Rendered]] = []
        done: list[_Attempt | _Held] = []
        held = quiet_until(now, self.settings.sms_quiet_hours)
        for notice in claimed:
            if notice.channel == "sms" and held is not None:
                done.append(_Held(notice, held))
                continue
            # Staff read console notices in the console, worded as the email to the department.
            channel = "email" if notice.channel == "console" else notice.channel
            try:
                rendered = render(notice.kind, channel, notice.language, self._values(notice))
            except (KeyError, ValueError) as exc:
                # A template that cannot be filled never will be: fail it, do not loop on it.
                error = PermanentSendError("template", f"{type(exc).__name__}: {exc}")
                done.append(_Attempt(notice, Rendered(None, None, None, None), error=error))
                continue
            if notice.channel == "console":
                done.append(_Attempt(notice, rendered, SendResult("", "console")))
            else:
                to_send.append((notice, rendered))
        return to_send, done

    def _attempt(self, notice: Claimed, rendered: Rendered) -> _Attempt | _Held:
        """Send one notice (in a sending thread): no database here, only the provider."""
        if self.clock() - notice.claimed_at >= SEND_WITHIN:
            return _Held(notice, self.clock(), "released")
        maybe_sent = notice.provider_status == MAYBE_SENT
        try:
            result = None
            if maybe_sent:
                result = self._already_sent(notice.channel, notice.recipient, rendered, notice)
            if result is None:
                result = self._send(notice.channel, notice.recipient, rendered, str(notice.id))
        except TransientSendError as exc:
            return _Attempt(notice, rendered, error=exc, maybe_sent=exc.maybe_sent or maybe_sent)
        except PermanentSendError as exc:
            return _Attempt(notice, rendered, error=exc)
        log.debug("notice %s (%s) sent", notice.id, notice.channel)
        return _Attempt(notice, rendered, result)

    def _values(self, notice: Claimed) -> dict[str, Any]:
        values = dict(notice.payload)
        number = values.get("case_number")
        if number:
            base = self.settings.public_base_url
            values["status_url"] = status_url(base, number)
            values["survey_url"] = survey_url(base, number, self.settings.secret_key)
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
        self, channel: str, recipient: str | None, rendered: Rendered, notice: Claimed
    ) -> SendResult | None:
        """What the provider says it already accepted, where it can tell (Twilio can)."""
        find_sent = getattr(self.channels.sms, "find_sent", None)
        if channel != "sms" or find_sent is None or not recipient or rendered.sms is None:
            return None
        found: SendResult | None = find_sent(recipient, rendered.sms, notice.created_at)
        if found is not None:
            log.warning("notice %s was already accepted as %s: not sent again", notice.id, found)
        return found

    # -- recording --------------------------------------------------------------------------
    def _record(
        self, outcomes: list[_Attempt | _Held], now: datetime, report: DispatchReport
    ) -> None:
        """Write a few outcomes in one transaction; rows no longer ours are left alone."""
        accepted: list[dict[str, Any]] = []
        with self.db.transaction() as session:
            for outcome in outcomes:
                if isinstance(outcome, _Held):
                    report.count(self._hold(session, outcome))
                elif outcome.result is not None:
                    accepted.append(_accepted_row(outcome, now))
                    report.count("console" if outcome.notice.channel == "console" else "sent")
                else:
                    report.count(self._refused(session, outcome, now))
            if accepted:
                # One statement for all; a row a re-queue took meanwhile matches nothing.
                session.execute(_RECORD_ACCEPTED, accepted)

    def _hold(self, session: Session, held: _Held) -> str:
        """Back to pending until ``until`` (quiet hours, or a claim too old to send on): waiting
        is not a failed try."""
        session.execute(
            _ours(held.notice).values(
                status=PENDING, not_before=held.until, attempts=Notice.attempts - 1
            )
        )
        return held.outcome

    def _refused(self, session: Session, attempt: _Attempt, now: datetime) -> str:
        """A transient error: retry later (or give up after the last try); permanent: fail."""
        notice = session.scalar(
            select(Notice).where(*_claim_is_ours(attempt.notice)).with_for_update()
        )
        if notice is None:
            return "skipped"  # re-queued meanwhile: the new claim decides
        error = attempt.error
        assert error is not None
        if isinstance(error, PermanentSendError):
            notice.status, notice.error = FAILED, f"{error.code}: {error.reason}"
            notice.rendered = _as_dict(attempt.rendered) or None
            fall_back(session, notice, now)
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


@dataclass(frozen=True, slots=True)
class _Held:
    """A claimed notice not sent now: an SMS in quiet hours, or one whose claim grew too old."""

    notice: Claimed
    until: datetime
    outcome: str = "held"


def _claim_is_ours(notice: Claimed) -> tuple[Any, ...]:
    """The row is still in the state our claim left it (a re-queue and re-claim change it)."""
    return (
        Notice.id == notice.id,
        Notice.status == SENDING,
        Notice.claimed_at == notice.claimed_at,
        Notice.attempts == notice.attempts,
    )


def _ours(notice: Claimed) -> Any:
    return update(Notice).where(*_claim_is_ours(notice))


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


def _accepted_row(attempt: _Attempt, now: datetime) -> dict[str, Any]:
    assert attempt.result is not None
    result = attempt.result
    # Console notices, and the local outbox, have nobody to confirm delivery later: delivered now.
    final = result.status in ("delivered", "outbox", "console")
    return {
        "notice_id": attempt.notice.id,
        "claim_at": attempt.notice.claimed_at,
        "claim_attempts": attempt.notice.attempts,
        "new_status": DELIVERED if final else SENT,
        "new_provider_id": result.provider_id or None,
        "new_provider_status": result.status if result.status != "console" else None,
        "new_sent_at": now,
        "new_rendered": _as_dict(attempt.rendered),
    }


def _as_dict(rendered: Rendered) -> dict[str, Any]:
    return {key: value for key, value in asdict(rendered).items() if value is not None}
