"""Putting a checked catalogue file into the database (``tracker catalogue load``), or one
service saved in the console's SOP editor (``load_service``).

Agencies and departments are updated in place. A service whose SOP changed gets a new version;
cases already filed keep the version they were filed under, so a changed limit applies to new
cases only. An unchanged file changes nothing at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.catalogue.specs import Catalogue, ServiceSpec
from tracker.models import Agency, Department, Service, ServiceVersion


@dataclass
class LoadReport:
    """What a load changed, for the person who ran it."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the load changed anything."""
        return bool(self.added or self.updated or self.new_versions or self.deactivated)

    def lines(self) -> list[str]:
        """A human summary, one line per change."""
        if not self.changed:
            return ["No changes: the catalogue is already up to date."]
        return (
            [f"added {item}" for item in self.added]
            + [f"updated {item}" for item in self.updated]
            + [f"new SOP version for {item} (open cases keep theirs)" for item in self.new_versions]
            + [f"no longer open for filing: {item}" for item in self.deactivated]
        )


def content_hash(spec: ServiceSpec) -> str:
    """A digest of the SOP: equal digests mean the same version."""
    canonical = json.dumps(spec.content(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_catalogue(session: Session, catalogue: Catalogue, *, now: datetime) -> LoadReport:
    """Apply ``catalogue`` in the caller's transaction and say what changed."""
    report = LoadReport()
    departments: dict[tuple[str, str], Department] = {}

    for agency_spec in catalogue.agencies:
        agency = session.scalar(select(Agency).where(Agency.code == agency_spec.code))
        name = agency_spec.name.as_dict()
        short_name = agency_spec.short_name.as_dict() if agency_spec.short_name else None
        if agency is None:
            agency = Agency(code=agency_spec.code, name=name, short_name=short_name)
            session.add(agency)
            session.flush()
            report.added.append(f"agency {agency.code}")
        elif (agency.name, agency.short_name) != (name, short_name):
            agency.name, agency.short_name = name, short_name
            report.updated.append(f"agency {agency.code}")
        for spec in agency_spec.departments:
            values = spec.content()
            department = session.scalar(
                select(Department).where(
                    Department.agency_id == agency.id, Department.code == spec.code
                )
            )
            if department is None:
                department = Department(agency=agency, **values)
                session.add(department)
                report.added.append(f"department {agency.code}/{spec.code}")
            elif any(getattr(department, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(department, key, value)
                report.updated.append(f"department {agency.code}/{spec.code}")
            departments[(agency.code, spec.code)] = department
    session.flush()

    listed = {service_spec.code for service_spec in catalogue.services}
    for service_spec in catalogue.services:
        department = departments[(service_spec.agency, service_spec.department)]
        _load_service(session, service_spec, department, now, report)

    for service in session.scalars(select(Service).where(Service.active.is_(True))):
        if service.code not in listed:
            service.active = False
            report.deactivated.append(f"service {service.code}")
    session.flush()
    return report


def load_service(session: Session, spec: ServiceSpec, *, now: datetime) -> LoadReport:
    """Apply one checked service (the SOP editor's save) in the caller's transaction: a new SOP
    version when it changed, nothing when it did not. Its agency and department must exist."""
    department = session.scalar(
        select(Department)
        .join(Agency)
        .where(Agency.code == spec.agency, Department.code == spec.department)
    )
    if department is None:
        raise ValueError(f"there is no department '{spec.agency}/{spec.department}'")
    report = LoadReport()
    _load_service(session, spec, department, now, report)
    session.flush()
    return report


def sop_changes(before: ServiceSpec | None, after: ServiceSpec) -> dict[str, Any]:
    """What a new SOP version changes, key by key (``{"time_limit": {"from": "30wd", "to":
    "20wd"}}``): the audit log's diff of a save. Everything, from nothing, for a new service."""
    old = before.content() if before is not None else {}
    new = after.content()
    return {
        key: {"from": old.get(key), "to": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def _load_service(
    session: Session, spec: ServiceSpec, department: Department, now: datetime, report: LoadReport
) -> None:
    digest = content_hash(spec)
    service = session.scalar(select(Service).where(Service.code == spec.code))
    if service is None:
        service = Service(code=spec.code, department=department, kind=spec.kind, active=True)
        session.add(service)
        session.flush()
        report.added.append(f"service {spec.code} ({spec.time_limit})")
    else:
        if not service.active:
            service.active = True
            report.updated.append(f"service {spec.code} (open for filing again)")
        if service.current_version and service.current_version.content_hash == digest:
            return
        service.department = department
        service.kind = spec.kind
        if service.current_version is not None:
            report.new_versions.append(
                f"service {spec.code} ({service.current_version.time_limit} → {spec.time_limit})"
                if service.current_version.time_limit != str(spec.time_limit)
                else f"service {spec.code}"
            )
    latest = session.scalar(
        select(func.max(ServiceVersion.version)).where(ServiceVersion.service_id == service.id)
    )
    content = spec.content()
    version = ServiceVersion(
        service=service,
        service_id=service.id,
        version=(latest or 0) + 1,
        name=content["name"],
        time_limit=content["time_limit"],
        supplement_deadline=content["supplement"]["deadline"],
        supplement_clock=content["supplement"]["clock"],
        steps=content["steps"],
        required_documents=content["required_documents"],
        legal_basis=content["legal_basis"],
        overdue_reason=content["overdue_reason"],
        faq=content["faq"],
        pickup=spec.pickup,
        retention=str(spec.retention),
        content_hash=digest,
        created_at=now,
    )
    session.add(version)
    session.flush()
    service.current_version = version
