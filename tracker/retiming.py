"""Re-timing open cases when the calendar changes (a typhoon closure, a DGPA import).

One set-based pass: select the open cases whose period can contain the changed days, compute each
distinct deadline once in Python (most cases share a service, a day of receipt and no pauses),
then write every new due date with a single UPDATE ... FROM and every timeline event with a single
INSERT ... SELECT, all in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    MetaData,
    Table,
    Text,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from tracker.calendar_store import load_calendar
from tracker.deadlines import ClockPolicy, Deadline, Pause, compute_deadline
from tracker.limits import parse_limit
from tracker.models import Case, CaseEvent, Department, ServiceVersion
from tracker.models import Pause as PauseRow
from tracker.models.base import UTCDateTime
from tracker.transitions import OPEN_STATUSES
from tracker.tz import local_date, start_of_local_day
from tracker.workcalendar import WorkCalendar

_BATCH = Table(
    "retime_batch",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("due_date", Date),
    Column("due_at", UTCDateTime()),
    Column("data", JSON),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Retimed:
    """One case whose due date moved."""

    case_id: int
    old_due: str
    new_due: str


def retime_open_cases(
    session: Session,
    first_day: date,
    last_day: date,
    *,
    agency_id: int | None,
    actor: str,
    now: datetime,
    note: str,
    cause: dict[str, Any],
) -> list[Retimed]:
    """Recompute the deadlines of open cases touched by days in [first_day, last_day]."""
    touched = _candidates(first_day, last_day, agency_id)
    rows = session.execute(touched).all()
    if not rows:
        return []
    pauses: dict[int, list[Pause]] = defaultdict(list)
    pause_rows = session.execute(
        select(PauseRow.case_id, PauseRow.requested_at, PauseRow.resumed_at)
        .where(PauseRow.case_id.in_(touched.with_only_columns(Case.id).scalar_subquery()))
        .order_by(PauseRow.case_id, PauseRow.requested_at)
    )
    for case_id, started, ended in pause_rows:
        pauses[case_id].append(Pause(started, ended))

    calendars: dict[int, WorkCalendar] = {}
    computed: dict[tuple[Any, ...], Deadline | None] = {}
    changes: list[dict[str, Any]] = []
    result: list[Retimed] = []
    for case_id, received_at, due_date, due_at, extension, limit_text, clock, agency in rows:
        limit = parse_limit(limit_text)
        case_pauses = tuple(pauses.get(case_id, ()))
        # For day and month limits only the day of receipt matters: cases filed the same day for
        # the same service share one computation.
        receipt_key = local_date(received_at) if limit.is_day_based else received_at
        key = (agency, limit_text, clock, extension, receipt_key, case_pauses)
        if key not in computed:
            if agency not in calendars:
                calendars[agency] = load_calendar(session, agency)
            computed[key] = compute_deadline(
                received_at,
                limit,
                calendars[agency],
                pauses=case_pauses,
                clock=ClockPolicy(clock),
                extension=parse_limit(extension) if extension else None,
            )
        deadline = computed[key]
        if deadline is None or (deadline.due_date, deadline.overdue_at) == (due_date, due_at):
            continue
        old = Deadline(due_date, due_at).display()
        new = deadline.display()
        changes.append(
            {
                "id": case_id,
                "due_date": deadline.due_date,
                "due_at": deadline.overdue_at,
                "data": {**cause, "old_due": old, "new_due": new},
            }
        )
        result.append(Retimed(case_id, old, new))
    if changes:
        _write(session, changes, actor=actor, now=now, note=note)
    return result


def _candidates(first_day: date, last_day: date, agency_id: int | None) -> Any:
    """Open, running cases whose period may contain a day in [first_day, last_day]."""
    starts = start_of_local_day(first_day)
    ends = start_of_local_day(last_day + timedelta(days=1))
    query = (
        select(
            Case.id,
            Case.received_at,
            Case.due_date,
            Case.due_at,
            Case.extension,
            ServiceVersion.time_limit,
            ServiceVersion.supplement_clock,
            Department.agency_id,
        )
        .join(ServiceVersion, Case.service_version_id == ServiceVersion.id)
        .join(Department, Case.department_id == Department.id)
        # Paused cases have no due_at: they are re-timed when their documents arrive.
        .where(Case.status.in_(OPEN_STATUSES), Case.due_at > starts, Case.received_at < ends)
        .with_for_update(of=Case)
    )
    if agency_id is not None:
        query = query.where(Department.agency_id == agency_id)
    return query


def _write(
    session: Session, changes: list[dict[str, Any]], *, actor: str, now: datetime, note: str
) -> None:
    connection = session.connection()
    _BATCH.drop(connection, checkfirst=True)
    _BATCH.create(connection)
    try:
        connection.execute(insert(_BATCH), changes)
        cases = Case.__table__
        connection.execute(
            update(cases)
            .where(cases.c.id == _BATCH.c.id)
            .values(
                due_date=_BATCH.c.due_date,
                due_at=_BATCH.c.due_at,
                version=cases.c.version + 1,
                updated_at=now,
            )
        )
        events = CaseEvent.__table__
        connection.execute(
            insert(events).from_select(
                ["case_id", "at", "actor", "kind", "public", "note", "data"],
                select(
                    _BATCH.c.id,
                    literal(now, UTCDateTime()),
                    literal(actor, Text),
                    literal("retimed", Text),
                    true(),
                    literal(note, Text),
                    _BATCH.c.data,
                ),
            )
        )
    finally:
        _BATCH.drop(connection)
    # Cases held in this session no longer match the rows: reload them on next access.
    session.expire_all()
