"""``/calendar/closures``: office closures (停止上班), which move open cases' due dates."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.calendar.changes import declare_closure, withdraw_closure
from tracker.errors import InvalidInput
from tracker.models import Agency, Closure
from web.api.auth import CALENDAR_ADMIN, CASES_READ
from web.api.errors import ApiError
from web.api.operations import Call, Reply, operation
from web.api.present import closure_document
from web.api.reach import check_agency
from web.api.schemas import (
    ClosureList,
    ClosureQuery,
    ClosureWithdrawal,
    DeclaredClosure,
    NewClosure,
    WithdrawnClosure,
)
from web.core.database import transaction


@operation(
    "get",
    "/calendar/closures",
    scope=CASES_READ,
    tag="calendar",
    response=ClosureList,
    query=ClosureQuery,
)
def list_closures(call: Call) -> dict[str, Any]:
    """Declared closures by day, city-wide (agency null) or for one agency."""
    statement = select(Closure, Agency.code).outerjoin(Agency, Closure.agency_id == Agency.id)
    if "from_" in call.query:
        statement = statement.where(Closure.day >= call.query["from_"])
    if "to" in call.query:
        statement = statement.where(Closure.day <= call.query["to"])
    with transaction() as session:
        rows = session.execute(statement.order_by(Closure.day, Closure.id)).all()
        return {"items": [closure_document(closure, code) for closure, code in rows]}


@operation(
    "post",
    "/calendar/closures",
    scope=CALENDAR_ADMIN,
    tag="calendar",
    response=DeclaredClosure,
    status=201,
    body=NewClosure,
    refusals=(409, 422),
)
def create_closure(call: Call) -> Reply:
    """Declare a closure day: the open cases it touches are re-timed and their applicants told."""
    body = call.body
    check_agency(body["agency"], call.caller)
    try:
        with transaction() as session:
            result = declare_closure(
                session,
                body["day"],
                reason=body["reason"],
                actor=call.caller.actor,
                now=call.now,
                agency_code=body["agency"],
                remote_addr=request.remote_addr,
            )
            closure = session.get_one(Closure, result.closure_id)
            document = closure_document(closure, body["agency"])
    except IntegrityError:  # declared by somebody else at the same moment
        raise ApiError(
            409, "conflict", f"{body['day']} was declared closed meanwhile; list the closures."
        ) from None
    document["retimed_cases"] = len(result.retimed)
    return Reply(document)


@operation(
    "post",
    "/calendar/closures/{closure_id}/withdrawal",
    scope=CALENDAR_ADMIN,
    tag="calendar",
    response=WithdrawnClosure,
    body=ClosureWithdrawal,
    refusals=(404, 422),
)
def withdraw(call: Call, closure_id: str) -> dict[str, Any]:
    """Withdraw a closure (called off, or a mistake): the cases it moved get their dates back."""
    gone = ApiError(404, "not_found", f"There is no closure {closure_id}.")
    reason = call.body["reason"]
    with transaction() as session:
        found = session.execute(
            select(Closure.day, Agency.code)
            .outerjoin(Agency, Closure.agency_id == Agency.id)
            .where(Closure.id == int(closure_id))
        ).first()
        # A key bound to an agency sees another's closure (they are public) but cannot touch it.
        if found is None or call.caller.agency_code not in (None, found.code):
            raise gone
        day, agency = found
        try:
            result = withdraw_closure(
                session, day, reason=reason, actor=call.caller.actor, now=call.now,
                agency_code=agency, remote_addr=request.remote_addr,
            )  # fmt: skip
        except InvalidInput as refusal:
            if "day" in refusal.fields:  # withdrawn by somebody else meanwhile
                raise gone from None
            raise
    return {
        "id": result.closure_id,
        "day": day,
        "agency": agency,
        "retimed_cases": len(result.retimed),
    }
