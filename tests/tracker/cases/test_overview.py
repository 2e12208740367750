"""The agency view's counts: each department's overdue, due-soon and waiting cases, counted as
the queues colour them, and the agency's oldest overdue cases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import NOW
from tests.factories import create_case
from tracker.calendar.store import load_calendar
from tracker.cases.actions import request_supplement
from tracker.cases.closing import complete
from tracker.cases.overview import agency_overview
from tracker.cases.urgency import Urgency, standing
from tracker.db import Database
from tracker.models import Agency


def test_each_department_is_counted_as_its_queue_colours_its_cases(
    catalogue_db: Database,
) -> None:
    with catalogue_db.transaction() as session:
        oldest = create_case(session, received_at=NOW - timedelta(days=40))
        late = create_case(session, received_at=NOW - timedelta(days=20))
        soon = create_case(session, received_at=NOW - timedelta(days=5))
        create_case(session)  # on time
        waiting = create_case(session)
        request_supplement(session, waiting.id, ["印章"], actor="clerk", now=NOW)
        done = create_case(session, received_at=NOW - timedelta(days=30))
        complete(session, done.id, actor="clerk", now=NOW)
        hours = create_case(session, "four-hours", received_at=NOW - timedelta(hours=3, minutes=30))
        create_case(session, "one-month", received_at=NOW - timedelta(days=60))  # yanchao's
    with catalogue_db.transaction() as session:
        agency = session.scalar(select(Agency).where(Agency.code == "sanmin"))
        assert agency is not None
        calendar = load_calendar(session, agency.id)
        overview = agency_overview(session, agency.id, now=NOW, calendar=calendar)
        counts = {
            row.department.code: (row.overdue, row.due_soon, row.waiting, row.open)
            for row in overview.departments
        }
        oldest_numbers = [case.number for case in overview.oldest_overdue]
        soon_case = session.get_one(type(oldest), soon.id)
        soon_standing = standing(
            received_at=soon_case.received_at, due_date=soon_case.due_date,
            due_at=soon_case.due_at, now=NOW, calendar=calendar,
        )  # fmt: skip
    assert soon_standing.urgency is Urgency.DUE_SOON  # the queue's word for it
    # social: two overdue, one due soon, one waiting, five open; civil: the 4-hour case,
    # in its last quarter, due soon.
    assert counts == {"social": (2, 1, 1, 5), "civil": (0, 1, 0, 1)}
    assert oldest_numbers == [oldest.number, late.number]
    assert hours.number not in oldest_numbers
    assert overview.overdue == 2


def test_an_agency_with_no_cases_counts_zero(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        agency = session.scalar(select(Agency).where(Agency.code == "yanchao"))
        assert agency is not None
        overview = agency_overview(
            session, agency.id, now=NOW, calendar=load_calendar(session, agency.id)
        )
    assert [(r.department.code, r.overdue, r.due_soon, r.waiting, r.open) for r in
            overview.departments] == [("social", 0, 0, 0, 0)]  # fmt: skip
    assert list(overview.oldest_overdue) == []
