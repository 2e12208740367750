"""Delivery channels (one provider per module) and the choice between them from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from config import Settings
from config.gateways import mitake_callback_url
from notifications.channels.base import (
    Channel,
    EmailChannel,
    LineChannel,
    PermanentSendError,
    SendError,
    SendResult,
    SmsChannel,
    TransientSendError,
)
from notifications.channels.line_push import LinePush
from notifications.channels.local_outbox import LocalOutbox
from notifications.channels.mitake_sms import MitakeSms
from notifications.channels.smtp_email import SmtpEmail
from notifications.channels.twilio_sms import TwilioSms

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"

__all__ = [
    "Channel",
    "Channels",
    "EmailChannel",
    "LineChannel",
    "LinePush",
    "LocalOutbox",
    "MitakeSms",
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
    # Where no LINE channel is configured nobody can bind a case: the local outbox stands in.
    line: LineChannel = field(default_factory=LocalOutbox)
    # No SMS provider outside `tracker demo`: SMS notices wait (NO_SMS_PROVIDER) rather than be
    # "delivered" to a local outbox nobody reads.
    sms_waits: bool = False

    def all(self) -> tuple[Channel, ...]:
        """Each distinct channel once (the local outbox may be several)."""
        channels = (self.sms, self.email, self.line)
        return tuple({id(channel): channel for channel in channels}.values())


def channels_from_settings(settings: Settings) -> Channels:
    """The SMS gateway of SMS_PROVIDER (Twilio or Mitake), SMTP and LINE where configured; the
    local outbox for whatever is not in `tracker demo` (DESIGN §3). Outside the demo an SMS
    with no provider waits instead (``sms_waits``)."""
    outbox = LocalOutbox()
    sms: SmsChannel = outbox
    email: EmailChannel = outbox
    line: LineChannel = outbox
    if settings.sms_provider == "mitake":
        sms = MitakeSms(
            settings.mitake_username or "",
            settings.mitake_password or "",
            api_base=settings.mitake_api_base,
            callback_url=mitake_callback_url(settings.public_base_url, settings.secret_key),
        )
    elif settings.sms_provider == "twilio":
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
    if settings.line_enabled:
        line = LinePush(settings.line_channel_access_token or "", api_base=settings.line_api_base)
    return Channels(sms=sms, email=email, line=line, sms_waits=settings.sms_waits)
