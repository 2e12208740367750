"""What every notice about a case may say: who sends it, the case's number, code, masked name,
service and due date.

Every SMS and email names its sender first (DESIGN §4.6): the agency's short name (【三民區公所】),
so a citizen wary of scam texts sees the office, not only a section that several districts have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.deadlines.engine import Deadline
from tracker.identifiers import format_lookup_code
from tracker.models import Case
from tracker.privacy import mask_name
from tracker.text import in_language


def case_values(case: Case, language: str | None = None) -> dict[str, Any]:
    """The values of an ORM ``case`` as of now, in ``language`` (the applicant's by default)."""
    return values_of(
        number=case.number,
        lookup_code=case.lookup_code,
        applicant_name=case.applicant_name,
        language=language or case.language,
        service_name=case.service_version.name,
        steps=case.service_version.steps,
        current_step=case.current_step,
        department_name=case.department.name,
        department_phone=case.department.phone,
        sender=case.department.agency.sender,
        due=Deadline(case.due_date, case.due_at) if case.due_at else None,
    )


def values_of(
    *,
    number: str,
    lookup_code: str,
    applicant_name: str,
    language: str,
    service_name: Mapping[str, str],
    steps: list[dict[str, str]],
    current_step: int,
    department_name: Mapping[str, str],
    department_phone: str | None,
    sender: Mapping[str, str],
    due: Deadline | None,
) -> dict[str, Any]:
    """The common notice values from plain columns (bulk writers have no ORM objects)."""
    step = steps[min(current_step, len(steps) - 1)] if steps else {}
    # The names are the templates' (notifications.render.REQUIRED_VALUES); links are added at
    # sending time, from the configured public address.
    return {
        "case_number": number,
        "lookup_code": format_lookup_code(lookup_code),
        "masked_name": mask_name(applicant_name),
        "service": in_language(service_name, language),
        "sender": in_language(sender, language),
        "department": in_language(department_name, language),
        "contact_phone": department_phone or "",
        "due_date": due.display() if due else "",
        "current_step": in_language(step, language),
    }
