"""Sending what the outbox holds (DESIGN §4.6), GOV.UK Notify style, in three steps:

- ``claiming``: take due notices (``pending`` → ``sending``, committed), and put back what a
  dead worker left claimed;
- ``sending``: render each notice and hand it to its channel (no database on this side);
- ``recording``: write each outcome (``sent``, held, retried with a backoff, or ``failed`` with
  a fallback), only while the claim is still ours.

Every step is a status change in the database (the state diagram is in
tracker.notices.outbox), so a task that runs twice does nothing twice. The provider is called
outside any transaction.

The crash window. A worker that dies after the provider accepted a message but before our commit
of "sent" (milliseconds), or a request that timed out after the provider accepted it, leaves a
notice that may or may not have gone out. Such a notice is marked ``provider_status =
"unknown"``, and before it is sent again its channel is asked whether that exact message
already went to that recipient since the notice was written (``find_sent``: Twilio's message
list can tell); if so, it is recorded as sent instead. What remains: email (SMTP has no way to
ask), and an SMS whose lookup itself fails.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime

from config import Settings
from notifications.channels import Channels
from notifications.dispatch.claiming import (
    SEND_WITHIN,
    STUCK_AFTER,
    Claimed,
    claim,
    release_waiting_sms,
    requeue_stuck,
)
from notifications.dispatch.recording import (
    FIRST_BACKOFF,
    MAX_ATTEMPTS,
    DispatchReport,
    backoff,
    record,
)
from notifications.dispatch.sending import Sender
from tracker.clock import utc_now
from tracker.db import Database

__all__ = [
    "FIRST_BACKOFF",
    "MAX_ATTEMPTS",
    "SEND_WITHIN",
    "STUCK_AFTER",
    "DispatchReport",
    "Dispatcher",
    "backoff",
]


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
        self.clock = clock
        self.threads = threads
        self.sender = Sender(channels, settings, clock)

    def claim(self, limit: int) -> list[Claimed]:
        """Claim up to ``limit`` due notices (see ``claiming.claim``)."""
        return claim(self.db, self.clock(), limit)

    def requeue_stuck(self) -> int:
        """Put back rows a dead worker left in "sending" (the self-healing sweep); with an SMS
        provider, release the SMS that waited for one."""
        if not self.channels.sms_waits:
            release_waiting_sms(self.db, self.clock())
        return requeue_stuck(self.db, self.clock())

    def close(self) -> None:
        """Let go of the providers' idle connections (the end of a dispatch run)."""
        for channel in self.channels.all():
            channel.close_idle()

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
        to_send, done = self.sender.prepare(claimed, now)
        if done:
            record(self.db, done, now, report)
        if not to_send:
            return report
        with ThreadPoolExecutor(max_workers=min(self.threads, len(to_send))) as pool:
            running = {pool.submit(self.sender.attempt, *sending) for sending in to_send}
            while running:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                record(self.db, [future.result() for future in finished], self.clock(), report)
        return report
