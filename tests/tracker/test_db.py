"""tracker.db: DriverQuery gives the rows SQLAlchemy would, on either backend."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from tests.factories import create_case
from tracker.db import Database, DriverQuery
from tracker.models import Case, CaseEvent

_cases = Case.__table__
_events = CaseEvent.__table__

_CASE_WITH_EVENTS = (
    select(
        _cases.c.number,
        _cases.c.status,
        _cases.c.received_at,
        _cases.c.due_date,
        _events.c.kind,
        _events.c.data,
    )
    .join(_events, _events.c.case_id == _cases.c.id)
    .where(_cases.c.id == bindparam("case_id"))
    .order_by(_events.c.id)
    .limit(5)  # a value Core binds itself
)


def test_the_rows_are_sqlalchemys_rows(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as session:
        case = create_case(session)
        case_id = case.id
    query = DriverQuery(_CASE_WITH_EVENTS)
    with catalogue_db.reading() as connection:
        expected = connection.execute(_CASE_WITH_EVENTS, {"case_id": case_id}).all()
        rows = query.rows(connection, {"case_id": case_id})
        again = query.rows(connection, {"case_id": case_id})  # compiled once, run twice
        none = query.rows(connection, {"case_id": case_id + 1000})
    assert rows and len(rows) == len(expected) and again == rows and list(none) == []
    for row, want in zip(rows, expected, strict=True):
        # The Enum column comes back as its stored value, which equals the member.
        assert tuple(row) == tuple(want)
        assert row.number == want.number and row.status == want.status.value
        assert row.received_at == want.received_at and row.received_at.tzinfo is not None
        assert isinstance(row.data, dict) and row.data == want.data
