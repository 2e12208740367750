"""The catalogue as the database holds it, and as YAML (``tracker catalogue export FILE``).

The console's SOP editor saves new versions into the database; an office that keeps its SOPs
in a file takes them back out with ``export``. The YAML written is a catalogue file as DESIGN
§5.1 describes it, and loading it changes nothing: every agency and department as stored, every
service open for filing with its current SOP version, keys at their defaults left out.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.catalogue.specs import (
    DEFAULT_PICKUP,
    DEFAULT_RETENTION,
    AgencySpec,
    Catalogue,
    DepartmentSpec,
    FaqEntry,
    ServiceSpec,
    Text,
    parse_retention,
)
from tracker.deadlines.limits import parse_limit
from tracker.models import Agency, Department, Service, ServiceVersion


def text_of(stored: dict[str, str]) -> Text:
    """A stored bilingual text (``{"zh-TW": ..., "en": ...}``) as the catalogue's Text."""
    return Text(stored["zh-TW"], stored.get("en"))


def service_spec(service: Service, version: ServiceVersion) -> ServiceSpec:
    """One stored SOP version as the spec it was loaded from (its content hashes the same)."""
    department = service.department
    return ServiceSpec(
        code=service.code,
        agency=department.agency.code,
        department=department.code,
        name=text_of(version.name),
        time_limit=parse_limit(version.time_limit),
        supplement_deadline=parse_limit(version.supplement_deadline),
        supplement_clock="restart" if version.supplement_clock == "restart" else "pause",
        kind="petition" if service.kind == "petition" else "application",
        steps=tuple(text_of(step) for step in version.steps),
        required_documents=tuple(text_of(document) for document in version.required_documents),
        legal_basis=text_of(version.legal_basis) if version.legal_basis else None,
        overdue_reason=text_of(version.overdue_reason),
        faq=tuple(FaqEntry(text_of(entry["q"]), text_of(entry["a"])) for entry in version.faq),
        pickup=version.pickup,
        retention=parse_retention(version.retention),
    )


def _department_spec(department: Department) -> DepartmentSpec:
    return DepartmentSpec(
        code=department.code,
        name=text_of(department.name),
        phone=department.phone,
        email=department.email,
        address=text_of(department.address) if department.address else None,
        hours=text_of(department.hours) if department.hours else None,
    )


def stored_catalogue(session: Session) -> Catalogue:
    """Every agency and department, and every service open for filing at its current SOP."""
    agencies = session.scalars(select(Agency).order_by(Agency.id)).all()
    departments = session.scalars(select(Department).order_by(Department.id)).all()
    services = session.scalars(
        select(Service).where(Service.active.is_(True)).order_by(Service.id)
    ).all()
    return Catalogue(
        tuple(
            AgencySpec(
                code=agency.code,
                name=text_of(agency.name),
                departments=tuple(
                    _department_spec(d) for d in departments if d.agency_id == agency.id
                ),
                short_name=text_of(agency.short_name) if agency.short_name else None,
            )
            for agency in agencies
        ),
        tuple(
            service_spec(service, service.current_version)
            for service in services
            if service.current_version is not None
        ),
    )


def _without_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    # The file leaves out what it does not say: a null would be refused ("must be a mapping").
    return {key: value for key, value in mapping.items() if value is not None}


def service_document(spec: ServiceSpec) -> dict[str, Any]:
    """A service as a catalogue file writes it: keys in the documented order, defaults left out
    where the file may leave them out."""
    content = spec.content()
    document: dict[str, Any] = {
        "code": spec.code,
        "agency": spec.agency,
        "department": spec.department,
        "name": content["name"],
        "time_limit": content["time_limit"],
        "supplement": content["supplement"],
        "kind": spec.kind,
        "steps": content["steps"],
        "required_documents": content["required_documents"],
        "legal_basis": content["legal_basis"],
        "overdue_reason": content["overdue_reason"],
    }
    if spec.faq:
        document["faq"] = content["faq"]
    if spec.pickup != DEFAULT_PICKUP:
        document["pickup"] = spec.pickup
    if spec.retention != DEFAULT_RETENTION:
        document["retention"] = str(spec.retention)
    return _without_empty(document)


def catalogue_document(catalogue: Catalogue) -> dict[str, Any]:
    """The whole catalogue as the file's mapping: ``agencies`` and ``services``."""
    agencies = []
    for agency in catalogue.agencies:
        content = agency.content()
        entry = {"code": agency.code, "name": content["name"]}
        if agency.short_name is not None:
            entry["short_name"] = content["short_name"]
        entry["departments"] = [_without_empty(d) for d in content["departments"]]
        agencies.append(entry)
    return {
        "agencies": agencies,
        "services": [service_document(service) for service in catalogue.services],
    }


def catalogue_yaml(catalogue: Catalogue, header: str = "") -> str:
    """The catalogue as YAML text, each text on one line: ``{zh-TW: 社會課, en: ...}``."""
    body = yaml.safe_dump(
        catalogue_document(catalogue),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        # Never folded: a text stays on its line, and a diff of two exports reads line by line.
        width=1 << 16,
    )
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + body
