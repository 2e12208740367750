"""Filing many cases at once, as they stand (cases kept elsewhere until now, a benchmark's seed).

A record says what the office recorded: the service, the applicant, the receipt, the status and
step, a supplement request and the documents' arrival, the closing. Everything else is derived
here by the rules filing and the clerk's actions use: the number from the day's counter, a fresh
lookup code, the deadline (``tracker.deadlines.engine``), the supplement deadline, the figures a
closed case keeps (``tracker.deadlines.days_used``) and the watch's place (``tracker.watch``),
as a watch that ran until ``now`` would have left it: an open case already overdue was told, and
promised a completion by the documented rule. Each case gets its ``filed`` event, as filing
writes it. No notice is written: what these cases had to be told was told when it happened.

Set-based: the rows are staged with COPY (``tracker.bulk``), then one ``INSERT ... SELECT`` per
table writes a chunk of cases, their events and their pauses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.bulk import staged
from tracker.calendar.store import load_calendar
from tracker.cases.deadline import supplement_deadline
from tracker.deadlines.days_used import days_used
from tracker.deadlines.engine import ClockPolicy, Deadline, Pause, compute_deadline
from tracker.deadlines.limits import TimeLimit, parse_limit
from tracker.deadlines.timezones import local_date, require_aware
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.identifiers import case_number, new_lookup_code
from tracker.lifecycle import OPEN_STATUSES, CaseStatus
from tracker.models import Case, CaseCounter, CaseEvent, Service, ServiceVersion
from tracker.models import Pause as PauseRow
from tracker.models.base import UTCDateTime
from tracker.watch.overdue import account_for_overdue
from tracker.watch.rules import WatchState, next_watch_at

CHUNK = 20_000  # cases staged and written together


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One case as the office recorded it; contact details already normalised (E.164 phone)."""

    service_code: str
    received_at: datetime
    applicant_name: str
    notify_by: str  # sms | email | both | none
    phone: str | None = None
    email: str | None = None
    channel: str = "counter"
    language: str = "zh-TW"
    status: CaseStatus = CaseStatus.RECEIVED
    current_step: int = 0
    supplement_requested_at: datetime | None = None  # the latest request, if any
    supplement_arrived_at: datetime | None = None  # None while the documents are missing
    supplement_items: tuple[str, ...] = ()
    closed_at: datetime | None = None


@dataclass(frozen=True)
class _Terms:
    """What the rules need to know of a service: its current SOP and its agency's calendar."""

    service: Service
    version: ServiceVersion
    limit: TimeLimit
    supplement_deadline: TimeLimit
    calendar: WorkCalendar


def file_cases_in_bulk(
    session: Session, records: Sequence[CaseRecord], *, actor: str, now: datetime
) -> int:
    """Write ``records`` as cases, numbered in order of receipt; returns how many.

    Raises ValueError on a record the rules cannot accept (an unknown service, a closed status
    without a closing instant, an open pause on a case not waiting for documents).
    """
    require_aware(now, "now")
    terms = _service_terms(session)
    ordered = sorted(records, key=lambda r: r.received_at)
    days = Counter(local_date(r.received_at) for r in ordered)
    first = _reserve_numbers(session, days)
    numbers = _numbers(ordered, first)
    connection = session.connection()
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        rows = [
            _row(record, terms, number, now=now) | {"id": start + i}
            for i, (record, number) in enumerate(
                zip(chunk, numbers[start : start + CHUNK], strict=True)
            )
        ]
        with staged(connection, _STAGE, rows) as stage:
            _write(session, stage, actor)
    return len(ordered)


def _service_terms(session: Session) -> dict[str, _Terms]:
    found = {}
    for service in session.scalars(select(Service)):
        version = service.current_version
        if version is not None:
            found[service.code] = _Terms(
                service,
                version,
                parse_limit(version.time_limit),
                parse_limit(version.supplement_deadline),
                load_calendar(session, service.department.agency_id),
            )
    return found


def _reserve_numbers(session: Session, days: Counter[date]) -> dict[date, int]:
    """Take each day's numbers from its counter at once (an upsert, as filing takes one)."""
    if not days:
        return {}
    insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert_(CaseCounter).values([{"day": d, "last": n} for d, n in days.items()])
    statement = statement.on_conflict_do_update(
        index_elements=[CaseCounter.day], set_={"last": CaseCounter.last + statement.excluded.last}
    ).returning(CaseCounter.day, CaseCounter.last)
    return {day: last - days[day] + 1 for day, last in session.execute(statement)}


def _numbers(ordered: Sequence[CaseRecord], first: dict[date, int]) -> list[str]:
    next_of = dict(first)
    numbers = []
    for record in ordered:
        day = local_date(record.received_at)
        numbers.append(case_number(day, next_of[day]))
        next_of[day] += 1
    return numbers


def _pauses(record: CaseRecord) -> tuple[Pause, ...]:
    if record.supplement_requested_at is None:
        return ()
    return (Pause(record.supplement_requested_at, record.supplement_arrived_at),)


def _row(
    record: CaseRecord, terms: dict[str, _Terms], number: str, *, now: datetime
) -> dict[str, Any]:
    """The staged row: the case's columns, its pause and its filed event's data."""
    found = terms.get(record.service_code)
    if found is None:
        raise ValueError(f"there is no service '{record.service_code}' to file under")
    closed = record.status not in OPEN_STATUSES
    if closed != (record.closed_at is not None):
        raise ValueError(f"a {record.status} case {'needs' if closed else 'has no'} closed_at")
    waiting = record.supplement_requested_at is not None and record.supplement_arrived_at is None
    if not closed and waiting != (record.status == CaseStatus.AWAITING_SUPPLEMENT):
        raise ValueError("a case awaits documents exactly while its supplement request is open")
    pauses = _pauses(record)
    deadline = compute_deadline(
        record.received_at,
        found.limit,
        found.calendar,
        pauses=pauses,
        clock=ClockPolicy(found.version.supplement_clock),
    )
    supplement_due = None
    if record.supplement_requested_at is not None:
        supplement_due = supplement_deadline(
            record.supplement_requested_at, found.supplement_deadline, found.calendar
        )
    row: dict[str, Any] = {
        "number": number,
        "lookup_code": new_lookup_code(),
        "service_id": found.service.id,
        "service_version_id": found.version.id,
        "department_id": found.service.department_id,
        "channel": record.channel,
        "applicant_name": record.applicant_name,
        "applicant_phone": record.phone,
        "applicant_email": record.email,
        "language": record.language,
        "notify_by": record.notify_by,
        "status": CaseStatus(record.status).value,
        "current_step": record.current_step,
        "received_at": record.received_at,
        "due_date": deadline.due_date if deadline else None,
        "due_at": deadline.overdue_at if deadline else None,
        "closed_at": record.closed_at,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "pause_requested_at": record.supplement_requested_at,
        "pause_resumed_at": record.supplement_arrived_at,
        "pause_items": list(record.supplement_items),
        "supplement_due": supplement_due,
        "filed_data": {"channel": record.channel, "limit": found.version.time_limit},
    }
    row.update(_watch_and_figures(record, found, deadline, supplement_due, now))
    return row


def _watch_and_figures(
    record: CaseRecord,
    terms: _Terms,
    deadline: Deadline | None,
    supplement_due: date | None,
    now: datetime,
) -> dict[str, Any]:
    """The closing figures of a closed case; the watch's columns of an open one."""
    due_at = deadline.overdue_at if deadline else None
    if record.closed_at is not None:
        used = days_used(record.received_at, record.closed_at, _pauses(record), terms.calendar)
        overdue = due_at is not None and due_at <= record.closed_at
        return {
            "working_days_used": used.working_days,
            "paused_days": used.paused_days,
            "overdue_since": due_at if overdue else None,
            "expected_completion": None,
            "watch_at": None,
            "watched_until": None,
        }
    promised = None
    if deadline is not None and deadline.overdue_at <= now:
        promised = account_for_overdue(
            clerk_reason=None,
            default_reason=terms.version.overdue_reason,
            promised=None,
            due_date=deadline.due_date,
            trigger_at=deadline.overdue_at,
            now=now,
            limit=terms.limit,
            calendar=terms.calendar,
        ).expected_completion
    waiting = record.supplement_arrived_at is None
    state = WatchState(
        status=CaseStatus(record.status),
        received_at=record.received_at,
        limit=terms.limit,
        due_date=deadline.due_date if deadline else None,
        due_at=due_at,
        expected_completion=promised,
        supplement_requested_at=record.supplement_requested_at if waiting else None,
        supplement_due=supplement_due if waiting else None,
    )
    return {
        "working_days_used": None,
        "paused_days": None,
        "overdue_since": due_at if promised is not None else None,
        "expected_completion": promised,
        # Every trigger up to now counts as handled: the watch picks up from the next one.
        "watch_at": next_watch_at(state, terms.calendar, now),
        "watched_until": now,
    }


def _write(session: Session, stage: Table, actor: str) -> None:
    """The staged chunk into cases, then its filed events and its pauses."""
    cases = Case.__table__
    session.execute(
        insert(cases).from_select(
            list(_CASE_COLUMNS), select(*(stage.c[n] for n in _CASE_COLUMNS)).order_by(stage.c.id)
        )
    )
    joined = stage.join(cases, cases.c.number == stage.c.number)
    session.execute(
        insert(CaseEvent.__table__).from_select(
            ["case_id", "at", "actor", "kind", "public", "data"],
            select(
                cases.c.id,
                stage.c.received_at,
                literal(actor),
                literal("filed"),
                literal(True),
                stage.c.filed_data,
            ).select_from(joined),
        )
    )
    session.execute(
        insert(PauseRow.__table__).from_select(
            ["case_id", "requested_at", "resumed_at", "items", "supplement_due"],
            select(
                cases.c.id,
                stage.c.pause_requested_at,
                stage.c.pause_resumed_at,
                stage.c.pause_items,
                stage.c.supplement_due,
            )
            .select_from(joined)
            .where(stage.c.pause_requested_at.is_not(None)),
        )
    )


_CASE_COLUMNS = (
    "number", "lookup_code", "service_id", "service_version_id", "department_id", "channel",
    "applicant_name", "applicant_phone", "applicant_email", "language", "notify_by", "status",
    "current_step", "received_at", "due_date", "due_at", "closed_at", "created_at", "updated_at",
    "version", "working_days_used", "paused_days", "overdue_since", "expected_completion",
    "watch_at", "watched_until",
)  # fmt: skip


def _stage_columns() -> Iterator[Column[Any]]:
    # The order of receipt, kept through INSERT ... SELECT so that ids grow with it.
    yield Column("id", Integer, primary_key=True)
    for name in _CASE_COLUMNS:
        kind = Case.__table__.c[name].type
        yield Column(name, String(24) if name == "status" else kind)
    yield Column("pause_requested_at", UTCDateTime())
    yield Column("pause_resumed_at", UTCDateTime())
    yield Column("pause_items", JSON)
    yield Column("supplement_due", Date)
    yield Column("filed_data", JSON)


_STAGE = Table("case_stage", MetaData(), *_stage_columns(), prefixes=["TEMPORARY"])
