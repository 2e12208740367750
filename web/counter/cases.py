"""The case page: what happened, where it stands, and every action its status allows now.

Each action is a small POST form carrying the case version the page showed. The domain takes
the row lock and compares versions, so a form from before somebody else's change is refused
(409) and changes nothing; the page then shows the case as it is now.

A refused form comes back the GOV.UK way: every problem at once, each naming its field, in a
summary at the top of the page with the refused panel open beneath it. The form's own checks
and the domain's are both run (the domain's in a transaction rolled back), so a clerk learns
of a missing reason and a bad number in one go. Actions that cannot be undone (completing,
rejecting, withdrawing, closing a petition, transferring out) are checked the same way and
then asked to be confirmed before they are done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from tracker.calendar.store import load_calendar
from tracker.cases.letter_tasks import case_tasks
from tracker.cases.queries import (
    all_departments,
    case_notices,
    case_timeline,
    department_users,
)
from tracker.clock import utc_now
from tracker.errors import Conflict, IllegalTransition, InvalidInput
from tracker.models import Case, Notice, Role
from web.core.database import transaction
from web.counter import forms
from web.counter.access import CASE_ROLES, ConsoleUser, case_for, roles, signed_in
from web.counter.blueprint import counter
from web.counter.case_actions import ACTIONS, CONFIRMED, Context, available
from web.counter.common import page
from web.counter.forms import error_for, name_errors, options
from web.counter.messages import field_errors, refusal_message
from web.counter.present import local, queue_row


def _choices(form: FlaskForm, db: Session, case: Case, user: ConsoleUser) -> None:
    """Fill the choices a form takes from the case (steps, documents, departments, users)."""
    if isinstance(form, forms.StepForm):
        form.step.choices = options(
            [(i, f"{i + 1}. {local(step)}") for i, step in enumerate(case.service_version.steps)]
        )
    elif isinstance(form, forms.SupplementForm):
        form.documents.choices = options(
            [(str(i), local(doc)) for i, doc in enumerate(case.service_version.required_documents)]
        )
    elif isinstance(form, forms.TransferForm):
        form.department.choices = options(
            [
                (d.path, f"{local(d.agency.name)} {local(d.name)}")
                for d in all_departments(db)
                if d.id != case.department_id
            ]
        )
    elif isinstance(form, forms.AssignForm):
        # A clerk takes a case for themselves; a supervisor hands it to anyone in the department.
        users = department_users(db, case.department_id)
        if user.role != Role.SUPERVISOR:
            users = [u for u in users if u.id == user.id]
        form.user.choices = options([(u.id, u.display_name or u.username) for u in users])


def _fresh(name: str, db: Session, case: Case, user: ConsoleUser) -> FlaskForm:
    """An empty form for an action, carrying the version the page shows."""
    form = ACTIONS[name].form(prefix=name, formdata=None)
    _choices(form, db, case, user)
    if isinstance(form, forms.StepForm):
        form.step.data = min(case.current_step + 1, len(case.service_version.steps) - 1)
    if isinstance(form, forms.VersionedForm):
        form.version.data = case.version
    return form


def _forms(
    db: Session,
    case: Case,
    user: ConsoleUser,
    now: datetime,
    failed: tuple[str, FlaskForm] | tuple[None, None],
) -> dict[str, FlaskForm]:
    """A form for every available action; the one that failed keeps what was typed."""
    name_failed, form_failed = failed
    return {
        name: form_failed
        if name == name_failed and form_failed is not None
        else _fresh(name, db, case, user)
        for name in available(case, now)
    }


def _task_forms(
    tasks: list[Notice], failed: tuple[int, FlaskForm] | tuple[None, None]
) -> dict[int, FlaskForm]:
    """A "done" form for every open letter task; the one that failed keeps what was typed."""
    task_failed, form_failed = failed
    return {
        task.id: form_failed
        if task.id == task_failed and form_failed is not None
        else forms.TaskDoneForm(prefix=forms.task_prefix(task.id), formdata=None)
        for task in tasks
        if task.done_at is None
    }


def render_case_page(
    number: str,
    status: int = 200,
    *,
    failed: tuple[str, FlaskForm] | tuple[None, None] = (None, None),
    failed_task: tuple[int, FlaskForm] | tuple[None, None] = (None, None),
    refusal: str | None = None,
) -> ResponseReturnValue:
    """The case page, with a refusal or a form that failed shown where it belongs."""
    user = signed_in()
    now = utc_now()
    for _name, form in (failed, failed_task):
        if form is not None:
            name_errors(form)
    with transaction() as db:
        case = case_for(db, user, number)
        calendar = load_calendar(db, case.department.agency_id)
        notices = case_notices(db, case.id)
        tasks = case_tasks(notices)
        assigned = None
        if case.assigned_user_id is not None:
            assigned = next(
                (
                    u
                    for u in department_users(db, case.department_id)
                    if u.id == case.assigned_user_id
                ),
                None,
            )
        return page(
            "case.html",
            status,
            user=user,
            case=case,
            row=queue_row(case, calendar, now) if case.is_open else None,
            assigned=assigned,
            events=case_timeline(db, case.id),
            notices=notices,
            tasks=tasks,
            task_forms=_task_forms(tasks, failed_task),
            open_pause=case.pauses[-1]
            if case.pauses and case.pauses[-1].resumed_at is None
            else None,
            forms=_forms(db, case, user, now, failed),
            actions=ACTIONS,
            confirmed_actions=CONFIRMED,
            refusal=refusal,
            open_action=failed[0],
        )


@counter.get("/cases/<number>")
@roles(*CASE_ROLES)
def case_page(number: str) -> ResponseReturnValue:
    """One case: timeline, SOP steps, notices, tasks and the actions allowed now."""
    return render_case_page(number)


# Domain field names that a form calls differently.
_FIELD_ALIASES = {("request_supplement", "items"): "other_items", ("extend", "extension"): "amount"}


class _NotValid(Exception):
    """The form, or the domain's checks of what it says, refused it: nothing was changed."""


class _ToConfirm(Exception):
    """The action passed every check and waits for the clerk's confirmation: nothing changed."""


def _checkable(form: FlaskForm) -> bool:
    """Whether a refused form is still worth the domain's checks: it is this page's own form
    (its token and version came back), only some of its values are missing or malformed."""
    version = getattr(form, "version", None)
    return not form.csrf_token.errors and (version is None or not version.errors)


@contextmanager
def _without_refused_values(form: FlaskForm) -> Iterator[None]:
    """The domain checks what the form let through: a value the form refused (a date in year
    9999) is given as missing, and shown again as typed afterwards."""
    refused = {field.name: field.data for field in form if field.errors}
    for field in form:
        if field.name in refused:
            field.data = None
    try:
        yield
    finally:
        for field in form:
            if field.name in refused:
                field.data = refused[field.name]


def _add_refusal(form: FlaskForm, action: str, refusal: InvalidInput) -> None:
    """The domain's problems beside their fields; a field the form refused keeps its own."""
    for name, message in field_errors(refusal).items():
        target = _FIELD_ALIASES.get((action, name), name)
        field = getattr(form, target, None)
        if field is None or not field.errors:
            error_for(form, target, message)


@counter.post("/cases/<number>/<action>")
@roles(*CASE_ROLES)
def act(number: str, action: str) -> ResponseReturnValue:
    """Carry out one action on a case from its form (after a confirmation where it asks one)."""
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    user = signed_in()
    now = utc_now()
    form = spec.form(prefix=action)
    confirming = action in CONFIRMED and request.form.get("confirmed") != "yes"
    try:
        # An exception anywhere in here rolls the whole transaction back: nothing is changed.
        with transaction() as db:
            case = case_for(db, user, number)
            _choices(form, db, case, user)
            valid = form.validate_on_submit()
            if not valid and not _checkable(form):
                raise _NotValid
            try:
                with _without_refused_values(form):
                    spec.handler(Context(db, case, user, now), form)
            except InvalidInput as refusal:
                _add_refusal(form, action, refusal)
                raise _NotValid from None
            if not valid:
                raise _NotValid  # the domain found nothing more: the form's problems stand
            if confirming:
                raise _ToConfirm
            still_ours = user.sees(case.department_id, case.department.agency_id)
    except _NotValid:
        return render_case_page(number, 422, failed=(action, form))
    except _ToConfirm:
        return _confirmation(number, action, form)
    except (Conflict, IllegalTransition) as refusal:
        return render_case_page(number, 409, refusal=refusal_message(refusal))
    flash(str(spec.done), "success")
    if not still_ours:  # transferred to another department: no longer this user's to see
        return redirect(url_for("counter.index"), code=303)
    return redirect(url_for("counter.case_page", number=number), code=303)


def _confirmation(number: str, action: str, form: FlaskForm) -> ResponseReturnValue:
    """The page that asks before an action that cannot be undone, carrying what was typed."""
    user = signed_in()
    with transaction() as db:
        case = case_for(db, user, number)
        return page("confirm.html", case=case, action=action, spec=ACTIONS[action], form=form)
