"""Sending claimed notices: render each, hold SMS in quiet hours, hand the rest to providers.

Nothing here touches the database: a send's outcome (``Attempt`` or ``Held``) goes back to
``recording``. A notice whose earlier attempt may have reached the provider is first looked up
there (``find_sent``), where the channel can tell, and recorded as sent instead of sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from config import Settings
from notifications.channels import Channels
from notifications.channels.base import (
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
)
from notifications.dispatch.claiming import SEND_WITHIN, Claimed
from notifications.quiet_hours import quiet_until
from notifications.render import Rendered, render
from tracker.notices.links import console_url, status_url, survey_url
from tracker.notices.outbox import CHAT_KINDS

# Channels that ring a phone wait out the quiet hours (SMS_QUIET_HOURS); email does not, and
# neither does the LINE bot's answer to a message the applicant has just sent (CHAT_KINDS).
QUIET_CHANNELS = frozenset({"sms", "line"})
# While no SMS provider is configured, a waiting SMS is looked at again this often; configuring
# one (and restarting) releases them all at once (claiming.release_waiting_sms).
NO_PROVIDER_RECHECK = timedelta(hours=1)
NO_PROVIDER = "no_provider"  # the outcome's name in the dispatch report and the metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One claimed notice after its send: a result, or the error that stopped it."""

    notice: Claimed
    rendered: Rendered
    result: SendResult | None = None
    error: SendError | None = None
    maybe_sent: bool = False


@dataclass(frozen=True, slots=True)
class Held:
    """A claimed notice not sent now: an SMS in quiet hours or with no provider configured, or
    one whose claim grew too old."""

    notice: Claimed
    until: datetime
    outcome: str = "held"


Outcome = Attempt | Held


class Sender:
    """Renders and sends claimed notices through the configured channels."""

    def __init__(
        self, channels: Channels, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self.channels = channels
        self.settings = settings
        self.clock = clock

    def prepare(
        self, claimed: list[Claimed], now: datetime
    ) -> tuple[list[tuple[Claimed, Rendered]], list[Outcome]]:
        """Render each notice; settle at once those that need no provider (console, quiet)."""
        to_send: list[tuple[Claimed, Rendered]] = []
        done: list[Outcome] = []
        held = quiet_until(now, self.settings.sms_quiet_hours)
        for notice in claimed:
            if notice.channel == "sms" and self.channels.sms_waits:
                done.append(Held(notice, now + NO_PROVIDER_RECHECK, NO_PROVIDER))
                continue
            quiet = notice.channel in QUIET_CHANNELS and notice.kind not in CHAT_KINDS
            if quiet and held is not None:
                done.append(Held(notice, held))
                continue
            # Staff read console notices in the console, worded as the email to the department.
            channel = "email" if notice.channel == "console" else notice.channel
            try:
                rendered = render(notice.kind, channel, notice.language, self.values(notice))
            except (KeyError, ValueError) as exc:
                # A template that cannot be filled never will be: fail it, do not loop on it.
                error = PermanentSendError("template", f"{type(exc).__name__}: {exc}")
                done.append(Attempt(notice, Rendered(None, None, None, None, None), error=error))
                continue
            if notice.channel == "console":
                done.append(Attempt(notice, rendered, SendResult("", "console")))
            else:
                to_send.append((notice, rendered))
        return to_send, done

    def values(self, notice: Claimed) -> dict[str, Any]:
        """The notice's values with the links, made from the configured public address."""
        values = dict(notice.payload)
        number = values.get("case_number")
        if number:
            base = self.settings.public_base_url
            values["status_url"] = status_url(base, number)
            values["survey_url"] = survey_url(base, number, self.settings.secret_key)
            values["console_url"] = console_url(base, number)
        return values

    def attempt(self, notice: Claimed, rendered: Rendered) -> Outcome:
        """Send one notice (in a sending thread): no database here, only the provider."""
        if self.clock() - notice.claimed_at >= SEND_WITHIN:
            return Held(notice, self.clock(), "released")
        try:
            result = self._already_sent(notice, rendered) if notice.maybe_sent else None
            if result is None:
                result = self._send(notice, rendered)
        except TransientSendError as exc:
            maybe_sent = exc.maybe_sent or notice.maybe_sent
            return Attempt(notice, rendered, error=exc, maybe_sent=maybe_sent)
        except PermanentSendError as exc:
            return Attempt(notice, rendered, error=exc)
        log.debug(
            "notice %s (%s) sent", notice.id, notice.channel,
            extra={"case": notice.payload.get("case_number"), "notice": notice.id},
        )  # fmt: skip
        return Attempt(notice, rendered, result)

    def _send(self, notice: Claimed, rendered: Rendered) -> SendResult:
        recipient, reference = notice.recipient, str(notice.id)
        if not recipient:
            raise PermanentSendError("no-recipient", "the notice has no address")
        if notice.channel == "sms":
            assert rendered.sms is not None
            return self.channels.sms.send_sms(
                recipient, rendered.sms, reference=reference, dedupe_key=notice.dedupe_key
            )
        if notice.channel == "line":
            assert rendered.line is not None
            return self.channels.line.push_line(
                recipient, rendered.line, reference=reference, dedupe_key=notice.dedupe_key
            )
        if notice.channel == "email":
            assert rendered.subject is not None and rendered.text is not None
            return self.channels.email.send_email(
                recipient, rendered.subject, rendered.text, rendered.html or "", reference=reference
            )
        raise PermanentSendError("no-channel", f"unknown channel {notice.channel!r}")

    def _already_sent(self, notice: Claimed, rendered: Rendered) -> SendResult | None:
        """What the provider says it already accepted, where it can tell."""
        if notice.channel != "sms" or not notice.recipient or rendered.sms is None:
            return None
        found = self.channels.sms.find_sent(notice.recipient, rendered.sms, notice.created_at)
        if found is not None:
            log.warning("notice %s was already accepted as %s: not sent again", notice.id, found)
        return found
