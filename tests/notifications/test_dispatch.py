"""Dispatch through the real Twilio SDK (to the stand-in) and a real SMTP server, per backend."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config import Settings, load_settings
from notifications.channels import Channels, TwilioSms, channels_from_settings
from notifications.dispatch import (
    MAX_ATTEMPTS,
    SEND_WITHIN,
    STUCK_AFTER,
    Dispatcher,
    backoff,
)
from notifications.quiet_hours import sms_held_until
from tests.factories import create_case
from tests.notifications.conftest import GONE
from tests.support.smtp_sink import SmtpSink
from tests.support.twilio_standin import Scripted, TwilioStandin
from tracker.db import Database
from tracker.models import Notice

NOON = datetime(2026, 4, 13, 4, 0, tzinfo=UTC)  # 12:00 in Taipei: outside quiet hours


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def _settings(tmp_path: Path, standin: TwilioStandin, sink: SmtpSink, **extra: str) -> Settings:
    env = {
        "TRACKER_INSTANCE": str(tmp_path),
        "PUBLIC_BASE_URL": "https://casetrack.kcg.gov.tw",
        "TWILIO_ACCOUNT_SID": standin.account_sid,
        "TWILIO_AUTH_TOKEN": standin.auth_token,
        "TWILIO_FROM": "+15005550006",
        "TWILIO_API_BASE": standin.base_url,
        "SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
        "MAIL_FROM": "notices@kcg.example",
        "SMS_QUIET_HOURS": "21:00-09:00",
    }
    env.update(extra)
    return load_settings(env)


def _impatient_dispatcher(
    db: Database, standin: TwilioStandin, sink: SmtpSink, tmp_path: Path, clock: Clock
) -> Dispatcher:
    """A dispatcher whose Twilio client gives up after 0.3 s (the stand-in sleeps 1.5 s)."""
    settings = _settings(tmp_path, standin, sink)
    sms = TwilioSms(
        standin.account_sid,
        standin.auth_token,
        from_number="+15005550006",
        api_base=standin.base_url,
        timeout=0.3,
    )
    channels = Channels(sms=sms, email=channels_from_settings(settings).email)
    return Dispatcher(db, channels, settings, clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


@pytest.fixture
def dispatcher(
    catalogue_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    clock: Clock,
) -> Dispatcher:
    settings = _settings(tmp_path, twilio_standin, smtp_sink)
    return Dispatcher(catalogue_db, channels_from_settings(settings), settings, clock=clock)


def _file(db: Database, **fields: object) -> int:
    with db.transaction() as s:
        return create_case(s, now=NOON, **fields).id


def _notices(db: Database) -> list[Notice]:
    with db.transaction() as s:
        return list(s.scalars(select(Notice).order_by(Notice.id)))


def test_a_receipt_goes_out_by_sms_and_email_once(
    dispatcher: Dispatcher,
    catalogue_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
) -> None:
    _file(catalogue_db, email="wang@example.org", notify_by="both")
    report = dispatcher.dispatch_once()
    assert report.claimed == 2 and report.outcomes == {"sent": 2}
    assert dispatcher.dispatch_once().claimed == 0  # nothing is sent twice
    [sms] = twilio_standin.accepted
    assert sms.to == "+886912345678"
    assert "20260413-0001" in (sms.body or "")
    assert sms.status_callback == "https://casetrack.kcg.gov.tw/webhooks/twilio/status"
    [mail] = smtp_sink.messages
    assert mail.rcpt_tos == ["wang@example.org"]
    sms_row, email_row = _notices(catalogue_db)
    assert (sms_row.status, sms_row.provider_id) == ("sent", sms.sid)
    assert email_row.status == "sent" and email_row.rendered and email_row.rendered["subject"]
    assert sms_row.attempts == 1 and sms_row.sent_at == NOON


def test_transient_failures_retry_with_backoff(
    dispatcher: Dispatcher, catalogue_db: Database, twilio_standin: TwilioStandin, clock: Clock
) -> None:
    _file(catalogue_db)
    twilio_standin.script(Scripted(500, 20500), Scripted(429, 20429))
    assert dispatcher.dispatch_once().outcomes == {"retry": 1}
    [row] = _notices(catalogue_db)
    assert row.status == "pending" and row.not_before == NOON + timedelta(seconds=15)
    assert dispatcher.dispatch_once().claimed == 0  # not before the backoff
    clock.advance(timedelta(seconds=15))
    assert dispatcher.dispatch_once().outcomes == {"retry": 1}
    clock.advance(timedelta(seconds=30))
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    [row] = _notices(catalogue_db)
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(twilio_standin.received) == 3 and len(twilio_standin.accepted) == 1


def test_a_timeout_is_transient(
    catalogue_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    clock: Clock,
) -> None:
    dispatcher = _impatient_dispatcher(catalogue_db, twilio_standin, smtp_sink, tmp_path, clock)
    _file(catalogue_db)
    twilio_standin.script(Scripted.timeout())
    assert dispatcher.dispatch_once().outcomes == {"retry": 1}


def test_a_send_that_timed_out_after_twilio_took_it_is_not_repeated(
    catalogue_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    clock: Clock,
) -> None:
    dispatcher = _impatient_dispatcher(catalogue_db, twilio_standin, smtp_sink, tmp_path, clock)
    _file(catalogue_db)
    twilio_standin.script(Scripted.accepted_too_late())
    assert dispatcher.dispatch_once().outcomes == {"retry": 1}
    [accepted] = twilio_standin.accepted
    assert _notices(catalogue_db)[0].provider_status == "unknown"
    clock.advance(timedelta(minutes=1))
    # The retry looks at Twilio's message list first and finds the message it already took.
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert len(twilio_standin.accepted) == 1
    [row] = _notices(catalogue_db)
    assert (row.status, row.provider_id) == ("sent", accepted.sid)


def test_a_permanent_error_falls_back_to_email_without_retrying(
    dispatcher: Dispatcher,
    catalogue_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
) -> None:
    _file(catalogue_db, email="wang@example.org", notify_by="sms")
    twilio_standin.reject_number("+886912345678", 21610)
    assert dispatcher.dispatch_once().outcomes == {"failed": 1}
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}  # the fallback email
    sms_row, email_row = _notices(catalogue_db)
    assert sms_row.status == "failed" and sms_row.error and sms_row.error.startswith("21610")
    assert sms_row.attempts == 1 and len(twilio_standin.received) == 1
    assert (email_row.channel, email_row.kind, email_row.status) == ("email", "receipt", "sent")
    assert smtp_sink.messages[0].rcpt_tos == ["wang@example.org"]


def test_no_usable_channel_left_becomes_a_task_for_the_clerk(
    dispatcher: Dispatcher, catalogue_db: Database, twilio_standin: TwilioStandin
) -> None:
    _file(catalogue_db)
    twilio_standin.reject_number("+886912345678", 21614)
    dispatcher.dispatch_once()
    sms_row, letter = _notices(catalogue_db)
    assert sms_row.status == "failed"
    assert (letter.channel, letter.status, letter.kind) == ("letter", "task", "receipt")


def test_an_email_refused_for_good_becomes_a_task(
    dispatcher: Dispatcher, catalogue_db: Database
) -> None:
    _file(catalogue_db, phone=None, email=GONE)
    assert dispatcher.dispatch_once().outcomes == {"failed": 1}
    email_row, letter = _notices(catalogue_db)
    assert email_row.status == "failed" and "550" in (email_row.error or "")
    assert (letter.channel, letter.status) == ("letter", "task")


def test_giving_up_after_the_last_try_falls_back(
    dispatcher: Dispatcher, catalogue_db: Database, twilio_standin: TwilioStandin, clock: Clock
) -> None:
    _file(catalogue_db, email="wang@example.org", notify_by="sms")
    twilio_standin.script(*[Scripted(503, 20500)] * MAX_ATTEMPTS)
    outcomes = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcomes += list(dispatcher.dispatch_once().outcomes)
        clock.advance(backoff(attempt))  # no further: the tries all fall outside quiet hours
    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["gave_up"]
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    sms_row, email_row = _notices(catalogue_db)
    assert sms_row.status == "failed" and sms_row.attempts == MAX_ATTEMPTS
    assert email_row.channel == "email" and email_row.status == "sent"


def test_sms_waits_for_the_end_of_quiet_hours_email_does_not(
    dispatcher: Dispatcher, catalogue_db: Database, twilio_standin: TwilioStandin, clock: Clock
) -> None:
    clock.now = datetime(2026, 4, 13, 14, 0, tzinfo=UTC)  # 22:00 in Taipei
    _file(catalogue_db, email="wang@example.org", notify_by="both")
    assert dispatcher.dispatch_once().outcomes == {"held": 1, "sent": 1}
    sms_row = _notices(catalogue_db)[0]
    assert sms_row.status == "pending" and sms_row.attempts == 0
    assert sms_row.not_before == datetime(2026, 4, 14, 1, 0, tzinfo=UTC)  # 09:00 Taipei
    # The console reads the same hold back: why the SMS waits, and until when.
    quiet = dispatcher.sender.settings.sms_quiet_hours
    held = sms_held_until(sms_row.channel, sms_row.status, sms_row.not_before, clock.now, quiet)
    assert held == sms_row.not_before
    clock.now = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert len(twilio_standin.accepted) == 1


def test_rows_left_sending_by_a_dead_worker_are_requeued(
    dispatcher: Dispatcher, catalogue_db: Database, twilio_standin: TwilioStandin, clock: Clock
) -> None:
    _file(catalogue_db)
    assert len(dispatcher.claim(10)) == 1  # the worker dies before sending
    assert dispatcher.requeue_stuck() == 0  # a slow worker is not a dead one
    clock.advance(STUCK_AFTER + timedelta(seconds=1))
    assert dispatcher.requeue_stuck() == 1
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert len(twilio_standin.accepted) == 1
    assert _notices(catalogue_db)[0].attempts == 2


class _MinuteLongSms:
    """The real Twilio channel on a clock that runs SEND_WITHIN during each send."""

    def __init__(self, inner: Any, clock: Clock) -> None:
        self.inner, self.clock = inner, clock

    def send_sms(self, *args: Any, **kwargs: Any) -> Any:
        self.clock.advance(SEND_WITHIN)
        return self.inner.send_sms(*args, **kwargs)


def test_a_claim_grown_too_old_sends_no_more_and_gives_its_rows_back(
    catalogue_db: Database,
    twilio_standin: TwilioStandin,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    clock: Clock,
) -> None:
    """A batch that outlasts SEND_WITHIN stops sending, so requeue_stuck never races a live send."""
    settings = _settings(tmp_path, twilio_standin, smtp_sink)
    real = channels_from_settings(settings)
    channels = Channels(sms=_MinuteLongSms(real.sms, clock), email=real.email)
    dispatcher = Dispatcher(catalogue_db, channels, settings, clock=clock, threads=1)
    _file(catalogue_db)
    _file(catalogue_db)
    assert dispatcher.dispatch_once().outcomes == {"sent": 1, "released": 1}
    assert len(twilio_standin.accepted) == 1
    left = [n for n in _notices(catalogue_db) if n.status == "pending"]
    assert [(n.attempts, n.not_before) for n in left] == [(0, clock.now)]
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert len(twilio_standin.accepted) == 2


def test_console_notices_need_no_provider(
    dispatcher: Dispatcher, catalogue_db: Database, clock: Clock
) -> None:
    from tracker.watch.sweep import sweep_batch

    _file(catalogue_db)
    dispatcher.dispatch_once()
    clock.now = datetime(2026, 4, 17, 1, tzinfo=UTC)  # 09:00 Taipei, after the due-soon warning
    with catalogue_db.transaction() as s:
        sweep_batch(s, now=clock.now)
    assert dispatcher.dispatch_once().outcomes == {"console": 1}
    warning = _notices(catalogue_db)[-1]
    assert warning.status == "delivered"
    assert warning.rendered and "20260413-0001" in warning.rendered["subject"]


def test_two_dispatchers_at_once_send_each_notice_once(
    dispatcher: Dispatcher, catalogue_db: Database, twilio_standin: TwilioStandin
) -> None:
    for _ in range(40):
        _file(catalogue_db)
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        while dispatcher.dispatch_once(batch=5).claimed:
            pass

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(twilio_standin.accepted) == 40
    assert len({r.body for r in twilio_standin.accepted}) == 40
    assert {n.status for n in _notices(catalogue_db)} == {"sent"}
