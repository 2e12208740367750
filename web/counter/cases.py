"""The case page: what happened, where it stands, and every action its status allows now.

Each action is a small POST form carrying the case version the page showed. The domain takes
the row lock and compares versions, so a form from before somebody else's change is refused
(409) and changes nothing; the page then shows the case as it is now.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, url_for
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
from web.counter.case_actions import ACTIONS, Context, available
from web.counter.common import page
from web.counter.forms import error_for, options
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
    db: Session, case: Case, user: ConsoleUser, now: datetime, failed: tuple[str, FlaskForm] | None
) -> dict[str, FlaskForm]:
    """A form for every available action; the one that failed keeps what was typed."""
    return {
        name: failed[1] if failed and failed[0] == name else _fresh(name, db, case, user)
        for name in available(case, now)
    }


def _task_forms(tasks: list[Notice], failed: tuple[int, FlaskForm] | None) -> dict[int, FlaskForm]:
    """A "done" form for every open letter task; the one that failed keeps what was typed."""
    return {
        task.id: failed[1]
        if failed and failed[0] == task.id
        else forms.TaskDoneForm(prefix=forms.task_prefix(task.id), formdata=None)
        for task in tasks
        if task.done_at is None
    }


def render_case_page(
    number: str,
    status: int = 200,
    *,
    failed: tuple[str, FlaskForm] | None = None,
    failed_task: tuple[int, FlaskForm] | None = None,
    refusal: str | None = None,
) -> ResponseReturnValue:
    """The case page, with a refusal or a form that failed shown where it belongs."""
    user = signed_in()
    now = utc_now()
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
            refusal=refusal,
            open_action=failed[0] if failed else None,
        )


@counter.get("/cases/<number>")
@roles(*CASE_ROLES)
def case_page(number: str) -> ResponseReturnValue:
    """One case: timeline, SOP steps, notices, tasks and the actions allowed now."""
    return render_case_page(number)


# Domain field names that a form calls differently.
_FIELD_ALIASES = {("request_supplement", "items"): "other_items", ("extend", "extension"): "amount"}


class _NotValid(Exception):
    """The form itself did not validate (types, lengths): nothing was tried."""


@counter.post("/cases/<number>/<action>")
@roles(*CASE_ROLES)
def act(number: str, action: str) -> ResponseReturnValue:
    """Carry out one action on a case from its form."""
    spec = ACTIONS.get(action)
    if spec is None:
        abort(404)
    user = signed_in()
    now = utc_now()
    form = spec.form(prefix=action)
    try:
        # An exception anywhere in here rolls the whole transaction back: nothing is changed.
        with transaction() as db:
            case = case_for(db, user, number)
            _choices(form, db, case, user)
            if not form.validate_on_submit():
                raise _NotValid
            spec.handler(Context(db, case, user, now), form)
            still_ours = case.department_id == user.department_id
    except _NotValid:
        return render_case_page(number, 422, failed=(action, form))
    except (Conflict, IllegalTransition) as refusal:
        return render_case_page(number, 409, refusal=refusal_message(refusal))
    except InvalidInput as refusal:
        for name, message in field_errors(refusal).items():
            error_for(form, _FIELD_ALIASES.get((action, name), name), message)
        return render_case_page(number, 422, failed=(action, form))
    flash(str(spec.done), "success")
    if not still_ours:  # transferred to another department: no longer this user's to see
        return redirect(url_for("counter.index"), code=303)
    return redirect(url_for("counter.case_page", number=number), code=303)
