"""Re-timing open cases when the calendar changes (a typhoon closure, a DGPA import).

One set-based pass: select the open cases whose period can contain the changed days, compute each
distinct deadline once in Python (most cases share a service, a day of receipt and no pauses),
then write every new due date with a single UPDATE ... FROM, every timeline event with a single
INSERT ... SELECT, and the applicants' new-date notices in one batch, all in the caller's
transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
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

from tracker.bulk import staged
from tracker.calendar.store import load_calendar
from tracker.deadlines.engine import ClockPolicy, Deadline, Pause, compute_deadline
from tracker.deadlines.limits import parse_limit
from tracker.deadlines.timezones import local_date, start_of_local_day
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Case, CaseEvent, Department, ServiceVersion
from tracker.models import Pause as PauseRow
from tracker.models.base import UTCDateTime
from tracker.notices.outbox import Addressees, insert_notices, notice_rows
from tracker.notices.values import values_of
from tracker.text import in_language
from tracker.watch.rules import WatchState, handled_until, next_watch_at

_BATCH = Table(
    "retime_batch",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("due_date", Date),
    Column("due_at", UTCDateTime()),
    Column("watch_at", UTCDateTime()),
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
    note: Mapping[str, str],
    cause: Mapping[str, Any],
) -> list[Retimed]:
    """Recompute the deadlines of open cases touched by days in [first_day, last_day].

    Each case whose due date moved gets a public timeline line, ``note`` in every language
    (``{"zh-TW": ..., "en": ...}``): its Chinese is the stored note, and both are kept in the
    event's data for each reader to see theirs (web.core.formatting.event_note).

    Each applicant whose due date moved is sent a ``retimed`` notice with the new date and
    ``cause`` (kept in each event's data too). Its ``reason`` is either text as a person typed it
    (an administrator's closure reason), told as it is, or ``{language: text}`` for the
    product's own words, of which each applicant is told theirs.
    """
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

    # The texts of the few services and departments involved, read once rather than per case.
    versions = {
        v.id: v
        for v in session.scalars(
            select(ServiceVersion).where(
                ServiceVersion.id.in_({r.service_version_id for r in rows})
            )
        )
    }
    departments = {
        d.id: d
        for d in session.scalars(
            select(Department).where(Department.id.in_({r.department_id for r in rows}))
        )
    }
    calendars: dict[int, WorkCalendar] = {}
    computed: dict[tuple[Any, ...], Deadline | None] = {}
    changes: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    result: list[Retimed] = []
    told: dict[str, dict[str, Any]] = {}  # the cause as each language's applicants read it
    for row in rows:
        limit = parse_limit(row.time_limit)
        case_pauses = tuple(pauses.get(row.id, ()))
        # For day and month limits only the day of receipt matters: cases filed the same day for
        # the same service share one computation.
        receipt_key = local_date(row.received_at) if limit.is_day_based else row.received_at
        key = (row.agency_id, row.time_limit, row.supplement_clock, row.extension, receipt_key,
               case_pauses)  # fmt: skip
        if row.agency_id not in calendars:
            calendars[row.agency_id] = load_calendar(session, row.agency_id)
        calendar = calendars[row.agency_id]
        if key not in computed:
            computed[key] = compute_deadline(
                row.received_at,
                limit,
                calendar,
                pauses=case_pauses,
                clock=ClockPolicy(row.supplement_clock),
                extension=parse_limit(row.extension) if row.extension else None,
            )
        deadline = computed[key]
        if deadline is None or (deadline.due_date, deadline.overdue_at) == (
            row.due_date,
            row.due_at,
        ):
            continue
        old = Deadline(row.due_date, row.due_at).display()
        new = deadline.display()
        state = WatchState(
            status=row.status,
            received_at=row.received_at,
            limit=limit,
            due_date=deadline.due_date,
            due_at=deadline.overdue_at,
            expected_completion=row.expected_completion,
        )
        changes.append(
            {
                "id": row.id,
                "due_date": deadline.due_date,
                "due_at": deadline.overdue_at,
                "watch_at": next_watch_at(
                    state, calendar, handled_until(row.watched_until, row.received_at)
                ),
                "data": {**cause, "note_texts": note, "old_due": old, "new_due": new},
            }
        )
        version, department = versions[row.service_version_id], departments[row.department_id]
        values = values_of(
            number=row.number,
            lookup_code=row.lookup_code,
            applicant_name=row.applicant_name,
            language=row.language,
            service_name=version.name,
            steps=version.steps,
            current_step=row.current_step,
            department_name=department.name,
            department_phone=department.phone,
            due=deadline,
        )
        if row.language not in told:
            told[row.language] = {
                **cause,
                "reason": cause["reason"]
                if isinstance(cause["reason"], str)
                else in_language(cause["reason"], row.language),
            }
        to = Addressees(
            row.id,
            row.language,
            row.notify_by,
            row.applicant_phone,
            row.applicant_email,
            department.email,
        )
        notices += notice_rows(
            to,
            "retimed",
            trigger_at=now,
            now=now,
            values={**values, **told[row.language], "old_due_date": old, "new_due_date": new},
        )
        result.append(Retimed(row.id, old, new))
    if changes:
        _write(session, changes, actor=actor, now=now, note=note)
        insert_notices(session, notices)
    return result


def _candidates(first_day: date, last_day: date, agency_id: int | None) -> Any:
    """Open, running cases whose period may contain a day in [first_day, last_day]."""
    starts = start_of_local_day(first_day)
    ends = start_of_local_day(last_day + timedelta(days=1))
    query = (
        select(
            Case.id,
            Case.number,
            Case.lookup_code,
            Case.status,
            Case.received_at,
            Case.due_date,
            Case.due_at,
            Case.extension,
            Case.expected_completion,
            Case.watched_until,
            Case.current_step,
            Case.language,
            Case.notify_by,
            Case.applicant_name,
            Case.applicant_phone,
            Case.applicant_email,
            Case.service_version_id,
            Case.department_id,
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
    session: Session,
    changes: list[dict[str, Any]],
    *,
    actor: str,
    now: datetime,
    note: Mapping[str, str],
) -> None:
    connection = session.connection()
    with staged(connection, _BATCH, changes) as batch:
        cases = Case.__table__
        connection.execute(
            update(cases)
            .where(cases.c.id == batch.c.id)
            .values(
                due_date=batch.c.due_date,
                due_at=batch.c.due_at,
                watch_at=batch.c.watch_at,
                version=cases.c.version + 1,
                updated_at=now,
            )
        )
        events = CaseEvent.__table__
        connection.execute(
            insert(events).from_select(
                ["case_id", "at", "actor", "kind", "public", "note", "data"],
                select(
                    batch.c.id,
                    literal(now, UTCDateTime()),
                    literal(actor, Text),
                    literal("retimed", Text),
                    true(),
                    literal(note["zh-TW"], Text),
                    batch.c.data,
                ),
            )
        )
    # Cases held in this session no longer match the rows: reload them on next access.
    session.expire_all()
