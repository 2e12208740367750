"""Filing in bulk: the same numbers, deadlines, watch and figures as the one-by-one writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.calendar.store import load_calendar
from tracker.cases.bulk_filing import CaseRecord, file_cases_in_bulk
from tracker.cases.closing_figures import record_closing_figures
from tracker.cases.deadline import case_deadline
from tracker.db import Database
from tracker.lifecycle import CaseStatus
from tracker.models import Case, CaseEvent, Notice
from tracker.watch.placement import watch_state
from tracker.watch.rules import next_watch_at

DAY = timedelta(days=1)


def _record(**fields: object) -> CaseRecord:
    values: dict[str, object] = {
        "service_code": "five-wd",
        "received_at": NOW,
        "applicant_name": "陳美玲",
        "notify_by": "sms",
        "phone": "+886912000001",
    }
    values.update(fields)
    return CaseRecord(**values)  # type: ignore[arg-type]


def _file(db: Database, records: list[CaseRecord], now: datetime = NOW) -> dict[str, Case]:
    """File ``records`` in bulk; the cases by number, loaded back through the ORM."""
    with db.transaction() as session:
        file_cases_in_bulk(session, records, actor="import:test", now=now)
    with db.sessions() as session:
        cases = {case.number: case for case in session.scalars(select(Case).order_by(Case.id))}
        session.expunge_all()  # loaded with their version and pauses: read after the session
    return cases


def test_numbers_follow_the_days_counters_in_order_of_receipt(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        create_case(session, now=NOW)  # takes 20260413-0001
    later, earlier = _record(received_at=NOW + timedelta(hours=1)), _record(received_at=NOW)
    cases = _file(catalogue_db, [later, earlier, _record(received_at=NOW + DAY)])
    numbers = [(number, case.received_at) for number, case in cases.items()]
    assert numbers[1:] == [
        ("20260413-0002", NOW),
        ("20260413-0003", NOW + timedelta(hours=1)),
        ("20260414-0001", NOW + DAY),
    ]
    with catalogue_db.transaction() as session:
        # The next case filed at the counter continues after the bulk's numbers.
        assert create_case(session, now=NOW + timedelta(hours=2)).number == "20260413-0004"


def test_a_running_case_is_due_and_watched_as_filing_leaves_it(catalogue_db: Database) -> None:
    [case] = _file(catalogue_db, [_record()]).values()
    with catalogue_db.sessions() as session:
        calendar = load_calendar(session, None)
    assert case.due_at == case_deadline(case, calendar).overdue_at  # type: ignore[union-attr]
    assert case.watch_at == next_watch_at(watch_state(case), calendar, NOW)
    assert case.watched_until == NOW
    assert case.overdue_since is None
    assert len(case.lookup_code) == 10


def test_an_overdue_open_case_was_told_and_promised_a_date(catalogue_db: Database) -> None:
    now = NOW + 30 * DAY
    [case] = _file(catalogue_db, [_record(status=CaseStatus.IN_PROGRESS)], now=now).values()
    assert case.overdue_since == case.due_at
    assert case.expected_completion is not None
    assert case.expected_completion >= now.date()
    assert case.watch_at is not None
    assert case.watch_at > now


def test_a_waiting_case_has_its_pause_and_no_deadline(catalogue_db: Database) -> None:
    record = _record(
        status=CaseStatus.AWAITING_SUPPLEMENT,
        supplement_requested_at=NOW + DAY,
        supplement_items=("戶籍謄本",),
    )
    [case] = _file(catalogue_db, [record], now=NOW + 2 * DAY).values()
    [pause] = case.pauses
    assert case.due_at is None
    assert pause.items == ["戶籍謄本"]
    # The supplement deadline of five-wd is 10d: 2026-04-14 + 10 days.
    assert pause.supplement_due.isoformat() == "2026-04-24"


def test_a_closed_case_keeps_the_figures_closing_stores(catalogue_db: Database) -> None:
    record = _record(
        status=CaseStatus.COMPLETED,
        supplement_requested_at=NOW + DAY,
        supplement_arrived_at=NOW + 4 * DAY,
        supplement_items=("照片",),
        closed_at=NOW + 12 * DAY,
    )
    [case] = _file(catalogue_db, [record], now=NOW + 20 * DAY).values()
    stored = (case.working_days_used, case.paused_days)
    with catalogue_db.sessions() as session:
        record_closing_figures(case, load_calendar(session, None))
    assert stored == (case.working_days_used, case.paused_days)
    assert case.watch_at is None


def test_each_case_gets_its_filed_event_and_no_notice(catalogue_db: Database) -> None:
    _file(catalogue_db, [_record(), _record(channel="online")])
    with catalogue_db.sessions() as session:
        events = session.execute(select(CaseEvent.kind, CaseEvent.actor, CaseEvent.data)).all()
        notices = session.scalar(select(func.count()).select_from(Notice))
    assert sorted((kind, actor, data["channel"]) for kind, actor, data in events) == [
        ("filed", "import:test", "counter"),
        ("filed", "import:test", "online"),
    ]
    assert notices == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"service_code": "no-such-service"}, "no service 'no-such-service'"),
        ({"status": CaseStatus.COMPLETED}, "completed case needs closed_at"),
        ({"status": CaseStatus.AWAITING_SUPPLEMENT}, "awaits documents exactly while"),
        ({"closed_at": datetime(2026, 4, 20, tzinfo=UTC)}, "received case has no closed_at"),
    ],
)
def test_a_record_the_rules_cannot_accept_writes_nothing(
    catalogue_db: Database, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message), catalogue_db.transaction() as session:
        file_cases_in_bulk(session, [_record(), _record(**fields)], actor="t", now=NOW)
    with catalogue_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
