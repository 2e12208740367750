"""The deadline watch (DESIGN §4.6): find what has just fallen due and write its notices.

``sweep_batch`` reads only the cases whose ``watch_at`` has passed — a range scan over a partial
index, so a tick costs the number of cases due, not the number open — and, in one transaction,
handles their triggers, marks them handled and writes every notice they cause. Notices carry a
dedupe key with the trigger instant, so two sweeps racing (or a sweep re-run after a crash) write
each notice once. On PostgreSQL concurrent sweeps also skip each other's locked rows.

The batch is set-based, like closure re-timing: the due cases are read as plain rows (no ORM
objects), the pure rules in ``tracker.watch.rules`` decide in Python, and the writes are one
``UPDATE ... FROM`` a staged table, one multi-row INSERT of timeline events and one of notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    Date,
    MetaData,
    Row,
    Table,
    any_,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Session

from tracker.bulk import append_rows, staged
from tracker.calendar.store import load_calendar
from tracker.deadlines.engine import Deadline
from tracker.deadlines.limits import TimeLimit, parse_limit
from tracker.deadlines.workcalendar import WorkCalendar
from tracker.models import Case, CaseEvent, Pause, ServiceVersion
from tracker.models.base import UTCDateTime
from tracker.notices.outbox import NOTICE_COLUMNS, STAFF_LANGUAGE, BatchNotices, insert_notices
from tracker.watch.overdue import account_for_overdue
from tracker.watch.rules import (
    Trigger,
    WatchState,
    handled_until,
    triggers,
)

ACTOR = "system:watch"

# What a sweep changes on each case it handled.
_SWEPT = Table(
    "sweep_batch",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("watch_at", UTCDateTime()),
    Column("overdue_since", UTCDateTime()),
    Column("expected_completion", Date),
    prefixes=["TEMPORARY"],
)


_EVENT_COLUMNS = (
    "case_id",
    "at",
    "actor",
    "kind",
    "from_status",
    "to_status",
    "public",
    "note",
    "data",
)


@dataclass
class SweepReport:
    cases: int = 0
    handled: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        """Count one handled trigger of ``kind``."""
        self.handled[kind] = self.handled.get(kind, 0) + 1


@dataclass
class _Writes:
    """Everything one batch will write, gathered before a single round of statements."""

    now: datetime
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)

    def event(
        self, case_id: int, kind: str, note: str, data: dict[str, Any], *, public: bool
    ) -> None:
        """One timeline line by the watch."""
        self.events.append(
            {
                "case_id": case_id,
                "at": self.now,
                "actor": ACTOR,
                "kind": kind,
                "from_status": None,
                "to_status": None,
                "public": public,
                "note": note,
                "data": data,
            }
        )


@dataclass
class _Due:
    """A due case as the sweep sees it; ``overdue_since`` and the promise change as it goes."""

    row: Row[Any]
    version: ServiceVersion
    agency_id: int
    pause: Pause | None  # the latest supplement request, open or not
    limit: TimeLimit
    overdue_since: datetime | None
    expected_completion: date | None
    batch: BatchNotices

    def state(self) -> WatchState:
        """The facts the watch rules need."""
        row, pause = self.row, self.pause if self.pause and self.pause.resumed_at is None else None
        return WatchState(
            status=row.status,
            received_at=row.received_at,
            limit=self.limit,
            due_date=row.due_date,
            due_at=row.due_at,
            expected_completion=self.expected_completion,
            supplement_requested_at=pause.requested_at if pause else None,
            supplement_due=pause.supplement_due if pause else None,
        )

    def notices(
        self, kind: str, trigger_at: datetime, now: datetime, **extra: Any
    ) -> list[dict[str, Any]]:
        """The outbox rows of notice ``kind`` about this case."""
        row = self.row
        due = Deadline(row.due_date, row.due_at) if row.due_at else None
        return self.batch.rows(row, kind, trigger_at=trigger_at, now=now, due=due, extra=extra)


def sweep_batch(session: Session, *, now: datetime, batch_size: int = 500) -> SweepReport:
    """Handle up to ``batch_size`` cases whose watch is due, in the caller's transaction."""
    rows = session.execute(_due_cases(session, now, batch_size)).all()
    report = SweepReport()
    if not rows:
        return report
    due = _load(session, rows)
    calendars: dict[int, WorkCalendar] = {}
    writes = _Writes(now)
    for case in due:
        agency = case.agency_id
        if agency not in calendars:
            calendars[agency] = load_calendar(session, agency)
        _sweep_case(case, calendars[agency], writes, report)
    _write(session, writes)
    return report


def _due_cases(session: Session, now: datetime, batch_size: int) -> Any:
    query = (
        select(
            *NOTICE_COLUMNS,
            Case.status,
            Case.received_at,
            Case.due_date,
            Case.due_at,
            Case.expected_completion,
            Case.overdue_reason,
            Case.overdue_since,
            Case.watched_until,
        )
        .where(Case.watch_at <= now)
        .order_by(Case.watch_at)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def _load(session: Session, rows: Sequence[Row[Any]]) -> list[_Due]:
    """The rows with their texts and their latest pause, read once per batch."""
    batch = BatchNotices(session, rows)
    ids = [r.id for r in rows]
    which = (
        # One array parameter, not thousands of placeholders for the driver to parse.
        Pause.case_id == any_(bindparam("case_ids", ids, type_=ARRAY(BigInteger)))
        if session.get_bind().dialect.name == "postgresql"
        else Pause.case_id.in_(ids)
    )
    latest: dict[int, Pause] = {}
    # Ordered by request time, so the last one seen for a case is its latest (as Case.pauses[-1]).
    for pause in session.scalars(
        select(Pause).where(which).order_by(Pause.case_id, Pause.requested_at)
    ):
        latest[pause.case_id] = pause
    return [
        _Due(
            row=row,
            version=batch.version(row),
            agency_id=batch.department(row).agency_id,
            pause=latest.get(row.id),
            limit=parse_limit(batch.version(row).time_limit),
            overdue_since=row.overdue_since,
            expected_completion=row.expected_completion,
            batch=batch,
        )
        for row in rows
    ]


def _sweep_case(case: _Due, calendar: WorkCalendar, writes: _Writes, report: SweepReport) -> None:
    """Handle the case's triggers in (handled until, now] and point its watch at the next."""
    now, row = writes.now, case.row
    since = handled_until(row.watched_until, row.received_at)
    state = case.state()
    found = triggers(state, calendar)
    # A warning that a deadline is coming is noise once it has passed (a sweep catching up).
    passed = {t.kind for t in found if t.at <= now} & {"overdue", "supplement_lapsed"}
    for trigger in found:
        stale = (trigger.kind == "due_soon" and "overdue" in passed) or (
            trigger.kind == "supplement_reminder" and "supplement_lapsed" in passed
        )
        if since < trigger.at <= now and not stale:
            _handle(case, trigger, calendar, writes)
            report.count(trigger.kind)
    # Handling may promise a completion date, which adds a trigger: only then ask again.
    if case.state() != state:
        found = triggers(case.state(), calendar)
    # Triggers up to now are handled: the next one strictly after now is where the watch goes.
    next_at = next((t.at for t in found if t.at > now), None)
    writes.cases.append(
        {
            "id": row.id,
            "watch_at": next_at,
            "overdue_since": case.overdue_since,
            "expected_completion": case.expected_completion,
        }
    )
    report.cases += 1


def _handle(case: _Due, trigger: Trigger, calendar: WorkCalendar, writes: _Writes) -> None:
    """Act on one trigger: its timeline line, if any, and its notices."""
    now = writes.now
    if trigger.kind == "overdue":
        _overdue(case, trigger, calendar, writes)
        return
    if trigger.kind == "due_soon":
        writes.notices += case.notices("due_soon", trigger.at, now)
        return
    assert case.pause is not None
    due = case.pause.supplement_due.isoformat()
    values = {"items": case.pause.items, "supplement_due": due}
    if trigger.kind == "supplement_lapsed":
        # The clerk decides what next (remind again, or reject).
        texts = {
            "zh-TW": f"補正期限 {due} 已過，尚未收到文件。",
            "en": f"The deadline for the documents, {due}, has passed without them.",
        }
        writes.event(
            case.row.id,
            "supplement_lapsed",
            texts["zh-TW"],
            # Each reader's language (web.core.formatting.event_note); the stored note is
            # the Chinese.
            {"supplement_due": due, "note_texts": texts},
            public=False,
        )
    writes.notices += case.notices(trigger.kind, trigger.at, now, **values)


def _overdue(case: _Due, trigger: Trigger, calendar: WorkCalendar, writes: _Writes) -> None:
    """逾期主動告知: tell the applicant why, where the case stands, and when it will be done."""
    now, row = writes.now, case.row
    if case.overdue_since is None:
        case.overdue_since = trigger.at
    account = account_for_overdue(
        clerk_reason=row.overdue_reason,
        default_reason=case.version.overdue_reason,
        promised=case.expected_completion,
        due_date=row.due_date,
        trigger_at=trigger.at,
        now=now,
        limit=case.limit,
        calendar=calendar,
    )
    case.expected_completion = account.expected_completion
    # Staff (and the stored note) read the office's language; the applicant reads theirs.
    writes.event(
        row.id,
        "overdue",
        account.reason(STAFF_LANGUAGE),
        account.event_data(STAFF_LANGUAGE, trigger.at),
        public=True,
    )
    writes.notices += case.notices("overdue", trigger.at, now, **account.values(row.language))
    if account.needs_confirmation:
        writes.notices += case.notices(
            "overdue_clerk", trigger.at, now, **account.staff_values(STAFF_LANGUAGE)
        )


def _write(session: Session, writes: _Writes) -> None:
    """Mark the cases handled, append the timeline lines, queue the notices: three statements."""
    connection = session.connection()
    cases = Case.__table__
    with staged(connection, _SWEPT, writes.cases) as swept:
        connection.execute(
            update(cases)
            .where(cases.c.id == swept.c.id)
            .values(
                watched_until=writes.now,
                watch_at=swept.c.watch_at,
                overdue_since=swept.c.overdue_since,
                expected_completion=swept.c.expected_completion,
                # An open console form on this case is now stale: the promise may have changed.
                version=cases.c.version + 1,
            )
        )
    append_rows(connection, CaseEvent.__table__, _EVENT_COLUMNS, writes.events)
    insert_notices(session, writes.notices)
    # Cases held in this session no longer match the rows: reload them on next access.
    session.expire_all()
