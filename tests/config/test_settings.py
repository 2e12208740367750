"""Settings: defaults for development, every invalid value reported at once."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from config import SettingsError, load_settings


def test_development_defaults(tmp_path: Path) -> None:
    settings = load_settings({"TRACKER_INSTANCE": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.is_sqlite and not settings.twilio_enabled
    assert settings.sms_quiet_hours == (time(21), time(9))
    # Only `tracker demo` makes a key of its own (tests/config/test_secret_key.py).
    assert settings.secret_key == ""
    assert settings.trusted_proxies == 0


def test_postgres_urls_work_as_given(tmp_path: Path) -> None:
    for url in ("postgresql://app@db/tracker", "postgres://app@db/tracker"):
        settings = load_settings({"DATABASE_URL": url, "TRACKER_INSTANCE": str(tmp_path)})
        assert settings.database_url == "postgresql+psycopg://app@db/tracker"


def test_quiet_hours_can_be_disabled(tmp_path: Path) -> None:
    env = {"SMS_QUIET_HOURS": "", "TRACKER_INSTANCE": str(tmp_path)}
    assert load_settings(env).sms_quiet_hours is None


def test_every_problem_is_listed(tmp_path: Path) -> None:
    env = {
        "TRACKER_INSTANCE": str(tmp_path),
        "DATABASE_URL": "mysql://x@y/z",
        "REDIS_URL": "http://localhost",
        "PUBLIC_BASE_URL": "ftp://example",
        "TWILIO_ACCOUNT_SID": "AC123",
        "SMTP_URL": "imap://mail",
        "SMS_QUIET_HOURS": "25:00-09:00",
    }
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    text = str(refused.value)
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_BASE_URL",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM",
        "SMTP_URL",
        "MAIL_FROM",
        "SMS_QUIET_HOURS",
    ):
        assert name in text
    assert len(refused.value.problems) == 8


def test_the_cli_stops_with_the_list(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from web.cli import main

    env = {"TRACKER_INSTANCE": str(tmp_path), "SMS_QUIET_HOURS": "late"}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 2
    assert "SMS_QUIET_HOURS: 'late' is not HH:MM-HH:MM" in result.output


def test_the_sms_gateway_defaults_to_whichever_is_configured(tmp_path: Path) -> None:
    base = {"TRACKER_INSTANCE": str(tmp_path)}
    mitake = {"MITAKE_USERNAME": "u", "MITAKE_PASSWORD": "p"}
    twilio = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"}
    assert load_settings(base).sms_provider is None
    assert load_settings(base | mitake).sms_provider == "mitake"
    assert load_settings(base | twilio).sms_provider == "twilio"
    assert (
        load_settings(base | mitake | twilio | {"SMS_PROVIDER": "twilio"}).sms_provider == "twilio"
    )


def test_mitake_defaults_to_the_vendors_address(tmp_path: Path) -> None:
    settings = load_settings({"TRACKER_INSTANCE": str(tmp_path)})
    assert settings.mitake_api_base == "https://smsapi.mitake.com.tw/api/mtk"
    assert settings.line_api_base == "https://api.line.me"
    assert settings.log_format == "text"


def test_gateway_and_operations_problems_are_listed(tmp_path: Path) -> None:
    env = {
        "TRACKER_INSTANCE": str(tmp_path),
        "SMS_PROVIDER": "mitake",
        "MITAKE_USERNAME": "only-the-name",
        "LINE_CHANNEL_SECRET": "secret-without-token",
        "LINE_API_BASE": "line.me",
        "METRICS_TOKEN": "short",
        "LOG_FORMAT": "xml",
    }
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    text = str(refused.value)
    for name in (
        "MITAKE_USERNAME and MITAKE_PASSWORD",
        "LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN",
        "LINE_API_BASE",
        "METRICS_TOKEN",
        "LOG_FORMAT",
    ):
        assert name in text


def test_two_gateways_without_a_choice_are_refused(tmp_path: Path) -> None:
    env = {
        "TRACKER_INSTANCE": str(tmp_path),
        "MITAKE_USERNAME": "u",
        "MITAKE_PASSWORD": "p",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_FROM": "+15005550006",
    }
    with pytest.raises(SettingsError, match="SMS_PROVIDER"):
        load_settings(env)
