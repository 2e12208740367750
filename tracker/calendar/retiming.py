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
    Row,
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
from tracker.notices.outbox import NOTICE_COLUMNS, BatchNotices, insert_notices
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
    deadlines = _Deadlines(session, touched)
    batch = BatchNotices(session, rows)
    changes: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    result: list[Retimed] = []
    for row in rows:
        deadline = deadlines.of(row)
        if deadline is None or (deadline.due_date, deadline.overdue_at) == (
            row.due_date,
            row.due_at,
        ):
            continue
        old, new = Deadline(row.due_date, row.due_at).display(), deadline.display()
        changes.append(
            {
                "id": row.id,
                "due_date": deadline.due_date,
                "due_at": deadline.overdue_at,
                "watch_at": _next_watch(row, deadline, deadlines.calendar(row.agency_id)),
                "data": {**cause, "note_texts": note, "old_due": old, "new_due": new},
            }
        )
        told = {**cause, "reason": _told(cause["reason"], row.language)}
        extra = {**told, "old_due_date": old, "new_due_date": new}
        notices += batch.rows(row, "retimed", trigger_at=now, now=now, due=deadline, extra=extra)
        result.append(Retimed(row.id, old, new))
    if changes:
        _write(session, changes, actor=actor, now=now, note=note)
        insert_notices(session, notices)
    return result


class _Deadlines:
    """The touched cases' new deadlines: each distinct computation done once.

    Most cases share a service, a day of receipt and no pauses; for day and month limits only
    the day of receipt matters, so cases filed the same day for the same service share one.
    """

    def __init__(self, session: Session, touched: Any) -> None:
        self.session = session
        self.pauses: dict[int, list[Pause]] = defaultdict(list)
        for case_id, started, ended in session.execute(
            select(PauseRow.case_id, PauseRow.requested_at, PauseRow.resumed_at)
            .where(PauseRow.case_id.in_(touched.with_only_columns(Case.id).scalar_subquery()))
            .order_by(PauseRow.case_id, PauseRow.requested_at)
        ):
            self.pauses[case_id].append(Pause(started, ended))
        self.calendars: dict[int, WorkCalendar] = {}
        self.computed: dict[tuple[Any, ...], Deadline | None] = {}

    def calendar(self, agency_id: int) -> WorkCalendar:
        """The agency's calendar, loaded once."""
        if agency_id not in self.calendars:
            self.calendars[agency_id] = load_calendar(self.session, agency_id)
        return self.calendars[agency_id]

    def of(self, row: Row[Any]) -> Deadline | None:
        """The case's deadline on today's calendar."""
        limit = parse_limit(row.time_limit)
        pauses = tuple(self.pauses.get(row.id, ()))
        receipt = local_date(row.received_at) if limit.is_day_based else row.received_at
        key = (row.agency_id, row.time_limit, row.supplement_clock, row.extension, receipt, pauses)
        if key not in self.computed:
            self.computed[key] = compute_deadline(
                row.received_at,
                limit,
                self.calendar(row.agency_id),
                pauses=pauses,
                clock=ClockPolicy(row.supplement_clock),
                extension=parse_limit(row.extension) if row.extension else None,
            )
        return self.computed[key]


def _next_watch(row: Row[Any], deadline: Deadline, calendar: WorkCalendar) -> datetime | None:
    """Where the watch goes for the re-timed case (paused cases are never re-timed here)."""
    state = WatchState(
        status=row.status,
        received_at=row.received_at,
        limit=parse_limit(row.time_limit),
        due_date=deadline.due_date,
        due_at=deadline.overdue_at,
        expected_completion=row.expected_completion,
    )
    return next_watch_at(state, calendar, handled_until(row.watched_until, row.received_at))


def _told(reason: str | Mapping[str, str], language: str) -> str:
    """A closure's reason as an applicant reads it: typed text as it is, the product's own
    words in their language."""
    return reason if isinstance(reason, str) else in_language(reason, language)


def _candidates(first_day: date, last_day: date, agency_id: int | None) -> Any:
    """Open, running cases whose period may contain a day in [first_day, last_day]."""
    starts = start_of_local_day(first_day)
    ends = start_of_local_day(last_day + timedelta(days=1))
    query = (
        select(
            *NOTICE_COLUMNS,
            Case.status,
            Case.received_at,
            Case.due_date,
            Case.due_at,
            Case.extension,
            Case.expected_completion,
            Case.watched_until,
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
