"""Cases and services as anyone may see them (Open311, open data): never a personal detail.

The case query selects public columns only: the applicant's name, phone, email, the case's
notes and the clerk's free-text overdue reason are not in its column list, so no caller can
leak them by a presentation slip.
Case numbers are public here (they carry no personal data); the lookup code is not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select
from sqlalchemy.orm import Session

from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Agency, Case, Department, Pause, Service, ServiceVersion

_cases = Case.__table__
_services = Service.__table__
_versions = ServiceVersion.__table__
_departments = Department.__table__
_agencies = Agency.__table__
_pauses = Pause.__table__

# The deadline of the supplement request a case is waiting on (NULL when it waits on none).
_OPEN_SUPPLEMENT_DUE = (
    select(func.max(_pauses.c.supplement_due))
    .where(_pauses.c.case_id == _cases.c.id, _pauses.c.resumed_at.is_(None))
    .scalar_subquery()
)

_PUBLIC_CASES = (
    select(
        _cases.c.id,
        _cases.c.number,
        _cases.c.status,
        _cases.c.received_at,
        _cases.c.updated_at,
        _cases.c.closed_at,
        _cases.c.due_date,
        _cases.c.due_at,
        _cases.c.expected_completion,
        _services.c.code.label("service_code"),
        _versions.c.name.label("service_name"),
        _versions.c.time_limit,
        _versions.c.overdue_reason.label("default_overdue_reason"),
        _departments.c.name.label("department_name"),
        _agencies.c.name.label("agency_name"),
        _OPEN_SUPPLEMENT_DUE.label("supplement_due"),
    )
    .select_from(_cases)
    .join(_services, _services.c.id == _cases.c.service_id)
    .join(_versions, _versions.c.id == _cases.c.service_version_id)
    .join(_departments, _departments.c.id == _cases.c.department_id)
    .join(_agencies, _agencies.c.id == _departments.c.agency_id)
)

# GeoReport v2: "first 1000 requests returned" at most per query.
MAX_CASES = 1000


@dataclass(frozen=True, slots=True)
class PublicCase:
    """What the public may know of a case: its number, service, progress and deadlines."""

    number: str
    service_code: str
    service_name: dict[str, str]
    time_limit: str
    status: str
    received_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    due_date: date | None
    due_at: datetime | None
    expected_completion: date | None
    # The service's published reason only: the clerk's own words are for the applicant, who
    # reads them behind the lookup code; free text might name someone, and these pages are open.
    default_overdue_reason: dict[str, str]
    agency_name: dict[str, str]
    department_name: dict[str, str]
    supplement_due: date | None

    @property
    def is_open(self) -> bool:
        """Whether the case still needs work."""
        return self.status in OPEN_STATUSES

    def overdue(self, now: datetime) -> bool:
        """Whether the case is open past its due instant at ``now``."""
        return self.is_open and self.due_at is not None and now >= self.due_at


def _public(row: Row[Any]) -> PublicCase:
    return PublicCase(
        number=row.number,
        service_code=row.service_code,
        service_name=dict(row.service_name or {}),
        time_limit=row.time_limit,
        status=str(row.status),
        received_at=row.received_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        due_date=row.due_date,
        due_at=row.due_at,
        expected_completion=row.expected_completion,
        default_overdue_reason=dict(row.default_overdue_reason or {}),
        agency_name=dict(row.agency_name or {}),
        department_name=dict(row.department_name or {}),
        supplement_due=row.supplement_due,
    )


def public_cases_by_number(connection: Connection, numbers: Collection[str]) -> list[PublicCase]:
    """The cases with these numbers (unknown numbers are left out), newest first."""
    if not numbers:
        return []
    query = _PUBLIC_CASES.where(_cases.c.number.in_(sorted(set(numbers))))
    return _run(connection, query, MAX_CASES)


def find_public_cases(
    connection: Connection,
    *,
    received_from: datetime,
    received_until: datetime,
    service_codes: Collection[str] = (),
    open_: bool | None = None,
    limit: int = MAX_CASES,
) -> list[PublicCase]:
    """Cases received in [from, until], newest first; optionally of some services, open or not."""
    query = _PUBLIC_CASES.where(
        _cases.c.received_at >= received_from, _cases.c.received_at <= received_until
    )
    if service_codes:
        query = query.where(_services.c.code.in_(sorted(set(service_codes))))
    if open_ is True:
        query = query.where(_cases.c.status.in_(sorted(OPEN_STATUSES)))
    elif open_ is False:
        query = query.where(_cases.c.status.not_in(sorted(OPEN_STATUSES)))
    return _run(connection, query, limit)


def _run(connection: Connection, query: Select[Any], limit: int) -> list[PublicCase]:
    query = query.order_by(_cases.c.received_at.desc(), _cases.c.id.desc()).limit(limit)
    return [_public(row) for row in connection.execute(query)]


def open_services(session: Session) -> Sequence[Service]:
    """Every service open for applications, in the catalogue's order (agency, department)."""
    return session.scalars(
        select(Service)
        .join(Service.department)
        .where(Service.active.is_(True), Service.current_version_id.is_not(None))
        .order_by(Department.agency_id, Department.id, Service.id)
    ).all()


def open_service(session: Session, code: str) -> Service | None:
    """The service ``code`` if it is open for applications, else None."""
    service = session.scalar(select(Service).where(Service.code == code, Service.active.is_(True)))
    if service is None or service.current_version is None:
        return None
    return service
