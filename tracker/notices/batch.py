"""Notices about many cases at once, from plain rows: the deadline sweep and closure re-timing.

Bulk writers read cases as rows, not ORM objects. The texts of the few services and departments
a batch involves are read once for all of its rows, and each case's notice values once per
language and due date, however many of its triggers a batch handles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from tracker.deadlines.engine import Deadline
from tracker.models import Case, Department, ServiceVersion
from tracker.notices.outbox import Addressees, notice_language, notice_rows
from tracker.notices.values import values_of

# The columns a row must carry for its notices (select them with the writer's own).
NOTICE_COLUMNS = (
    Case.id,
    Case.number,
    Case.lookup_code,
    Case.applicant_name,
    Case.language,
    Case.notify_by,
    Case.applicant_phone,
    Case.applicant_email,
    Case.current_step,
    Case.service_version_id,
    Case.department_id,
)


class BatchNotices:
    """The catalogue texts of a batch of case rows, and their notices' outbox rows."""

    def __init__(self, session: Session, rows: Sequence[Row[Any]]) -> None:
        self.versions = {
            v.id: v
            for v in session.scalars(
                select(ServiceVersion).where(
                    ServiceVersion.id.in_({r.service_version_id for r in rows})
                )
            )
        }
        self.departments = {
            d.id: d
            for d in session.scalars(
                select(Department).where(Department.id.in_({r.department_id for r in rows}))
            )
        }
        self._values: dict[tuple[int, str, Deadline | None], dict[str, Any]] = {}

    def version(self, row: Row[Any]) -> ServiceVersion:
        """The SOP version the case was filed under."""
        return self.versions[row.service_version_id]

    def department(self, row: Row[Any]) -> Department:
        """The department handling the case."""
        return self.departments[row.department_id]

    def rows(
        self,
        row: Row[Any],
        kind: str,
        *,
        trigger_at: datetime,
        now: datetime,
        due: Deadline | None,
        extra: Mapping[str, Any],
    ) -> list[dict[str, Any]]:
        """The outbox rows of notice ``kind`` about the case in ``row``, due as ``due`` says."""
        to = Addressees(
            row.id,
            row.language,
            row.notify_by,
            row.applicant_phone,
            row.applicant_email,
            self.department(row).email,
        )
        values = self._values_of(row, notice_language(kind, row.language), due)
        return notice_rows(to, kind, trigger_at=trigger_at, now=now, values={**values, **extra})

    def _values_of(self, row: Row[Any], language: str, due: Deadline | None) -> dict[str, Any]:
        key = (row.id, language, due)
        known = self._values.get(key)
        if known is None:
            version, department = self.version(row), self.department(row)
            known = self._values[key] = values_of(
                number=row.number,
                lookup_code=row.lookup_code,
                applicant_name=row.applicant_name,
                language=language,
                service_name=version.name,
                steps=version.steps,
                current_step=row.current_step,
                department_name=department.name,
                department_phone=department.phone,
                due=due,
            )
        return known
