"""How a case ends (DESIGN §4.5): completed, rejected, withdrawn, sent to another agency, or a
petition closed as not handled. Each is one ``Step`` (tracker.cases.steps) that tells the
applicant; a completed case's applicant is also invited to the satisfaction survey.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tracker.cases.steps import Checks, begin, checked_text, end_open_pause
from tracker.errors import IllegalTransition
from tracker.lifecycle import Action
from tracker.models import Case
from tracker.notices.outbox import queue_case_notice
from tracker.text import in_language

# The satisfaction survey invitation follows the ready notice after a day, not on its heels.
SURVEY_DELAY = timedelta(days=1)


def transfer_out(
    session: Session,
    case_id: int,
    agency_name: str,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Send the case to an agency outside this system (移文); our part of it ends."""
    step = begin(
        session,
        case_id,
        Action.TRANSFER_OUT,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )
    checks = Checks()
    reason = checks.text("reason", reason, required=True)
    to = checks.text("agency", agency_name, required=True)
    checks.done()
    return step.finish(
        "transferred_out",
        note=reason,
        public=True,
        data={"to": to},
        notice="transferred",
        notice_values={"transferred_to": to, "reason": reason, "new_contact": ""},
    )


def complete(
    session: Session,
    case_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The case is done (辦結); the note is the result the applicant is told."""
    step = begin(
        session, case_id, Action.COMPLETE, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    case.current_step = len(case.service_version.steps) - 1
    result = checked_text("note", note)
    department = case.department
    # Where nothing is collected (relief paid by bank transfer) the notice names no counter.
    collect = case.service_version.pickup
    step.finish(
        "completed",
        note=result,
        public=True,
        notice="ready",
        notice_values={
            "result": result,
            "pickup_place": in_language(department.address, case.language) if collect else "",
            "pickup_hours": in_language(department.hours, case.language) if collect else "",
        },
    )
    queue_case_notice(
        session, case, "survey", trigger_at=now, now=now, not_before=now + SURVEY_DELAY
    )
    return case


def reject(
    session: Session,
    case_id: int,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Reject (駁回) with the reason the applicant is told."""
    step = begin(
        session, case_id, Action.REJECT, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    reason = checked_text("reason", reason, required=True)
    end_open_pause(case, now)
    return step.finish(
        "rejected",
        note=reason,
        public=True,
        notice="rejected",
        notice_values={"reason": reason},
    )


# 行政程序法 Art. 173: the grounds on which a petition may be left unhandled, by its items.
DECLINE_GROUNDS = (
    "no_identity",  # (1) no concrete content, or no real name or address
    "repeated",  # (2) the same matter was properly handled and clearly answered already
    "not_competent",  # (3) not ours, and sent on the same matter to several agencies
)


def decline(
    session: Session,
    case_id: int,
    ground: str,
    reason: str,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Close a petition as not handled (不予處理, Art. 173), with the ground and the reason."""
    step = begin(
        session, case_id, Action.DECLINE, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    if case.service.kind != "petition":
        # Art. 173 is about petitions (陳情); an application is decided: rejected, with appeal.
        raise IllegalTransition(
            f"Case {case.number} is an application, not a petition: only petitions may be "
            "closed as not handled (Art. 173); reject an application instead.",
            action=Action.DECLINE.value,
            kind=case.service.kind,
        )
    checks = Checks()
    if ground not in DECLINE_GROUNDS:
        checks.refuse("ground", f"must be one of {', '.join(DECLINE_GROUNDS)}")
    reason = checks.text("reason", reason, required=True)
    checks.done()
    end_open_pause(case, now)
    return step.finish(
        "not_handled",
        note=reason,
        public=True,
        data={"ground": ground},
        notice="not_handled",
        notice_values={"reason": reason, "ground": ground},
    )


def withdraw(
    session: Session,
    case_id: int,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The applicant withdrew the application (撤回)."""
    step = begin(
        session, case_id, Action.WITHDRAW, actor=actor, now=now, expected_version=expected_version
    )
    case = step.case
    end_open_pause(case, now)
    return step.finish(
        "withdrawn",
        note=checked_text("note", note),
        public=True,
    )
