"""``/cases/{number}/actions/...``: what a clerk can do at the console, for other systems.

One operation per action, each with its own body; they call the same tracker functions as the
console. ``expected_version`` makes an action on a stale copy fail with 409 and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from tracker.cases import actions as case_actions
from tracker.cases import closing
from tracker.models import Case
from web.api import action_schemas as bodies
from web.api.auth import CASES_WRITE
from web.api.operations import Call, operation
from web.api.present import case_document
from web.api.reach import check_department, reachable_case
from web.api.schemas import CaseOut
from web.core.database import transaction

Body = dict[str, Any]
# (session, case id, body, actor/now/expected_version) → the case after the action
Perform = Callable[[Session, int, Body, dict[str, Any]], Case]


def _note(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.add_note(s, case_id, b["note"], public=b["public"], **common)


def _start(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.start(s, case_id, note=b["note"], public=b["public"], **common)


def _step(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.advance_step(
        s, case_id, b["step"] - 1, note=b["note"], public=b["public"], **common
    )


def _request_supplement(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.request_supplement(
        s, case_id, b["items"], deadline=b["deadline"], note=b["note"], **common
    )


def _receive_supplement(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.receive_supplement(s, case_id, note=b["note"], **common)


def _extend(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.extend(s, case_id, b["extension"], b["reason"], **common)


def _overdue_info(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.set_overdue_info(
        s, case_id, b["reason"], b["expected_completion"], **common
    )


def _transfer(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return case_actions.transfer(s, case_id, b["department"], b["reason"], **common)


def _transfer_out(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return closing.transfer_out(s, case_id, b["agency"], b["reason"], **common)


def _complete(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return closing.complete(s, case_id, note=b["note"], **common)


def _reject(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return closing.reject(s, case_id, b["reason"], **common)


def _decline(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return closing.decline(s, case_id, b["ground"], b["reason"], **common)


def _withdraw(s: Session, case_id: int, b: Body, common: dict[str, Any]) -> Case:
    return closing.withdraw(s, case_id, note=b["note"], **common)


@dataclass(frozen=True)
class ActionSpec:
    """One action: its body, what it does, and the summary the document shows."""

    body: type[Schema]
    perform: Perform
    summary: str


ACTIONS: dict[str, ActionSpec] = {
    "note": ActionSpec(bodies.NoteAction, _note, "Add a note, public or internal."),
    "start": ActionSpec(bodies.StartAction, _start, "Start work on a received case."),
    "step": ActionSpec(bodies.StepAction, _step, "Record the SOP step reached."),
    "request_supplement": ActionSpec(
        bodies.RequestSupplementAction,
        _request_supplement,
        "Ask for every missing document (補正); the clock stops until they arrive.",
    ),
    "receive_supplement": ActionSpec(
        bodies.NoteOnlyAction,
        _receive_supplement,
        "The documents arrived; the clock runs again.",
    ),
    "extend": ActionSpec(
        bodies.ExtendAction, _extend, "Extend the time limit once (展延), before it is overdue."
    ),
    "overdue_info": ActionSpec(
        bodies.OverdueInfoAction,
        _overdue_info,
        "Record the reason for the delay and the expected completion.",
    ),
    "transfer": ActionSpec(
        bodies.TransferAction, _transfer, "Transfer to another department (agency/department)."
    ),
    "transfer_out": ActionSpec(
        bodies.TransferOutAction, _transfer_out, "Transfer to an agency outside this system (移文)."
    ),
    "complete": ActionSpec(
        bodies.CompleteAction, _complete, "Complete the case (辦結); the note is the result."
    ),
    "reject": ActionSpec(bodies.ReasonAction, _reject, "Reject the case (駁回) with a reason."),
    "decline": ActionSpec(
        bodies.DeclineAction,
        _decline,
        "Close a petition as not handled (不予處理, Art. 173 行政程序法) with the ground and a "
        "reason; refused (409) for an application.",
    ),
    "withdraw": ActionSpec(
        bodies.NoteOnlyAction, _withdraw, "Record that the applicant withdrew the application."
    ),
}


def _register(name: str, spec: ActionSpec) -> None:
    def act(call: Call, number: str) -> dict[str, Any]:
        body = dict(call.body)
        common = {
            "actor": call.caller.actor,
            "now": call.now,
            "expected_version": body.pop("expected_version"),
        }
        if "department" in body:  # a transfer: a key bound to an agency keeps the case there
            check_department(body["department"], call.caller)
        with transaction() as session:
            case_id = reachable_case(session, number, call.caller).id
            case = spec.perform(session, case_id, body, common)
            return case_document(case, call.caller, call.now)

    operation(
        "post",
        f"/cases/{{number}}/actions/{name}",
        scope=CASES_WRITE,
        tag="actions",
        response=CaseOut,
        body=spec.body,
        refusals=(409, 422),
        endpoint=f"action_{name}",
        summary=spec.summary,
    )(act)


for _name, _spec in ACTIONS.items():
    _register(_name, _spec)
