"""The case page: what happened, where it stands, and every action its status allows now.

Each action is a small POST form carrying the case version the page showed. The domain takes
the row lock and compares versions, so a form from before somebody else's change is refused
(409) and changes nothing; the page then shows the case as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from tracker.calendar.store import load_calendar
from tracker.cases import actions as case_actions
from tracker.cases import closing
from tracker.cases.assignment import assign
from tracker.cases.letter_tasks import case_tasks
from tracker.cases.queries import (
    all_departments,
    case_notices,
    case_timeline,
    department_users,
)
from tracker.clock import utc_now
from tracker.deadlines.limits import parse_limit
from tracker.errors import Conflict, IllegalTransition, InvalidInput
from tracker.lifecycle import Action, allowed_actions
from tracker.models import Case, Notice, Role
from web.core.database import transaction
from web.counter import forms
from web.counter.access import CASE_ROLES, ConsoleUser, case_for, roles, signed_in
from web.counter.blueprint import counter
from web.counter.common import page
from web.counter.forms import error_for, options
from web.counter.i18n import lazy
from web.counter.messages import field_errors, refusal_message
from web.counter.present import local, queue_row


@dataclass(frozen=True)
class Context:
    """What an action handler gets: the session, the locked-to-be case, who acts and when."""

    db: Session
    case: Case
    user: ConsoleUser
    now: datetime

    @property
    def common(self) -> dict[str, Any]:
        """The keyword arguments every case action takes."""
        return {"actor": self.user.username, "now": self.now}


Handler = Callable[[Context, Any], Case]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _note(ctx: Context, form: forms.NoteForm) -> Case:
    return case_actions.add_note(
        ctx.db,
        ctx.case.id,
        form.note.data or "",
        public=bool(form.public.data),
        expected_version=form.version.data,
        **ctx.common,
    )


def _start(ctx: Context, form: forms.StartForm) -> Case:
    return case_actions.start(
        ctx.db, ctx.case.id, note=form.note.data, expected_version=form.version.data, **ctx.common
    )


def _step(ctx: Context, form: forms.StepForm) -> Case:
    return case_actions.advance_step(
        ctx.db,
        ctx.case.id,
        form.step.data,
        note=form.note.data,
        expected_version=form.version.data,
        **ctx.common,
    )


def _supplement(ctx: Context, form: forms.SupplementForm) -> Case:
    documents = ctx.case.service_version.required_documents
    ticked = set(form.documents.data or [])
    language = ctx.case.language
    # The items go to the applicant: in the applicant's language, not the clerk's.
    items = [
        doc.get(language) or doc.get("zh-TW", "")
        for i, doc in enumerate(documents)
        if str(i) in ticked
    ] + _lines(form.other_items.data)
    return case_actions.request_supplement(
        ctx.db,
        ctx.case.id,
        items,
        deadline=form.deadline.data,
        note=form.note.data,
        expected_version=form.version.data,
        **ctx.common,
    )


def _receive(ctx: Context, form: forms.ReceiveForm) -> Case:
    return case_actions.receive_supplement(
        ctx.db, ctx.case.id, note=form.note.data, expected_version=form.version.data, **ctx.common
    )


def _extend(ctx: Context, form: forms.ExtendForm) -> Case:
    unit = parse_limit(ctx.case.service_version.time_limit).unit
    return case_actions.extend(
        ctx.db,
        ctx.case.id,
        f"{form.amount.data}{unit}",
        form.reason.data or "",
        expected_version=form.version.data,
        **ctx.common,
    )


def _overdue_info(ctx: Context, form: forms.OverdueInfoForm) -> Case:
    return case_actions.set_overdue_info(
        ctx.db,
        ctx.case.id,
        form.reason.data or "",
        form.expected_completion.data,
        expected_version=form.version.data,
        **ctx.common,
    )


def _transfer(ctx: Context, form: forms.TransferForm) -> Case:
    return case_actions.transfer(
        ctx.db,
        ctx.case.id,
        form.department.data or "",
        form.reason.data or "",
        expected_version=form.version.data,
        **ctx.common,
    )


def _transfer_out(ctx: Context, form: forms.TransferOutForm) -> Case:
    return closing.transfer_out(
        ctx.db,
        ctx.case.id,
        form.agency.data or "",
        form.reason.data or "",
        expected_version=form.version.data,
        **ctx.common,
    )


def _complete(ctx: Context, form: forms.CompleteForm) -> Case:
    return closing.complete(
        ctx.db, ctx.case.id, note=form.note.data, expected_version=form.version.data, **ctx.common
    )


def _reject(ctx: Context, form: forms.RejectForm) -> Case:
    return closing.reject(
        ctx.db,
        ctx.case.id,
        form.reason.data or "",
        expected_version=form.version.data,
        **ctx.common,
    )


def _decline(ctx: Context, form: forms.DeclineForm) -> Case:
    return closing.decline(
        ctx.db,
        ctx.case.id,
        form.ground.data or "",
        form.reason.data or "",
        expected_version=form.version.data,
        **ctx.common,
    )


def _withdraw(ctx: Context, form: forms.WithdrawForm) -> Case:
    return closing.withdraw(
        ctx.db, ctx.case.id, note=form.note.data, expected_version=form.version.data, **ctx.common
    )


def _assign(ctx: Context, form: forms.AssignForm) -> Case:
    return assign(
        ctx.db, ctx.case.id, form.user.data, expected_version=form.version.data, **ctx.common
    )


@dataclass(frozen=True)
class ActionSpec:
    """One action of the case page: its form, the transition it is, its handler and texts."""

    form: type[FlaskForm]
    action: Action | None  # None: not a status transition (assignment)
    handler: Handler
    title: Any
    done: Any
    button: Any


# In the order the page shows them; the names are the URL's last part and the forms' prefixes.
ACTIONS: dict[str, ActionSpec] = {
    "start": ActionSpec(
        forms.StartForm, Action.START, _start, lazy("Start work"), lazy("Work started."),
        lazy("Start work"),
    ),
    "step": ActionSpec(
        forms.StepForm, Action.ADVANCE_STEP, _step, lazy("Move to an SOP step"),
        lazy("The SOP step was recorded."), lazy("Record step"),
    ),
    "request_supplement": ActionSpec(
        forms.SupplementForm, Action.REQUEST_SUPPLEMENT, _supplement,
        lazy("Request missing documents"),
        lazy("The documents were requested; the clock is stopped until they arrive."),
        lazy("Request documents"),
    ),
    "receive_supplement": ActionSpec(
        forms.ReceiveForm, Action.RECEIVE_SUPPLEMENT, _receive, lazy("Documents received"),
        lazy("The documents were recorded; the clock runs again."),
        lazy("Record documents received"),
    ),
    "extend": ActionSpec(
        forms.ExtendForm, Action.EXTEND, _extend, lazy("Extend the time limit (once)"),
        lazy("The extension was recorded and the applicant will be told."), lazy("Extend"),
    ),
    "overdue_info": ActionSpec(
        forms.OverdueInfoForm, Action.SET_OVERDUE_INFO, _overdue_info,
        lazy("Reason for delay and expected completion"),
        lazy("The reason and expected completion were recorded."), lazy("Save"),
    ),
    "note": ActionSpec(
        forms.NoteForm, Action.NOTE, _note, lazy("Add a note"), lazy("The note was added."),
        lazy("Add note"),
    ),
    "assign": ActionSpec(
        forms.AssignForm, None, _assign, lazy("Assign"), lazy("The case was assigned."),
        lazy("Assign"),
    ),
    "transfer": ActionSpec(
        forms.TransferForm, Action.TRANSFER, _transfer, lazy("Transfer to another department"),
        lazy("The case was transferred."), lazy("Transfer"),
    ),
    "transfer_out": ActionSpec(
        forms.TransferOutForm, Action.TRANSFER_OUT, _transfer_out,
        lazy("Transfer to another agency"),
        lazy("The case was transferred to the other agency."), lazy("Transfer out"),
    ),
    "complete": ActionSpec(
        forms.CompleteForm, Action.COMPLETE, _complete, lazy("Complete"),
        lazy("The case is completed; the applicant will be told."), lazy("Complete the case"),
    ),
    "reject": ActionSpec(
        forms.RejectForm, Action.REJECT, _reject, lazy("Reject"),
        lazy("The case was rejected; the applicant will be told."), lazy("Reject the case"),
    ),
    "decline": ActionSpec(
        forms.DeclineForm, Action.DECLINE, _decline, lazy("Petition not handled (Art. 173)"),
        lazy("The petition was closed as not handled; the applicant will be told."),
        lazy("Close as not handled"),
    ),
    "withdraw": ActionSpec(
        forms.WithdrawForm, Action.WITHDRAW, _withdraw, lazy("Withdrawn by the applicant"),
        lazy("The withdrawal was recorded."), lazy("Record withdrawal"),
    ),
}  # fmt: skip


def available(case: Case, now: datetime) -> list[str]:
    """The actions to offer now: what the transition table allows, less what would be refused."""
    allowed = set(allowed_actions(case.status))
    names = []
    for name, spec in ACTIONS.items():
        if spec.action is None:
            if case.is_open:
                names.append(name)
            continue
        if spec.action not in allowed:
            continue
        if name == "extend" and (
            case.extension is not None or (case.due_at is not None and now >= case.due_at)
        ):
            continue  # once only, and only before the due instant (Art. 51)
        if name == "decline" and case.service.kind != "petition":
            continue  # Art. 173 is for petitions; an application is rejected instead
        names.append(name)
    return names


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
