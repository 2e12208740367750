"""`tracker demo`'s data: the loop in the demo clerk's own queue, and an agency head."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tracker.calendar.store import load_calendar
from tracker.cases.urgency import Urgency, standing
from tracker.db import Database
from tracker.lifecycle import CaseStatus
from tracker.models import Case, Notice, Service, User
from tracker.watch.sweep import sweep_batch
from web.cli.demo_data import prepare_demo

# Monday 2026-12-07, 10:00 in Taipei.
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_the_demo_clerks_department_holds_the_whole_loop(database: Database) -> None:
    with database.transaction() as session:
        setup = prepare_demo(session, now=NOW)
    assert set(setup.passwords) == {"admin", "clerk", "supervisor", "head"}
    with database.transaction() as session:
        clerk = session.scalar(select(User).where(User.username == "clerk"))
        assert clerk is not None
        cases = session.scalars(select(Case).where(Case.department_id == clerk.department_id)).all()
        calendar = load_calendar(session, clerk.department.agency_id if clerk.department else None)
        by_service = {case.service.code: case for case in cases}
        urgency = {
            code: standing(
                received_at=c.received_at, due_date=c.due_date, due_at=c.due_at, now=NOW,
                calendar=calendar,
            ).urgency
            for code, c in by_service.items()
        }  # fmt: skip
        quick = by_service["demo-quick"]
        assert quick.due_at is not None
        assert quick.due_at - NOW == timedelta(minutes=5)
        assert {c.assigned_user_id for c in cases} == {clerk.id}  # all in "My cases"
    assert urgency["emergency-relief"] is Urgency.OVERDUE
    assert urgency["low-income-household"] is Urgency.PAUSED
    assert by_service["low-income-household"].status == CaseStatus.AWAITING_SUPPLEMENT


def test_the_overdue_sample_asks_the_clerk_to_confirm_the_default_reason(
    database: Database,
) -> None:
    with database.transaction() as session:
        prepare_demo(session, now=NOW)
        sweep_batch(session, now=NOW)
    with database.transaction() as session:
        overdue = session.scalar(
            select(Case).join(Service).where(Service.code == "emergency-relief")
        )
        assert overdue is not None
        asked = session.scalar(
            select(Notice).where(Notice.case_id == overdue.id, Notice.kind == "overdue_clerk")
        )
        told = session.scalar(
            select(Notice).where(Notice.case_id == overdue.id, Notice.kind == "overdue")
        )
    assert asked is not None
    assert asked.payload["reason_is_default"] is True
    assert told is not None
    assert told.payload["reason"] == "訪視評估中"  # the service's default, in the catalogue
    assert told.payload["sender"] == "三民區公所"


def test_preparing_twice_files_nothing_more(database: Database) -> None:
    with database.transaction() as session:
        first = prepare_demo(session, now=NOW)
    with database.transaction() as session:
        second = prepare_demo(session, now=NOW + timedelta(hours=1))
        count = len(session.scalars(select(Case.id)).all())
    assert len(first.filed) == count == 4
    assert second.filed == []
    assert second.passwords == {}
