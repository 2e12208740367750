"""The catalogue as the statistics name it: every agency, department and service, in three reads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Agency, Department, Service, ServiceVersion

Bilingual = dict[str, str]


@dataclass(frozen=True)
class AgencyEntry:
    """An agency's code and name."""

    id: int
    code: str
    name: Bilingual


@dataclass(frozen=True)
class DepartmentEntry:
    """A department's code, name and agency."""

    id: int
    code: str
    name: Bilingual
    agency_id: int


@dataclass(frozen=True)
class ServiceEntry:
    """A service's code, current name, limit, kind, home department and default overdue reason."""

    id: int
    code: str
    name: Bilingual
    kind: str
    time_limit: str
    department_id: int
    overdue_reason: Bilingual


@dataclass(frozen=True)
class StatisticsCatalogue:
    """Lookups from the ids in statistics rows to codes and names."""

    agencies: dict[int, AgencyEntry]
    departments: dict[int, DepartmentEntry]
    services: dict[int, ServiceEntry]

    def department_path(self, department_id: int) -> str:
        """``agency/department`` of a department."""
        department = self.departments[department_id]
        return f"{self.agencies[department.agency_id].code}/{department.code}"


def statistics_catalogue(session: Session) -> StatisticsCatalogue:
    """Every agency, department and service (active or not: old cases keep counting)."""
    agencies = {
        a.id: AgencyEntry(a.id, a.code, a.name)
        for a in session.execute(select(Agency.id, Agency.code, Agency.name))
    }
    departments = {
        d.id: DepartmentEntry(d.id, d.code, d.name, d.agency_id)
        for d in session.execute(
            select(Department.id, Department.code, Department.name, Department.agency_id)
        )
    }
    rows = session.execute(
        select(
            Service.id,
            Service.code,
            Service.kind,
            Service.department_id,
            ServiceVersion.name,
            ServiceVersion.time_limit,
            ServiceVersion.overdue_reason,
        ).outerjoin(ServiceVersion, ServiceVersion.id == Service.current_version_id)
    )
    # A service always gets a version when loaded; without one it is still named by its code.
    services = {
        r.id: ServiceEntry(
            r.id,
            r.code,
            r.name or {"zh-TW": r.code},
            r.kind,
            r.time_limit or "",
            r.department_id,
            r.overdue_reason or {},
        )
        for r in rows
    }
    return StatisticsCatalogue(agencies, departments, services)
