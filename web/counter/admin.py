"""Administration: users, reloading the catalogue, declaring and withdrawing closures, reading the
audit log."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from tracker.accounts import audit
from tracker.accounts.users import create_user, generate_password
from tracker.calendar.changes import declare_closure, withdraw_closure
from tracker.cases.queries import all_departments
from tracker.catalogue.file import read_catalogue
from tracker.catalogue.load import load_catalogue
from tracker.catalogue.yaml_nodes import CatalogueInvalid
from tracker.clock import utc_now
from tracker.errors import InvalidInput
from tracker.models import Agency, Closure, ProviderCredit, Role, User
from web.core.database import transaction
from web.counter.access import roles, signed_in
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import (
    CatalogueForm,
    ClosureForm,
    UserForm,
    WithdrawClosureForm,
    error_for,
    options,
    withdraw_prefix,
)
from web.counter.i18n import ct
from web.counter.messages import field_errors
from web.counter.present import local

CITY_WIDE = ""


def catalogue_file() -> Path | None:
    """The catalogue file this installation loads (``CATALOGUE_FILE``), if one is configured."""
    path: Path | None = current_app.config["SETTINGS"].catalogue_file
    return path


def workplace_choices(db: Session) -> list[SelectChoice]:
    """Where a user may work: none (administrators), a department, or a whole agency."""
    agencies = db.scalars(select(Agency).order_by(Agency.code)).all()
    return options(
        [("", ct("None (administrators)"))]
        + [(d.path, f"{local(d.agency.name)} {local(d.name)}") for d in all_departments(db)]
        # Staff of a whole agency: its heads' agency view, its one-stop counter.
        + [(a.code, ct("%(agency)s (the whole agency)", agency=local(a.name))) for a in agencies]
    )


def _choices(db: Session, user_form: UserForm, closure_form: ClosureForm) -> None:
    agencies = db.scalars(select(Agency).order_by(Agency.code)).all()
    user_form.department.choices = workplace_choices(db)
    closure_form.agency.choices = options(
        [(CITY_WIDE, ct("The whole city"))] + [(a.code, local(a.name)) for a in agencies]
    )


def _admin_page(
    status: int = 200,
    *,
    user_form: UserForm | None = None,
    closure_form: ClosureForm | None = None,
    created: tuple[str, str] | None = None,
    report: list[str] | None = None,
    withdraw_form: tuple[int, WithdrawClosureForm] | None = None,
) -> ResponseReturnValue:
    user_form = user_form or UserForm(formdata=None)
    closure_form = closure_form or ClosureForm(formdata=None)
    with transaction() as db:
        _choices(db, user_form, closure_form)
        users = db.scalars(select(User).order_by(User.role, User.username)).all()
        closures = db.scalars(select(Closure).order_by(Closure.day.desc()).limit(20)).all()
        # One withdrawal form per listed closure; the one just refused keeps its errors.
        withdraw_forms = {
            c.id: WithdrawClosureForm(formdata=None, prefix=withdraw_prefix(c.id)) for c in closures
        }
        if withdraw_form is not None:
            withdraw_forms[withdraw_form[0]] = withdraw_form[1]
        agencies = {a.id: a for a in db.scalars(select(Agency)).all()}
        # What the SMS gateway last said is left (Mitake's AccountPoint), if it says.
        credit = db.get(ProviderCredit, "sms")
        return page(
            "admin.html",
            status,
            credit=credit,
            user=signed_in(),
            users=users,
            closures=closures,
            withdraw_forms=withdraw_forms,
            agencies=agencies,
            user_form=user_form,
            closure_form=closure_form,
            catalogue_form=CatalogueForm(formdata=None),
            catalogue_path=catalogue_file(),
            created=created,
            report=report,
        )


@counter.get("/admin")
@roles(Role.ADMIN)
def admin() -> ResponseReturnValue:
    """The administrator's screen: users, catalogue, closures."""
    return _admin_page()


@counter.post("/admin/users")
@roles(Role.ADMIN)
def create_user_view() -> ResponseReturnValue:
    """Create a console user; a generated password is shown once, on this page only."""
    admin_user = signed_in()
    form = UserForm()
    with transaction() as db:
        _choices(db, form, ClosureForm(formdata=None))
    if not form.validate_on_submit():
        return _admin_page(422, user_form=form)
    password = form.password.data or generate_password()
    now = utc_now()
    try:
        with transaction() as db:
            created = create_user(
                db,
                form.username.data or "",
                role=form.role.data or "",
                password=password,
                department=form.department.data or None,
                display_name=form.display_name.data or "",
                now=now,
            )
            audit.record_audit(
                db,
                audit.USER_CREATED,
                actor=admin_user.username,
                at=now,
                target=created.username,
                remote_addr=request.remote_addr,
                data={"role": created.role, "department": form.department.data or None},
            )
            username = created.username
    except InvalidInput as refusal:
        for name, message in field_errors(refusal).items():
            error_for(form, name, message)
        return _admin_page(422, user_form=form)
    # Rendered, not redirected: a password must not travel in a flash message (the cookie).
    shown = None if form.password.data else password
    return _admin_page(201, created=(username, shown or ""))


@counter.post("/admin/catalogue")
@roles(Role.ADMIN)
def reload_catalogue() -> ResponseReturnValue:
    """Reload the configured catalogue file; a refused file changes nothing."""
    admin_user = signed_in()
    form = CatalogueForm()
    if not form.validate_on_submit():
        return _admin_page(400)
    path = catalogue_file()
    if path is None:
        flash(ct("No catalogue file is configured (CATALOGUE_FILE)."), "error")
        return redirect(url_for("counter.admin"), code=303)
    try:
        parsed = read_catalogue(path)
    except (CatalogueInvalid, OSError) as exc:
        flash(
            ct("The catalogue was refused; nothing was changed: %(reason)s", reason=str(exc)),
            "error",
        )
        return redirect(url_for("counter.admin"), code=303)
    now = utc_now()
    with transaction() as db:
        report = load_catalogue(db, parsed, now=now)
        audit.record_audit(
            db,
            audit.CATALOGUE_RELOADED,
            actor=admin_user.username,
            at=now,
            target=path.name,
            remote_addr=request.remote_addr,
            data={"changes": report.lines() if report.changed else []},
        )
    return _admin_page(200, report=report.lines())


@counter.post("/admin/closures")
@roles(Role.ADMIN)
def declare_closure_view() -> ResponseReturnValue:
    """Declare an office closure (typhoon) and re-time the open cases it touches."""
    admin_user = signed_in()
    form = ClosureForm()
    with transaction() as db:
        _choices(db, UserForm(formdata=None), form)
    if not form.validate_on_submit():
        return _admin_page(422, closure_form=form)
    agency = form.agency.data or None
    now = utc_now()
    try:
        with transaction() as db:
            result = declare_closure(
                db,
                form.day.data,
                reason=form.reason.data or "",
                actor=admin_user.username,
                now=now,
                agency_code=agency,
                remote_addr=request.remote_addr,
            )
    except InvalidInput as refusal:
        for name, message in field_errors(refusal).items():
            error_for(form, name, message)
        return _admin_page(422, closure_form=form)
    flash(
        ct(
            "The closure on %(day)s was declared; %(count)s open cases were re-timed.",
            day=form.day.data.isoformat(),
            count=len(result.retimed),
        ),
        "success",
    )
    return redirect(url_for("counter.admin"), code=303)


@counter.post("/admin/closures/<int:closure_id>/withdraw")
@roles(Role.ADMIN)
def withdraw_closure_view(closure_id: int) -> ResponseReturnValue:
    """Withdraw a declared closure (called off, or a mistake) and re-time the cases it moved."""
    admin_user = signed_in()
    form = WithdrawClosureForm(prefix=withdraw_prefix(closure_id))
    with transaction() as db:
        found = db.execute(
            select(Closure.day, Agency.code)
            .outerjoin(Agency, Closure.agency_id == Agency.id)
            .where(Closure.id == closure_id)
        ).first()
    if found is None:
        abort(404)
    day, agency = found
    if not form.validate_on_submit():
        return _admin_page(422, withdraw_form=(closure_id, form))
    reason = form.reason.data or ""
    now = utc_now()
    try:
        with transaction() as db:
            result = withdraw_closure(
                db,
                day,
                reason=reason,
                actor=admin_user.username,
                now=now,
                agency_code=agency,
                remote_addr=request.remote_addr,
            )
    except InvalidInput:  # withdrawn by somebody else meanwhile
        abort(404)
    flash(
        ct(
            "The closure on %(day)s was withdrawn; %(count)s open cases were re-timed.",
            day=day.isoformat(),
            count=len(result.retimed),
        ),
        "success",
    )
    return redirect(url_for("counter.admin"), code=303)


@counter.get("/admin/audit")
@roles(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    """The latest audit entries: logins, users, catalogue reloads, closures."""
    with transaction() as db:
        return page("audit.html", user=signed_in(), entries=audit.recent_audit(db, limit=200))
