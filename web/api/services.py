"""``/services``: the catalogue another system files cases against."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracker.models import Department, Service
from web.api.auth import CASES_READ
from web.api.errors import ApiError
from web.api.operations import Call, operation
from web.api.present import service_document
from web.api.schemas import ServiceList, ServiceOut
from web.core.database import transaction

_OPEN = (Service.active.is_(True), Service.current_version_id.is_not(None))


@operation("get", "/services", scope=CASES_READ, tag="services", response=ServiceList)
def list_services(call: Call) -> dict[str, Any]:
    """Every service open for filing, with its SOP."""
    with transaction() as session:
        rows = session.scalars(
            select(Service)
            .join(Service.department)
            .where(*_OPEN)
            .order_by(Department.agency_id, Department.id, Service.id)
        ).all()
        return {"items": [service_document(service) for service in rows]}


@operation("get", "/services/{code}", scope=CASES_READ, tag="services", response=ServiceOut)
def get_service(call: Call, code: str) -> dict[str, Any]:
    """One service open for filing, with its SOP."""
    with transaction() as session:
        service = session.scalar(select(Service).where(Service.code == code, *_OPEN))
        if service is None:
            raise ApiError(404, "not_found", f"There is no service '{code}' open for filing.")
        return service_document(service)
