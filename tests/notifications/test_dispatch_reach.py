"""Dispatch through 三竹 Mitake and LINE, over HTTP to their stand-ins, per backend."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_settings
from notifications.channels import Channels, LinePush, MitakeSms, channels_from_settings
from notifications.dispatch import Dispatcher
from notifications.dispatch.claiming import Claimed
from notifications.render import render
from tests.factories import create_case
from tests.notifications.conftest import CLIENT_TIMEOUT
from tests.notifications.test_dispatch import NOON, Clock
from tests.support.http_standin import Fault
from tests.support.line_standin import ACCESS_TOKEN, CHANNEL_SECRET, LineStandin, new_user_id
from tests.support.mitake_standin import PASSWORD, USERNAME, MitakeStandin
from tests.support.smtp_sink import SmtpSink
from tracker.cases.line_binding import format_code, line_offer, on_text
from tracker.db import Database
from tracker.models import Case, Heartbeat, LineBinding, Notice, ProviderCredit
from tracker.notices.outbox import queue_case_notice
from tracker.operations.heartbeats import DISPATCH
from workers import jobs

NIGHT = NOON + timedelta(hours=11)  # 23:00 in Taipei: quiet hours


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


@pytest.fixture
def dispatcher(
    catalogue_db: Database,
    mitake_standin: MitakeStandin,
    line_standin: LineStandin,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    clock: Clock,
) -> Dispatcher:
    """Mitake for SMS, LINE and SMTP; clients that give up sooner than the stand-ins answer."""
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(tmp_path),
            "PUBLIC_BASE_URL": "https://casetrack.kcg.gov.tw",
            "MITAKE_USERNAME": USERNAME,
            "MITAKE_PASSWORD": PASSWORD,
            "MITAKE_API_BASE": mitake_standin.base_url,
            "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
            "LINE_API_BASE": line_standin.base_url,
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
            "MAIL_FROM": "notices@kcg.example",
        }
    )
    channels = Channels(
        sms=MitakeSms(USERNAME, PASSWORD, api_base=mitake_standin.base_url, timeout=CLIENT_TIMEOUT),
        email=channels_from_settings(settings).email,
        line=LinePush(ACCESS_TOKEN, api_base=line_standin.base_url, timeout=CLIENT_TIMEOUT),
    )
    return Dispatcher(catalogue_db, channels, settings, clock=clock)


def _file(db: Database, **fields: object) -> int:
    with db.transaction() as s:
        return create_case(s, now=NOON, **fields).id


def _bind(db: Database, case_id: int, user: str) -> None:
    """The applicant sends the case's code and confirms; the bot's answers are queued."""
    with db.transaction() as s:
        offer = line_offer(s, s.get_one(Case, case_id), NOON)
        assert offer is not None
        assert offer.code is not None
        on_text(s, user, format_code(offer.code), event_id=f"code-{case_id}", now=NOON)
        on_text(s, user, "confirm", event_id=f"yes-{case_id}", now=NOON)


def _rows(db: Database, **where: object) -> list[Notice]:
    with db.transaction() as s:
        query = select(Notice).filter_by(**where).order_by(Notice.id)
        return list(s.scalars(query))


def test_a_receipt_goes_out_by_mitake_once_with_the_credit_recorded(
    dispatcher: Dispatcher, catalogue_db: Database, mitake_standin: MitakeStandin
) -> None:
    _file(catalogue_db)
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert dispatcher.dispatch_once().claimed == 0
    (sms,) = mitake_standin.accepted
    (row,) = _rows(catalogue_db)
    assert row.provider_id == sms.msgid
    assert row.status == "sent"
    assert "20260413-0001" in sms.smbody
    with catalogue_db.transaction() as s:
        credit = s.get_one(ProviderCredit, "sms")
        assert credit.remaining == mitake_standin.credit


def test_a_send_whose_answer_was_lost_is_not_sent_twice(
    dispatcher: Dispatcher, catalogue_db: Database, mitake_standin: MitakeStandin, clock: Clock
) -> None:
    _file(catalogue_db)
    mitake_standin.script(Fault.accepted_too_late())
    assert dispatcher.dispatch_once().outcomes == {"retry": 1}
    clock.advance(timedelta(minutes=1))
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert len(mitake_standin.accepted) == 1
    (row,) = _rows(catalogue_db)
    assert row.provider_id == mitake_standin.accepted[0].msgid
    assert row.provider_status == "duplicate"


def test_an_invalid_number_at_mitake_falls_back_to_email(
    dispatcher: Dispatcher,
    catalogue_db: Database,
    mitake_standin: MitakeStandin,
    smtp_sink: SmtpSink,
) -> None:
    _file(catalogue_db, email="wang@example.org", notify_by="sms")
    mitake_standin.reject_number("0912345678", "v")
    assert dispatcher.dispatch_once().outcomes == {"failed": 1}
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    sms, email = _rows(catalogue_db)
    assert sms.status == "failed"
    assert sms.error == "mitake-v: the phone number is invalid (無效的手機號碼)"
    assert (email.channel, email.status) == ("email", "sent")
    assert len(smtp_sink.messages) == 1


def test_a_bound_case_is_told_by_line_with_the_sms_words(
    dispatcher: Dispatcher,
    catalogue_db: Database,
    line_standin: LineStandin,
    mitake_standin: MitakeStandin,
) -> None:
    user = new_user_id()
    line_standin.friends.add(user)
    case_id = _file(catalogue_db)
    _bind(catalogue_db, case_id, user)
    with catalogue_db.transaction() as s:
        extra = {"reason": "颱風停班", "new_due_date": "2026-04-27"}
        queue_case_notice(s, s.get_one(Case, case_id), "extension", trigger_at=NOON, now=NOON,
                          extra=extra)  # fmt: skip
    dispatcher.dispatch_once()
    texts = [push.texts[0] for push in line_standin.delivered]
    (extension,) = _rows(catalogue_db, kind="extension")
    assert (extension.channel, extension.status) == ("line", "sent")
    assert extension.rendered is not None
    assert extension.rendered["line"] in texts
    values = dispatcher.sender.values(_claimed(extension))
    assert extension.rendered["line"] == render("extension", "sms", "zh-TW", values).sms
    assert [k.kind for k in _rows(catalogue_db, channel="line")] == [
        "line_confirm",
        "line_bound",
        "extension",
    ]
    assert len(mitake_standin.accepted) == 1  # the receipt, before the binding


def _claimed(notice: Notice) -> Claimed:
    return Claimed(
        notice.id, notice.kind, notice.channel, notice.language, notice.recipient,
        notice.payload, notice.dedupe_key, notice.provider_status, notice.created_at,
        notice.not_before, notice.claimed_at or NOON, notice.attempts,
    )  # fmt: skip


def test_a_push_line_refuses_ends_the_binding_and_goes_by_sms(
    dispatcher: Dispatcher,
    catalogue_db: Database,
    line_standin: LineStandin,
    mitake_standin: MitakeStandin,
) -> None:
    user = new_user_id()
    case_id = _file(catalogue_db)
    _bind(catalogue_db, case_id, user)
    dispatcher.dispatch_once()  # the receipt by SMS, the bot's two answers
    with catalogue_db.transaction() as s:
        queue_case_notice(s, s.get_one(Case, case_id), "rejected", trigger_at=NOON, now=NOON,
                          extra={"reason": "資格不符"})  # fmt: skip
    line_standin.script(Fault("error", "400"))
    assert dispatcher.dispatch_once().outcomes == {"failed": 1}
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    line_row, sms_row = _rows(catalogue_db, kind="rejected")
    assert (line_row.channel, line_row.status) == ("line", "failed")
    assert (sms_row.channel, sms_row.status) == ("sms", "sent")
    with catalogue_db.transaction() as s:
        assert s.get_one(Case, case_id).applicant_line_id is None
        assert s.scalars(select(LineBinding.state)).one() == "ended"
    assert len(mitake_standin.accepted) == 2


def test_a_retried_push_after_a_lost_answer_reaches_the_phone_once(
    dispatcher: Dispatcher, catalogue_db: Database, line_standin: LineStandin, clock: Clock
) -> None:
    user = new_user_id()
    line_standin.friends.add(user)
    case_id = _file(catalogue_db, notify_by="none", phone="07-311-0000")
    line_standin.script(Fault.accepted_too_late())
    _bind(catalogue_db, case_id, user)
    report = dispatcher.dispatch_once()
    assert report.outcomes == {"retry": 1, "sent": 1}
    clock.advance(timedelta(minutes=1))
    assert dispatcher.dispatch_once().outcomes == {"sent": 1}
    assert sorted(p.status for p in line_standin.pushes) == [200, 200, 409]
    assert len(line_standin.delivered) == 2  # line_confirm and line_bound, once each


def test_line_waits_out_quiet_hours_but_the_bots_answers_do_not(
    dispatcher: Dispatcher, catalogue_db: Database, line_standin: LineStandin, clock: Clock
) -> None:
    clock.now = NIGHT
    user = new_user_id()
    case_id = _file(catalogue_db, notify_by="none", phone="07-311-0000")
    _bind(catalogue_db, case_id, user)
    with catalogue_db.transaction() as s:
        queue_case_notice(s, s.get_one(Case, case_id), "rejected", trigger_at=NIGHT, now=NIGHT,
                          extra={"reason": "資格不符"})  # fmt: skip
    assert dispatcher.dispatch_once().outcomes == {"sent": 2, "held": 1}
    (held,) = _rows(catalogue_db, kind="rejected")
    assert held.status == "pending"


def test_a_dispatch_run_leaves_its_heartbeat(
    dispatcher: Dispatcher, catalogue_db: Database
) -> None:

    jobs.dispatch_notices(dispatcher)
    with catalogue_db.transaction() as s:
        assert s.get_one(Heartbeat, DISPATCH).at == NOON
