"""Choosing channels from the settings: Twilio and SMTP where configured, else the outbox."""

from __future__ import annotations

from pathlib import Path

from config import Settings, load_settings
from config.gateways import mitake_callback_secret
from notifications.channels import (
    STATUS_CALLBACK_PATH,
    LinePush,
    LocalOutbox,
    MitakeSms,
    SmtpEmail,
    TwilioSms,
    channels_from_settings,
)
from tests.support.line_standin import ACCESS_TOKEN as LINE_TOKEN
from tests.support.line_standin import LineStandin, new_user_id
from tests.support.mitake_standin import PASSWORD as MITAKE_PASSWORD
from tests.support.mitake_standin import USERNAME as MITAKE_USER
from tests.support.mitake_standin import MitakeStandin
from tests.support.smtp_sink import SmtpSink
from tests.support.twilio_standin import TwilioStandin

BASE = "https://casetrack.kcg.gov.tw"


def settings(tmp_path: Path, **env: str) -> Settings:
    """Settings from this environment only (nothing from the machine's)."""
    return load_settings(
        {"TRACKER_INSTANCE": str(tmp_path), "SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": BASE} | env
    )


def test_nothing_configured_means_the_local_outbox(tmp_path: Path) -> None:
    channels = channels_from_settings(settings(tmp_path))
    assert isinstance(channels.sms, LocalOutbox) and isinstance(channels.email, LocalOutbox)


def test_twilio_when_configured_with_our_status_callback(
    tmp_path: Path, twilio_standin: TwilioStandin
) -> None:
    chosen = settings(
        tmp_path,
        TWILIO_ACCOUNT_SID=twilio_standin.account_sid,
        TWILIO_AUTH_TOKEN=twilio_standin.auth_token,
        TWILIO_FROM="+15005550006",
        TWILIO_API_BASE=twilio_standin.base_url,
    )
    channels = channels_from_settings(chosen)
    assert isinstance(channels.sms, TwilioSms) and isinstance(channels.email, LocalOutbox)
    channels.sms.send_sms("+886912345678", "x", reference="notice-1")
    [received] = twilio_standin.accepted
    assert received.status_callback == f"{BASE}/webhooks/twilio/status"
    assert STATUS_CALLBACK_PATH == "/webhooks/twilio/status"
    assert received.from_ == "+15005550006"


def test_a_messaging_service_from_the_settings(
    tmp_path: Path, twilio_standin: TwilioStandin
) -> None:
    chosen = settings(
        tmp_path,
        TWILIO_ACCOUNT_SID=twilio_standin.account_sid,
        TWILIO_AUTH_TOKEN=twilio_standin.auth_token,
        TWILIO_MESSAGING_SERVICE_SID="MG" + "b" * 32,
        TWILIO_API_BASE=twilio_standin.base_url,
    )
    channels_from_settings(chosen).sms.send_sms("+886912345678", "x", reference="n")
    assert twilio_standin.accepted[0].messaging_service_sid == "MG" + "b" * 32


def test_smtp_when_configured(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    chosen = settings(tmp_path, SMTP_URL=smtp_sink.url(), MAIL_FROM="notices@kcg.gov.tw")
    channels = channels_from_settings(chosen)
    assert isinstance(channels.email, SmtpEmail) and isinstance(channels.sms, LocalOutbox)
    channels.email.send_email("a@example.org", "主旨", "內文", "<p>內文</p>", reference="n")
    assert smtp_sink.messages[0].message["Subject"] == "主旨"


def test_mitake_alone_is_the_sms_gateway_with_our_report_address(
    tmp_path: Path, mitake_standin: MitakeStandin
) -> None:
    chosen = settings(
        tmp_path,
        MITAKE_USERNAME=MITAKE_USER,
        MITAKE_PASSWORD=MITAKE_PASSWORD,
        MITAKE_API_BASE=mitake_standin.base_url,
    )
    channels = channels_from_settings(chosen)
    assert isinstance(channels.sms, MitakeSms)
    channels.sms.send_sms("+886912345678", "x", reference="1", dedupe_key="k")
    [received] = mitake_standin.accepted
    secret = mitake_callback_secret("x" * 32)
    assert received.response_url == f"{BASE}/webhooks/mitake/{secret}"


def test_sms_provider_chooses_between_two_configured_gateways(tmp_path: Path) -> None:
    both = {
        "MITAKE_USERNAME": MITAKE_USER,
        "MITAKE_PASSWORD": MITAKE_PASSWORD,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_FROM": "+15005550006",
    }
    twilio = channels_from_settings(settings(tmp_path, **both, SMS_PROVIDER="twilio"))
    mitake = channels_from_settings(settings(tmp_path, **both, SMS_PROVIDER="mitake"))
    assert isinstance(twilio.sms, TwilioSms)
    assert isinstance(mitake.sms, MitakeSms)


def test_line_when_configured(tmp_path: Path, line_standin: LineStandin) -> None:
    chosen = settings(
        tmp_path,
        LINE_CHANNEL_SECRET="secret",
        LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
        LINE_API_BASE=line_standin.base_url,
    )
    channels = channels_from_settings(chosen)
    assert isinstance(channels.line, LinePush)
    channels.line.push_line(new_user_id(), "x", reference="1", dedupe_key="k")
    assert [p.status for p in line_standin.pushes] == [200]


def test_without_line_settings_the_local_outbox_stands_in(tmp_path: Path) -> None:
    assert isinstance(channels_from_settings(settings(tmp_path)).line, LocalOutbox)
