"""What the citizen status page shows of a case: public facts only, gathered in one place.

Nothing here reads the applicant's phone, email or address, and the timeline query selects
public events only, so an internal note cannot reach the page by a template slip.

One statement per page (two while the case waits for documents), in Core and with only the
columns shown: the case with its public events joined in, run on PostgreSQL by psycopg itself
(tracker.db.DriverQuery). The service version's, department's and agency's texts come from the
process (StatusPages).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from tracker.db import DriverQuery
from tracker.lifecycle import OPEN_STATUSES, CaseStatus
from tracker.models import Agency, Case, CaseEvent, Department, Pause, ServiceVersion
from tracker.privacy import mask_name


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """One public line of the timeline."""

    at: datetime
    kind: str
    note: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PublicPause:
    """The open supplement request: what is missing and by when."""

    items: list[str]
    supplement_due: date


@dataclass(frozen=True)
class CaseStatusPage:
    """Everything the status page shows, and nothing else."""

    number: str
    masked_name: str
    service_name: dict[str, str]
    agency_name: dict[str, str]
    department_name: dict[str, str]
    department_phone: str | None
    status: str
    is_open: bool
    overdue: bool
    steps: list[dict[str, str]]
    current_step: int
    received_at: datetime
    due_date: date | None
    due_at: datetime | None
    closed_at: datetime | None
    pause: PublicPause | None
    overdue_reason: str | None
    default_overdue_reason: dict[str, str]
    expected_completion: date | None
    timeline: list[PublicEvent]

    @property
    def finished(self) -> bool:
        """Completed: every step is done."""
        return self.status == CaseStatus.COMPLETED

    @property
    def step_count(self) -> int:
        """How many steps the SOP has."""
        return len(self.steps)

    @property
    def steps_done(self) -> int:
        """Steps behind the case, counting the current one as reached (for the progress bar)."""
        if self.finished:
            return self.step_count
        return min(self.current_step + 1, self.step_count)


@dataclass(frozen=True, slots=True)
class _VersionTexts:
    """What the page shows of a service version: its name, steps and default overdue reason."""

    name: dict[str, str]
    steps: list[dict[str, str]]
    overdue_reason: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Handler:
    """What the page shows of a department: its name, its agency's name, its phone."""

    agency_name: dict[str, str]
    department_name: dict[str, str]
    phone: str | None


_cases = Case.__table__
_events = CaseEvent.__table__
_departments = Department.__table__
_agencies = Agency.__table__
_versions = ServiceVersion.__table__
_pauses = Pause.__table__

# The case and its public timeline, newest first (one row of NULL events without any).
_CASE_PAGE = DriverQuery(
    select(
        _cases.c.number,
        _cases.c.applicant_name,
        _cases.c.status,
        _cases.c.current_step,
        _cases.c.received_at,
        _cases.c.due_date,
        _cases.c.due_at,
        _cases.c.closed_at,
        _cases.c.overdue_reason,
        _cases.c.expected_completion,
        _cases.c.service_version_id,
        _cases.c.department_id,
        _cases.c.lookup_generation,
        _events.c.at.label("event_at"),
        _events.c.kind.label("event_kind"),
        _events.c.note.label("event_note"),
        _events.c.data.label("event_data"),
    )
    .select_from(_cases)
    .outerjoin(_events, and_(_events.c.case_id == _cases.c.id, _events.c.public.is_(True)))
    .where(_cases.c.id == bindparam("case_id"))
    .order_by(_events.c.at.desc(), _events.c.id.desc())
)
# The latest pause of a case (asked only while it waits for documents).
_LATEST_PAUSE = DriverQuery(
    select(_pauses.c["items"], _pauses.c.supplement_due, _pauses.c.resumed_at)
    .where(_pauses.c.case_id == bindparam("case_id"))
    .order_by(_pauses.c.requested_at.desc(), _pauses.c.id.desc())
    .limit(1)
)
_VERSION_TEXTS = select(_versions.c.name, _versions.c.steps, _versions.c.overdue_reason).where(
    _versions.c.id == bindparam("version_id")
)
_HANDLERS = select(
    _departments.c.id, _departments.c.name, _departments.c.phone, _agencies.c.name.label("agency")
).join(_agencies, _agencies.c.id == _departments.c.agency_id)

# Seconds a process keeps the departments' names and phones before reading them again.
HANDLERS_TTL = 30.0


class StatusPages:
    """Builds status pages, keeping the catalogue texts they show in the process.

    One per app (``app.extensions["status_pages"]``). Service versions are kept by id for good:
    a version is never changed once written. Departments and agencies change in place on a
    catalogue reload, so they are read again, all at once (a few dozen rows), once HANDLERS_TTL
    has passed: a reload shows on the status page within that.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._versions: dict[int, _VersionTexts] = {}
        self._handlers: dict[int, _Handler] = {}
        self._handlers_read_at: float | None = None

    def _version(self, connection: Connection, version_id: int) -> _VersionTexts:
        texts = self._versions.get(version_id)
        if texts is None:
            row = connection.execute(_VERSION_TEXTS, {"version_id": version_id}).one()
            texts = _VersionTexts(row.name, list(row.steps), row.overdue_reason)
            self._versions[version_id] = texts
        return texts

    def _handler(self, connection: Connection, department_id: int) -> _Handler:
        now = self._clock()
        read_at = self._handlers_read_at
        handler = self._handlers.get(department_id)
        if handler is None or read_at is None or now - read_at >= HANDLERS_TTL:
            self._handlers = {
                row.id: _Handler(row.agency, row.name, row.phone)
                for row in connection.execute(_HANDLERS)
            }
            self._handlers_read_at = now
            handler = self._handlers[department_id]
        return handler

    def load(
        self, connection: Connection, case_id: int, now: datetime, *, lookup_generation: int
    ) -> CaseStatusPage | None:
        """The public view of case ``case_id`` at ``now``, or None if it no longer exists or
        its lookup was forgotten since (the case's generation is no longer the lookup's)."""
        rows = _CASE_PAGE.rows(connection, {"case_id": case_id})
        if not rows:
            return None
        case = rows[0]
        if case.lookup_generation != lookup_generation:
            return None
        status = CaseStatus(case.status)
        is_open = status in OPEN_STATUSES
        version = self._version(connection, case.service_version_id)
        handler = self._handler(connection, case.department_id)
        pause = None
        if status == CaseStatus.AWAITING_SUPPLEMENT:
            pauses = _LATEST_PAUSE.rows(connection, {"case_id": case_id})
            latest = pauses[0] if pauses else None
            if latest is not None and latest.resumed_at is None:
                pause = PublicPause(list(latest.items), latest.supplement_due)
        return CaseStatusPage(
            number=case.number,
            masked_name=mask_name(case.applicant_name),
            service_name=version.name,
            agency_name=handler.agency_name,
            department_name=handler.department_name,
            department_phone=handler.phone,
            status=status.value,
            is_open=is_open,
            overdue=is_open and case.due_at is not None and now >= case.due_at,
            steps=list(version.steps),
            current_step=case.current_step,
            received_at=case.received_at,
            due_date=case.due_date,
            due_at=case.due_at,
            closed_at=case.closed_at,
            pause=pause,
            overdue_reason=case.overdue_reason,
            default_overdue_reason=version.overdue_reason,
            expected_completion=case.expected_completion,
            timeline=[
                PublicEvent(r.event_at, r.event_kind, r.event_note, dict(r.event_data or {}))
                for r in rows
                if r.event_at is not None
            ],
        )
