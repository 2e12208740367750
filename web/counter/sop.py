"""SOPs edited in the browser: administrators every service, supervisors their own department's
(an agency's supervisors its departments'), creating one or changing names, limit, steps,
documents, legal basis, default overdue reason, supplement rule, pickup and retention.

Every save is checked by the catalogue's reader exactly as a file is (web.counter.sop_forms) and
becomes a new SOP version through the catalogue's loader: open cases keep the version they were
filed under, new cases get the new one. Each save is audited with what it changed. A preview
shows the public page and the due date a case filed now would get, before anything is saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.accounts.audit import SOP_SAVED, record_audit
from tracker.calendar.store import load_calendar
from tracker.catalogue.export import service_spec
from tracker.catalogue.file import ServiceRefused, read_service
from tracker.catalogue.load import load_service, sop_changes
from tracker.catalogue.specs import ServiceSpec, Text
from tracker.clock import utc_now
from tracker.deadlines.engine import compute_deadline
from tracker.models import Agency, Department, Role, Service
from web.core.database import transaction
from web.core.i18n import text_language
from web.counter.access import ConsoleUser, roles, signed_in, visible_departments
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import error_for, name_errors, options
from web.counter.i18n import ct
from web.counter.present import local
from web.counter.sop_forms import SopForm, document, field_for, fill
from web.counter.sop_messages import sop_message

EDITORS = (Role.SUPERVISOR, Role.ADMIN)


def _departments(db: Session, user: ConsoleUser) -> list[Department]:
    """The departments whose SOPs this user edits."""
    if user.role == Role.ADMIN:
        return list(db.scalars(select(Department).order_by(Department.agency_id, Department.id)))
    return visible_departments(db, user)


@counter.get("/services")
@roles(*EDITORS)
def services() -> ResponseReturnValue:
    """The services whose SOPs this user may edit, with their current version."""
    user = signed_in()
    with transaction() as db:
        departments = _departments(db, user)
        rows = db.scalars(
            select(Service)
            .where(Service.active.is_(True), Service.department_id.in_([d.id for d in departments]))
            .order_by(Service.department_id, Service.id)
        ).all()
        return page("sops.html", services=[s for s in rows if s.current_version is not None])


def _editable(db: Session, user: ConsoleUser, code: str) -> Service:
    """The service, locked for the save, if this user edits its SOP; 404 otherwise."""
    service = db.scalar(
        select(Service)
        .where(Service.code == code, Service.active.is_(True))
        # The service's own row: its department and version are joined in, never locked.
        .with_for_update(of=Service)
    )
    allowed = {d.id for d in _departments(db, user)}
    if service is None or service.current_version is None or service.department_id not in allowed:
        abort(404)
    return service


@counter.route("/services/new", methods=["GET", "POST"])
@roles(*EDITORS)
def new_service() -> ResponseReturnValue:
    """A new service: its SOP, checked and saved as version 1."""
    return _edit(None)


@counter.route("/services/<code>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit_service(code: str) -> ResponseReturnValue:
    """A service's SOP, to change: saved as its next version."""
    return _edit(code)


def _edit(code: str | None) -> ResponseReturnValue:
    user = signed_in()
    form = SopForm(formdata=request.form if request.method == "POST" else None)
    now = utc_now()
    with transaction() as db:
        departments = _departments(db, user)
        form.department.choices = options(
            [(d.path, f"{local(d.agency.name)} {local(d.name)}") for d in departments]
        )
        service = _editable(db, user, code) if code is not None else None
        current = service_spec(service, service.current_version) if service else None
        version = service.current_version.version if service and service.current_version else 0
        if request.method == "GET":
            fill(form, current or _blank(departments), version)
            return _page(form, service, version)
        if service is not None:
            form.code.data = service.code  # a service's code never changes: its addresses
        spec = _checked(db, form, current, service)
        if spec is None:
            name_errors(form)
            return _page(form, service, version, status=422)
        if request.form.get("intent") != "save":
            return _page(form, service, version, preview=_preview(db, spec, now))
        if (form.based_on.data or 0) != version:
            form.form_errors.append(
                ct(
                    "Someone saved version %(version)s of this SOP since you opened it: look at "
                    "it again before you save yours.",
                    version=version,
                )
            )
            return _page(form, service, version, status=409)
        report = load_service(db, spec, now=now)
        changes = sop_changes(current, spec)
        if report.changed:
            saved = db.scalar(select(Service).where(Service.code == spec.code))
            assert saved is not None and saved.current_version is not None
            record_audit(
                db,
                SOP_SAVED,
                actor=user.username,
                at=now,
                target=spec.code,
                remote_addr=request.remote_addr,
                data={"version": saved.current_version.version, "changes": changes},
            )
            flash(
                ct(
                    "Version %(version)s of the SOP of %(service)s is saved: new cases get it, "
                    "open cases keep theirs.",
                    version=saved.current_version.version,
                    service=spec.name.get(text_language()),
                ),
                "success",
            )
        else:
            flash(ct("Nothing was changed: the SOP is as it was."), "info")
    return redirect(url_for("counter.services"), code=303)


def _blank(departments: list[Department]) -> ServiceSpec:
    """A new service's starting point: the catalogue's defaults, in the first department."""
    first = departments[0] if departments else None
    return ServiceSpec(
        code="",
        agency=first.agency.code if first else "",
        department=first.code if first else "",
        name=Text(""),
    )


def _checked(
    db: Session, form: SopForm, current: ServiceSpec | None, service: Service | None
) -> ServiceSpec | None:
    """The form's service as the catalogue's reader checks it; None, with every problem beside
    its field, when it is refused."""
    if not form.validate():
        return None
    known: dict[str, set[str]] = {}
    for department in db.scalars(select(Department)):
        known.setdefault(department.agency.code, set()).add(department.code)
    # Codes are unique among every service ever loaded: a service closed for filing keeps its.
    taken = set(db.scalars(select(Service.code))) - ({service.code} if service else set())
    faq = [entry.as_dict() for entry in current.faq] if current else []
    try:
        return read_service(document(form, faq), departments=known, taken=taken)
    except ServiceRefused as refusal:
        for key, reasons in refusal.by_key.items():
            for reason in reasons:
                target = field_for(key, reason)
                error_for(form, target or "", sop_message(reason))
        return None


def _preview(db: Session, spec: ServiceSpec, now: datetime) -> dict[str, Any]:
    """The public page of the SOP as it would read, and the due date of a case filed now."""
    department = db.scalar(
        select(Department)
        .join(Agency)
        .where(Agency.code == spec.agency, Department.code == spec.department)
    )
    assert department is not None
    calendar = load_calendar(db, department.agency_id)
    due = compute_deadline(now, spec.time_limit, calendar)
    return {"sop": SopView(spec), "department": department, "due": due}


class SopView:
    """A checked SOP read like a stored version, for the public page's template."""

    def __init__(self, spec: ServiceSpec) -> None:
        content = spec.content()
        self.name = content["name"]
        self.time_limit = content["time_limit"]
        self.supplement_deadline = content["supplement"]["deadline"]
        self.supplement_clock = content["supplement"]["clock"]
        self.steps = content["steps"]
        self.required_documents = content["required_documents"]
        self.legal_basis = content["legal_basis"]
        self.overdue_reason = content["overdue_reason"]
        self.faq = content["faq"]
        self.pickup = spec.pickup
        self.retention = str(spec.retention)


def _page(
    form: SopForm,
    service: Service | None,
    version: int,
    *,
    status: int = 200,
    preview: dict[str, Any] | None = None,
) -> ResponseReturnValue:
    return page(
        "sop_form.html", status, form=form, service=service, version=version, preview=preview
    )
