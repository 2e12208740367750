"""Public SOP pages (服務資訊公開): every service with its limit, steps, documents and contact."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from tracker.models import Agency, Department, Service
from web.core.database import current_database

services = Blueprint("services", __name__, url_prefix="/services")


@dataclass
class DepartmentGroup:
    """A department with the services it handles."""

    department: Department
    services: list[Service] = field(default_factory=list)


@dataclass
class AgencyGroup:
    """An agency with its departments that offer services."""

    agency: Agency
    departments: list[DepartmentGroup] = field(default_factory=list)


def _open_services() -> list[Service]:
    database = current_database()
    with database.transaction() as db:
        return list(
            db.scalars(
                select(Service)
                .join(Service.department)
                .where(Service.active.is_(True), Service.current_version_id.is_not(None))
                # The catalogue file's order: agencies, then departments, as the office lists them.
                .order_by(Department.agency_id, Department.id, Service.id)
            )
        )


def group_services(rows: list[Service]) -> list[AgencyGroup]:
    """Services grouped by agency, then department, keeping their order."""
    agencies: dict[int, AgencyGroup] = {}
    departments: dict[int, DepartmentGroup] = {}
    for service in rows:
        department = service.department
        agency = agencies.get(department.agency_id)
        if agency is None:
            agency = agencies[department.agency_id] = AgencyGroup(department.agency)
        group = departments.get(department.id)
        if group is None:
            group = departments[department.id] = DepartmentGroup(department)
            agency.departments.append(group)
        group.services.append(service)
    return list(agencies.values())


@services.get("")
def index() -> str:
    """Every service open for applications, grouped by office and section, with its limit."""
    return render_template("public/services.html", agencies=group_services(_open_services()))


@services.get("/<code>")
def detail(code: str) -> str:
    """One service's SOP: limit, steps, documents, legal basis, contact and FAQ."""
    database = current_database()
    with database.transaction() as db:
        service = db.scalar(select(Service).where(Service.code == code, Service.active.is_(True)))
    if service is None or service.current_version is None:
        abort(404)
    return render_template("public/service.html", service=service, sop=service.current_version)
