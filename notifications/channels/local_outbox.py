"""The embedded default channel: notices stay in the database's outbox for a person to read."""

from __future__ import annotations

import logging
from datetime import datetime

from notifications.channels.base import SendResult

log = logging.getLogger(__name__)


class LocalOutbox:
    """Delivers SMS, LINE and email "locally": success at once, one log line with the reference.

    The dispatcher keeps the rendered text on the notice row, so the console and the outbox page
    show exactly what would have been sent. ``reference`` must name the notice or the case, never
    the person: it is the only thing logged (DESIGN §4.7).
    """

    name = "outbox"
    status = "delivered"

    def send_sms(
        self, to: str, body: str, *, reference: str, dedupe_key: str | None = None
    ) -> SendResult:
        """Keep an SMS in the local outbox."""
        log.info("SMS %s kept in the local outbox (%d characters)", reference, len(body))
        return SendResult(provider_id=f"outbox-{reference}", status=self.status)

    def push_line(self, to: str, text: str, *, reference: str, dedupe_key: str) -> SendResult:
        """Keep a LINE message in the local outbox."""
        log.info("LINE message %s kept in the local outbox", reference)
        return SendResult(provider_id=f"outbox-{reference}", status=self.status)

    def send_email(
        self, to: str, subject: str, text: str, html: str, *, reference: str
    ) -> SendResult:
        """Keep an email in the local outbox."""
        log.info("Email %s kept in the local outbox", reference)
        return SendResult(provider_id=f"outbox-{reference}", status=self.status)

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """The local outbox keeps every notice on its row: a send never needs looking up."""
        return None

    def close_idle(self) -> None:
        """Nothing to close: no connections."""
