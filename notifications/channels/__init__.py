"""Delivery channels (one provider per module) and the choice between them from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings
from notifications.channels.base import (
    Channel,
    EmailChannel,
    PermanentSendError,
    SendError,
    SendResult,
    SmsChannel,
    TransientSendError,
)
from notifications.channels.local_outbox import LocalOutbox
from notifications.channels.smtp_email import SmtpEmail
from notifications.channels.twilio_sms import TwilioSms

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"

__all__ = [
    "Channel",
    "Channels",
    "EmailChannel",
    "LocalOutbox",
    "PermanentSendError",
    "SendError",
    "SendResult",
    "SmsChannel",
    "SmtpEmail",
    "TransientSendError",
    "TwilioSms",
    "channels_from_settings",
]


@dataclass(frozen=True, slots=True)
class Channels:
    """The channel each kind of message goes through."""

    sms: SmsChannel
    email: EmailChannel

    def all(self) -> tuple[Channel, ...]:
        """Each distinct channel once (the local outbox may be both)."""
        return tuple({id(channel): channel for channel in (self.sms, self.email)}.values())


def channels_from_settings(settings: Settings) -> Channels:
    """Twilio and SMTP where configured; the local outbox for whatever is not (DESIGN §3)."""
    outbox = LocalOutbox()
    sms: SmsChannel = outbox
    email: EmailChannel = outbox
    if settings.twilio_enabled:
        sms = TwilioSms(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token or "",
            from_number=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            status_callback=f"{settings.public_base_url}{STATUS_CALLBACK_PATH}",
            api_base=settings.twilio_api_base,
        )
    if settings.smtp_url and settings.mail_from:
        email = SmtpEmail(settings.smtp_url, settings.mail_from)
    return Channels(sms=sms, email=email)
