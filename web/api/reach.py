"""What a key bound to an agency may reach: that agency's cases, services and closures only.

Another agency's case is answered as if it did not exist (404 with the same message as an
unknown number), so a bound key cannot even learn which numbers are taken elsewhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tracker.cases.store import get_case
from tracker.errors import InvalidInput, NotFound
from tracker.models import Case, Department, Service
from web.api.auth import Caller


def reachable_case(session: Session, number: str, caller: Caller) -> Case:
    """The case numbered ``number`` if the caller may see it, else NotFound."""
    case = get_case(session, number)
    if caller.agency_id is not None and case.department.agency_id != caller.agency_id:
        raise NotFound(f"There is no case numbered {number}.", number=number)
    return case


def reachable_cases(statement: Select[Any], caller: Caller) -> Select[Any]:
    """``statement`` over cases, narrowed to the caller's agency if it is bound to one."""
    if caller.agency_id is None:
        return statement
    return statement.where(
        Case.department_id.in_(
            select(Department.id).where(Department.agency_id == caller.agency_id)
        )
    )


def check_service(session: Session, code: str, caller: Caller) -> None:
    """Refuse filing under another agency's service, as the filing refuses an unknown one."""
    if caller.agency_id is None:
        return
    agency_id = session.scalar(
        select(Department.agency_id).join(Service).where(Service.code == code)
    )
    if agency_id is not None and agency_id != caller.agency_id:
        raise InvalidInput({"service": f"there is no service '{code}' open for filing"})


def check_department(path: str, caller: Caller) -> None:
    """Refuse handing a case to a department outside the caller's agency (AGENCY/DEPT)."""
    if caller.agency_code is None:
        return
    if path.partition("/")[0] != caller.agency_code:
        raise InvalidInput(
            {"department": f"this API key may transfer only within '{caller.agency_code}'"}
        )


def check_agency(agency_code: str | None, caller: Caller) -> None:
    """Refuse a closure outside the caller's agency (a city-wide one included)."""
    if caller.agency_code is not None and agency_code != caller.agency_code:
        raise InvalidInput(
            {"agency": f"this API key may declare closures only for '{caller.agency_code}'"}
        )
