"""The console's case actions: one entry per action, from its form to the domain call.

``ACTIONS`` drives the case page (web.counter.cases): which forms it offers, what each does,
and what the clerk is told. The domain functions (tracker.cases.actions and .closing) do the
work; here each form's fields become their arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from tracker.cases import actions as case_actions
from tracker.cases import closing
from tracker.cases.assignment import assign
from tracker.deadlines.limits import parse_limit
from tracker.lifecycle import Action, allowed_actions
from tracker.models import Case
from web.counter import forms
from web.counter.access import ConsoleUser
from web.counter.i18n import lazy


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
    # Actions that cannot be undone ask first: the question, with %(number)s, and why it matters.
    question: Any = None
    consequence: Any = None


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
        lazy("Transfer case %(number)s to another agency?"),
        lazy("Our part of the case ends and the applicant is told where it went. "
             "This cannot be undone."),
    ),
    "complete": ActionSpec(
        forms.CompleteForm, Action.COMPLETE, _complete, lazy("Complete"),
        lazy("The case is completed; the applicant will be told."), lazy("Complete the case"),
        lazy("Complete case %(number)s?"),
        lazy("The applicant is told at once that the case is done, with the result below. "
             "A completed case cannot be reopened."),
    ),
    "reject": ActionSpec(
        forms.RejectForm, Action.REJECT, _reject, lazy("Reject"),
        lazy("The case was rejected; the applicant will be told."), lazy("Reject the case"),
        lazy("Reject case %(number)s?"),
        lazy("The applicant is told at once, with the reason below and how to appeal. "
             "A rejection cannot be undone."),
    ),
    "decline": ActionSpec(
        forms.DeclineForm, Action.DECLINE, _decline, lazy("Petition not handled (Art. 173)"),
        lazy("The petition was closed as not handled; the applicant will be told."),
        lazy("Close as not handled"),
        lazy("Close petition %(number)s as not handled?"),
        lazy("The applicant is told at once, with the ground and the reason below. "
             "This cannot be undone."),
    ),
    "withdraw": ActionSpec(
        forms.WithdrawForm, Action.WITHDRAW, _withdraw, lazy("Withdrawn by the applicant"),
        lazy("The withdrawal was recorded."), lazy("Record withdrawal"),
        lazy("Record that the applicant withdrew case %(number)s?"),
        lazy("The case is closed and leaves the queue. This cannot be undone."),
    ),
}  # fmt: skip

# The actions asked to be confirmed before they are done.
CONFIRMED = frozenset(name for name, spec in ACTIONS.items() if spec.question is not None)


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
