"""Filing a case at the counter: choose the service, check its documents, print the receipt.

A clerk files for their own department's services. Staff of a whole agency (its one-stop
counter, 單一窗口) first choose the department the case goes to, explicitly. The receipt then
says where the case went, and everyone who filed it may open it: never a 404 after filing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from config import Settings
from tracker.cases.actions import request_supplement
from tracker.cases.assignment import assign
from tracker.cases.filing import Application, application_errors, file_case
from tracker.cases.line_binding import format_code, line_offer
from tracker.cases.store import get_case
from tracker.clock import utc_now
from tracker.errors import InvalidInput, NotFound
from tracker.models import Case, CaseEvent, Department, Role, Service
from web.core.database import transaction
from web.core.line_links import line_links, send_code_qr
from web.core.qr import status_qr_svg
from web.counter.access import CASE_ROLES, ConsoleUser, roles, signed_in, visible_departments
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import FileCaseForm, error_for, name_errors, options
from web.counter.i18n import ct
from web.counter.messages import field_errors
from web.counter.present import local


def _open_services(db: Session, department: Department) -> list[Service]:
    """The department's services open for filing, by name of their code."""
    services = db.scalars(
        select(Service).where(Service.active.is_(True), Service.department_id == department.id)
    ).all()
    return sorted((s for s in services if s.current_version is not None), key=lambda s: s.code)


@counter.get("/file")
@roles(*CASE_ROLES)
def choose_service() -> ResponseReturnValue:
    """Step 1 of filing: choose the service (staff of a whole agency: first the department)."""
    user = signed_in()
    with transaction() as db:
        departments = visible_departments(db, user)
        chosen = request.args.get("department", "")
        if not user.agency_wide and departments:
            chosen = departments[0].path
        department = next((d for d in departments if d.path == chosen), None)
        if chosen and department is None:
            abort(404)
        return page(
            "choose_service.html",
            user=user,
            departments=departments,
            department=department,
            services=_open_services(db, department) if department else [],
        )


def _service(db: Session, code: str, user: ConsoleUser) -> Service:
    """A service open for filing that this user files for; 404 for any other."""
    service = db.scalar(select(Service).where(Service.code == code, Service.active.is_(True)))
    if service is None or service.current_version is None:
        abort(404)
    if not user.sees(service.department_id, service.department.agency_id):
        abort(404)
    return service


@counter.route("/file/<code>", methods=["GET", "POST"])
@roles(*CASE_ROLES)
def file_service(code: str) -> ResponseReturnValue:
    """Step 2 of filing: the documents checklist and the applicant; then the receipt."""
    user = signed_in()
    form = FileCaseForm()
    with transaction() as db:
        service = _service(db, code, user)
        version = service.current_version
        assert version is not None
        documents = version.required_documents
        form.documents.choices = options([(str(i), local(doc)) for i, doc in enumerate(documents)])
        if not form.validate_on_submit():
            status = 422 if form.is_submitted() else 200
            name_errors(form)
            return page("file_case.html", status, form=form, service=service, version=version)
    ticked = set(form.documents.data or [])
    if form.all_documents.data:
        ticked = {str(i) for i in range(len(documents))}
    missing = [doc for i, doc in enumerate(documents) if str(i) not in ticked]
    if missing and not form.request_missing.data:
        # Refused for the documents, but every other problem is shown now too, not after the
        # next submit.
        error_for(
            form,
            "documents",
            ct(
                "Tick every document received, or tick “Some documents are missing” to file "
                "the case and ask for them."
            ),
        )
        with transaction() as db:
            errors = application_errors(db, _application(form, code), now=utc_now())
        _show_refusal(form, InvalidInput(errors))
    else:
        try:
            number = _file(form, code, missing, user)
        except InvalidInput as refusal:
            _show_refusal(form, refusal)
        else:
            return redirect(url_for("counter.receipt", number=number), code=303)
    name_errors(form)
    with transaction() as db:
        service = _service(db, code, user)
        return page(
            "file_case.html", 422, form=form, service=service, version=service.current_version
        )


def _show_refusal(form: FileCaseForm, refusal: InvalidInput) -> None:
    """Each refused field's message beside the field (an unknown service beside the name)."""
    for name, message in field_errors(refusal).items():
        error_for(form, "applicant_name" if name == "service" else name, message)


def _application(form: FileCaseForm, code: str) -> Application:
    return Application(
        service_code=code,
        applicant_name=form.applicant_name.data or "",
        phone=form.phone.data or None,
        email=form.email.data or None,
        channel=form.channel.data or "counter",
        language=form.language.data or "zh-TW",
        notify_by=form.notify_by.data or None,
        note=form.note.data or None,
    )


def _file(form: FileCaseForm, code: str, missing: list[dict[str, str]], user: ConsoleUser) -> str:
    """File the case; at the filer's own department it is theirs; ask for what is missing."""
    now = utc_now()
    with transaction() as db:
        case = file_case(db, _application(form, code), actor=user.username, now=now)
        if case.department_id == user.department_id:
            assign(db, case.id, user.id, actor=user.username, now=now)
        if missing:
            items = [doc.get(case.language) or doc.get("zh-TW", "") for doc in missing]
            request_supplement(db, case.id, items, actor=user.username, now=now)
        return case.number


def _may_print(db: Session, user: ConsoleUser, case: Case) -> bool:
    """The department's staff may (re)print a receipt, and so may whoever filed the case."""
    if user.sees(case.department_id, case.department.agency_id):
        return True
    return bool(
        db.scalar(
            select(
                exists().where(
                    CaseEvent.case_id == case.id,
                    CaseEvent.kind == "filed",
                    CaseEvent.actor == user.username,
                )
            )
        )
    )


@counter.get("/cases/<number>/receipt")
@roles(Role.CLERK, Role.SUPERVISOR)
def receipt(number: str) -> ResponseReturnValue:
    """The printable receipt: number, service, due date, lookup code and the status QR code."""

    user = signed_in()
    with transaction() as db:
        try:
            case = get_case(db, number)
        except NotFound:
            abort(404)
        if not _may_print(db, user, case):
            abort(404)
        settings = current_app.config["SETTINGS"]
        qr = status_qr_svg(
            settings.public_base_url,
            case.number,
            case.lookup_code,
            label=ct("QR code: the status of case %(number)s", number=case.number),
        )
        line = _line_offer(db, settings, case)
        return page(
            "receipt.html",
            case=case,
            qr=qr,
            line=line,
            may_open=user.sees(case.department_id, case.department.agency_id),
        )


def _line_offer(db: Session, settings: Settings, case: Case) -> dict[str, Any] | None:
    """The receipt's "Get notices on LINE": the case's one-time code and its QR code."""
    if not settings.line_enabled:
        return None
    offer = line_offer(db, case, utc_now())
    if offer is None or offer.code is None:
        return None
    code = format_code(offer.code)
    links = line_links(settings, code)
    label = ct("QR code: send the code to our LINE account")
    return {"code": code, "links": links, "qr": send_code_qr(links, label=label)}
