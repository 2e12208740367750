"""No SMS provider outside `tracker demo`: SMS notices wait, visibly, and nothing pretends.

Through the real dispatcher: first with no provider (the SMS waits, marked "no SMS provider
configured": not sent, not failed, not delivered), then with Twilio configured (the stand-in),
where the same notice goes out.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config import Settings, load_settings
from config.settings import startup_warnings
from notifications.channels import channels_from_settings
from notifications.dispatch import Dispatcher
from tests.factories import create_case
from tests.support.twilio_standin import TwilioStandin
from tracker.db import Database
from tracker.models import Notice
from tracker.notices.outbox import DELIVERED, NO_SMS_PROVIDER, PENDING, SENT
from web import create_app

NOON = datetime(2026, 4, 13, 4, 0, tzinfo=UTC)  # 12:00 in Taipei: outside quiet hours
KEY = "no-provider-tests-" + "n" * 32


def _settings(tmp_path: Path, *, demo: bool = False, **env: str) -> Settings:
    base = {"TRACKER_INSTANCE": str(tmp_path), "SECRET_KEY": KEY, "SMS_QUIET_HOURS": ""}
    return load_settings(base | env, demo=demo)


def _sms(db: Database) -> Notice:
    with db.transaction() as session:
        [notice] = session.scalars(select(Notice).where(Notice.channel == "sms")).all()
        session.expunge(notice)
        return notice


def _file(db: Database) -> None:
    with db.transaction() as session:
        create_case(session, now=NOON)  # by SMS: the applicant gave a mobile number only


def test_sms_waits_visibly_and_goes_out_once_a_provider_is_configured(
    catalogue_db: Database, tmp_path: Path, twilio_standin: TwilioStandin
) -> None:
    _file(catalogue_db)
    settings = _settings(tmp_path)
    assert settings.sms_waits
    waiting = Dispatcher(
        catalogue_db, channels_from_settings(settings), settings, clock=lambda: NOON
    )
    report = waiting.dispatch_once()
    assert report.outcomes == {"no_provider": 1}
    notice = _sms(catalogue_db)
    assert notice.status == PENDING  # not sent, not failed, not delivered
    assert notice.error == NO_SMS_PROVIDER
    assert notice.sent_at is None
    assert notice.provider_id is None
    assert notice.attempts == 0  # waiting is no failed try
    # It is not claimed again at every round.
    assert waiting.dispatch_once().claimed == 0
    assert waiting.requeue_stuck() == 0
    assert _sms(catalogue_db).not_before > NOON

    later = NOON + timedelta(minutes=5)
    twilio = _settings(
        tmp_path,
        TWILIO_ACCOUNT_SID=twilio_standin.account_sid,
        TWILIO_AUTH_TOKEN=twilio_standin.auth_token,
        TWILIO_FROM="+15005550006",
        TWILIO_API_BASE=twilio_standin.base_url,
    )
    sending = Dispatcher(catalogue_db, channels_from_settings(twilio), twilio, clock=lambda: later)
    sending.requeue_stuck()  # the periodic sweep releases what waited for a provider
    assert sending.dispatch_once().outcomes == {"sent": 1}
    notice = _sms(catalogue_db)
    assert notice.status == SENT
    assert notice.error is None
    assert len(twilio_standin.accepted) == 1


def test_the_demo_keeps_sms_in_its_local_outbox(catalogue_db: Database, tmp_path: Path) -> None:
    _file(catalogue_db)
    settings = _settings(tmp_path, demo=True)
    assert not settings.sms_waits
    Dispatcher(
        catalogue_db, channels_from_settings(settings), settings, clock=lambda: NOON
    ).dispatch_once()
    assert _sms(catalogue_db).status == DELIVERED


def test_start_up_warns_without_a_provider(
    catalogue_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, DATABASE_URL=catalogue_db.url)
    # The worker logs the same list (workers.worker_app); it is not started here, as binding
    # Celery would change this process's default Celery app for the tests after this one.
    [warning] = startup_warnings(settings)
    assert "No SMS provider is configured" in warning
    assert startup_warnings(_settings(tmp_path, demo=True)) == []
    with caplog.at_level(logging.WARNING):
        app = create_app(settings)
    assert warning in [record.getMessage() for record in caplog.records]
    app.extensions["database"].dispose()
