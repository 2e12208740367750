"""``/cases``: file a case, read one, list them with filters, read a case's notices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from sqlalchemy import Select, or_, select

from tracker.cases.filing import Application, file_case
from tracker.cases.queries import case_notices
from tracker.deadlines.timezones import start_of_local_day
from tracker.identifiers import format_lookup_code
from tracker.lifecycle import OPEN_STATUSES
from tracker.models import Agency, Case, Department, Service
from web.api.auth import CASES_READ, CASES_WRITE
from web.api.operations import Call, Reply, operation
from web.api.pagination import decode_cursor, encode_cursor
from web.api.present import case_document, notice_document
from web.api.reach import check_service, reachable_case, reachable_cases
from web.api.schemas import CaseOut, CasePage, CaseQuery, CreatedCase, NewCase, NoticeList
from web.core.database import transaction


@operation(
    "post",
    "/cases",
    scope=CASES_WRITE,
    tag="cases",
    response=CreatedCase,
    status=201,
    body=NewCase,
    refusals=(422,),
)
def create_case(call: Call) -> Reply:
    """File a case for an applicant (the receipt notice follows).

    The lookup code the applicant needs for the status page is returned only here.
    """
    body = call.body
    application = Application(
        service_code=body["service"],
        applicant_name=body["applicant_name"],
        phone=body["phone"],
        email=body["email"],
        channel=body["channel"],
        language=body["language"],
        notify_by=body["notify_by"],
        note=body["note"],
    )
    with transaction() as session:
        check_service(session, body["service"], call.caller)
        case = file_case(
            session,
            application,
            actor=call.caller.actor,
            now=call.now,
            received_at=body["received_at"],
        )
        document = case_document(case, call.caller, call.now)
    document["lookup_code"] = format_lookup_code(case.lookup_code)
    location = url_for("api.show_case", number=case.number)
    return Reply(document, headers={"Location": location})


@operation("get", "/cases/{number}", scope=CASES_READ, tag="cases", response=CaseOut)
def show_case(call: Call, number: str) -> dict[str, Any]:
    """One case: where it stands, its due date and the applicant's contact."""
    with transaction() as session:
        return case_document(reachable_case(session, number, call.caller), call.caller, call.now)


@operation("get", "/cases", scope=CASES_READ, tag="cases", response=CasePage, query=CaseQuery)
def list_cases(call: Call) -> dict[str, Any]:
    """Cases in filing order, filtered, a page at a time (follow next_cursor)."""
    query = call.query
    limit = query["limit"]
    statement = reachable_cases(_filtered(select(Case), query, call), call.caller)
    if "cursor" in query:
        statement = statement.where(Case.id > decode_cursor(query["cursor"]))
    with transaction() as session:
        # One more than asked tells whether there is a next page without counting.
        rows = session.scalars(statement.order_by(Case.id).limit(limit + 1)).all()
        items = [case_document(case, call.caller, call.now) for case in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1].id) if more else None}


def _filtered(statement: Select[tuple[Case]], query: dict[str, Any], call: Call) -> Select[Any]:
    if "status" in query:
        statement = statement.where(Case.status == query["status"])
    if "service" in query:
        statement = statement.where(
            Case.service_id.in_(select(Service.id).where(Service.code == query["service"]))
        )
    if "department" in query:
        agency, _, department = query["department"].partition("/")
        statement = statement.where(
            Case.department_id.in_(
                select(Department.id)
                .join(Agency)
                .where(Agency.code == agency, Department.code == department)
            )
        )
    # A day-limit case due on D becomes overdue at 00:00 on D + 1: "due on or before D" is an
    # overdue instant at or before that midnight, and "on or after D" one after D's own.
    if "due_before" in query:
        end = start_of_local_day(query["due_before"] + timedelta(days=1))
        statement = statement.where(Case.due_at <= end)
    if "due_after" in query:
        statement = statement.where(Case.due_at > start_of_local_day(query["due_after"]))
    if "overdue" in query:
        if query["overdue"]:
            statement = statement.where(Case.status.in_(OPEN_STATUSES), Case.due_at <= call.now)
        else:  # spelled out: NOT over a NULL due instant would drop paused cases
            statement = statement.where(
                or_(
                    Case.status.not_in(OPEN_STATUSES),
                    Case.due_at.is_(None),
                    Case.due_at > call.now,
                )
            )
    return statement


@operation("get", "/cases/{number}/notices", scope=CASES_READ, tag="cases", response=NoticeList)
def list_notices(call: Call, number: str) -> dict[str, Any]:
    """The notices of a case, newest first, with their delivery state."""
    with transaction() as session:
        case = reachable_case(session, number, call.caller)
        return {"items": [notice_document(n) for n in case_notices(session, case.id)]}
