"""Domain rows as the API's documents (the schemas in ``web.api.schemas`` write them out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.deadlines.engine import Deadline
from tracker.models import Case, Closure, Notice, Service
from web.api.auth import CASES_READ_PERSONAL, Caller


def service_document(service: Service) -> dict[str, Any]:
    """A service and its current SOP."""
    sop = service.current_version
    assert sop is not None  # only services open for filing are shown
    department = service.department
    return {
        "code": service.code,
        "name": sop.name,
        "kind": service.kind,
        "agency": {"code": department.agency.code, "name": department.agency.name},
        "department": {
            "code": department.path,
            "name": department.name,
            "phone": department.phone,
        },
        "time_limit": sop.time_limit,
        "supplement": {"deadline": sop.supplement_deadline, "clock": sop.supplement_clock},
        "steps": sop.steps,
        "required_documents": sop.required_documents,
        "legal_basis": sop.legal_basis,
        "version": sop.version,
    }


def is_overdue(case: Case, now: datetime) -> bool:
    """Open and past its due instant."""
    return case.is_open and case.due_at is not None and now >= case.due_at


def case_document(case: Case, caller: Caller, now: datetime) -> dict[str, Any]:
    """A case as another system needs it; the applicant's name, phone and email only for a key
    with the ``cases:read-personal`` scope (the fields are left out otherwise)."""
    pause = case.pauses[-1] if case.pauses and case.pauses[-1].resumed_at is None else None
    steps = case.service_version.steps
    document: dict[str, Any] = {
        "number": case.number,
        "service": case.service.code,
        "department": case.department.path,
        "channel": case.channel,
        "status": case.status.value,
        "received_at": case.received_at,
        "due": Deadline(case.due_date, case.due_at).display() if case.due_at else None,
        "due_date": case.due_date,
        "overdue_at": case.due_at,
        "paused": pause is not None,
        "supplement": None
        if pause is None
        else {
            "requested_at": pause.requested_at,
            "items": pause.items,
            "due": pause.supplement_due,
        },
        "overdue": is_overdue(case, now),
        "overdue_since": case.overdue_since,
        "overdue_reason": case.overdue_reason,
        "expected_completion": case.expected_completion,
        "extension": None
        if case.extension is None
        else {"amount": case.extension, "reason": case.extension_reason},
        "current_step": {
            "number": case.current_step + 1,
            "of": len(steps),
            "name": steps[case.current_step],
        }
        if 0 <= case.current_step < len(steps)
        else None,
        "closed_at": case.closed_at,
        "updated_at": case.updated_at,
        "version": case.version,
    }
    applicant: dict[str, Any] = {"language": case.language, "notify_by": case.notify_by}
    if caller.can(CASES_READ_PERSONAL):
        applicant.update(
            name=case.applicant_name, phone=case.applicant_phone, email=case.applicant_email
        )
    document["applicant"] = applicant
    return document


def notice_document(notice: Notice) -> dict[str, Any]:
    """A notice's kind, channel and delivery state; never its recipient or text.

    A letter task (status "task") also says when and by whom it was given by phone or letter;
    the clerk's note on how the applicant was reached stays in the console (it may name them).
    """
    return {
        "id": notice.id,
        "kind": notice.kind,
        "channel": notice.channel,
        "audience": notice.audience,
        "status": notice.status,
        "trigger_at": notice.trigger_at,
        "created_at": notice.created_at,
        "not_before": notice.not_before,
        "sent_at": notice.sent_at,
        "provider_status": notice.provider_status,
        "done_at": notice.done_at,
        "done_by": notice.done_by,
    }


def closure_document(closure: Closure, agency_code: str | None) -> dict[str, Any]:
    """A declared office closure."""
    return {
        "id": closure.id,
        "day": closure.day,
        "agency": agency_code,
        "reason": closure.reason,
        "declared_by": closure.declared_by,
        "declared_at": closure.declared_at,
    }
