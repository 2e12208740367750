"""What every delivery channel promises: a small interface, a result, and two kinds of failure.

A channel sends one message and either returns a ``SendResult`` or raises one of two errors, so
the dispatcher can decide without knowing the provider (as GOV.UK Notify classifies before it
retries):

- ``TransientSendError``: try again later (timeouts, connection errors, HTTP 5xx and 429,
  SMTP 4xx, and configuration problems such as rejected credentials, which a person can fix
  while the notice waits);
- ``PermanentSendError``: this message to this recipient will never go through (an invalid or
  unsubscribed number, an address the mail server refuses with 5xx). The dispatcher does not
  retry it; for SMS it falls back to email where there is one (DESIGN §4.6).

Adding an SMS gateway (as ``mitake_sms.py`` added 三竹 Mitake beside ``twilio_sms.py``) is one new
module:

1. a class with ``send_sms(to, body, *, reference, dedupe_key) -> SendResult``, returning the
   gateway's message id as ``provider_id``; ``dedupe_key`` names the notice for ever, so a
   gateway with an idempotency key (Mitake's ``clientid``) can refuse a second copy;
2. a ``classify`` step that turns the gateway's answers into ``TransientSendError`` or
   ``PermanentSendError`` (Mitake answers HTTP 200 with a ``statuscode``, so the HTTP status
   alone is not enough);
3. a branch in ``channels_from_settings`` (``notifications/channels/__init__.py``) that picks it
   for ``SMS_PROVIDER``, and a stand-in server under ``tests/support/`` to test it over real
   HTTP.

Nothing else changes: the dispatcher only knows ``SmsChannel``. Error reasons pass through
``redact`` so that no phone number or email address reaches a log line or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

# One definition, shared with the JSON log lines (tracker.operations.logs): re-exported here.
from tracker.privacy import redact

__all__ = ["redact"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """A message the provider accepted: its id there (for status callbacks) and its status.

    ``credit``: what the gateway says is left on the account after this message, when it says
    (Mitake's ``AccountPoint``).
    """

    provider_id: str
    status: str
    credit: int | None = None


class SendError(Exception):
    """A message was not sent; ``reason`` says why, without personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    """Not sent this time; the same message may well go through later.

    ``maybe_sent``: the provider may have accepted it before the answer was lost (a timeout),
    so look before sending again.
    """

    def __init__(self, reason: str, *, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.maybe_sent = maybe_sent


class PermanentSendError(SendError):
    """Never going through to this recipient: do not retry. ``code`` is the provider's code."""

    def __init__(self, code: int | str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@runtime_checkable
class Channel(Protocol):
    """What every channel does besides sending."""

    def close_idle(self) -> None:
        """Let go of idle connections at the end of a dispatch run (nothing, if it keeps none)."""
        ...


@runtime_checkable
class SmsChannel(Channel, Protocol):
    """Sends one SMS, and can be asked whether an earlier attempt got through."""

    def send_sms(
        self, to: str, body: str, *, reference: str, dedupe_key: str | None = None
    ) -> SendResult:
        """Send ``body`` to the E.164 number ``to``; ``reference`` names the notice in logs.

        ``dedupe_key`` is the notice's own (the outbox's unique key): a gateway that takes an
        idempotency key makes it from this, so that a repeated send is refused by the gateway.
        """
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """The provider's record of ``body`` accepted for ``to`` since ``since``, if any.

        Asked before sending again a notice whose earlier attempt may have reached the provider
        (a timeout, a worker's death). None when it was not sent, or when the provider cannot
        tell (then the notice is sent again).
        """
        ...


@runtime_checkable
class LineChannel(Channel, Protocol):
    """Pushes one text message to a LINE user of the office's official account."""

    def push_line(self, to: str, text: str, *, reference: str, dedupe_key: str) -> SendResult:
        """Push ``text`` to the LINE user id ``to``; a retry with the same ``dedupe_key`` is
        refused by LINE (``X-Line-Retry-Key``) and reported as accepted."""
        ...


@runtime_checkable
class EmailChannel(Channel, Protocol):
    """Sends one email."""

    def send_email(
        self, to: str, subject: str, text: str, html: str, *, reference: str
    ) -> SendResult:
        """Send a text-and-HTML email to ``to``; ``reference`` names the notice in logs."""
        ...
