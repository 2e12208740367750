"""GeoReport v2 reads: services, one service's definition, service requests (no API key).

No personal data: requests are read through ``tracker.cases.public``, whose query does not
select the applicant's name, phone or email. Each client is rate limited.
"""

from __future__ import annotations

from flask import Response, request

from tracker.cases.public import (
    find_public_cases,
    open_service,
    open_services,
    public_cases_by_number,
)
from tracker.clock import utc_now
from tracker.identifiers import normalise_case_number
from web.core.database import current_database
from web.core.extensions import limiter
from web.open311.blueprint import open311, read_limit, reader_language
from web.open311.errors import Open311Error
from web.open311.formats import document_response
from web.open311.params import request_filter
from web.open311.present import request_document, service_definition, service_document


@open311.get("/services.<any(xml, json):fmt>")
@limiter.limit(read_limit)
def services(fmt: str) -> Response:
    """Every service open for applications (``jurisdiction_id`` is accepted and ignored)."""
    with current_database().transaction() as session, reader_language():
        return document_response([service_document(s) for s in open_services(session)], "services")


@open311.get("/services/<code>.<any(xml, json):fmt>")
@limiter.limit(read_limit)
def service(code: str, fmt: str) -> Response:
    """One service's definition; 404 for a service that is unknown or closed."""
    with current_database().transaction() as session:
        found = open_service(session, code)
        if found is None:
            raise Open311Error(404, f"service_code: there is no service '{code[:40]}'")
        return document_response(service_definition(found), "service_definition")


@open311.get("/requests.<any(xml, json):fmt>")
@limiter.limit(read_limit)
def requests(fmt: str) -> Response:
    """Service requests by ids, or by service, status and date window (newest first, ≤ 1000)."""
    now = utc_now()
    wanted = request_filter(request.args, now)
    with current_database().reading() as connection:
        if wanted.numbers:
            cases = public_cases_by_number(connection, wanted.numbers)
        else:
            cases = find_public_cases(
                connection,
                received_from=wanted.received_from,
                received_until=wanted.received_until,
                service_codes=wanted.service_codes,
                open_=wanted.open_,
            )
    with reader_language():
        documents = [request_document(case, now) for case in cases]
        return document_response(documents, "service_requests")


@open311.get("/requests/<number>.<any(xml, json):fmt>")
@limiter.limit(read_limit)
def request_by_id(number: str, fmt: str) -> Response:
    """One service request, as a one-element array (as the spec's example); 404 if unknown."""
    now = utc_now()
    with current_database().reading() as connection:
        cases = public_cases_by_number(connection, [normalise_case_number(number)])
    if not cases:
        raise Open311Error(404, f"service_request_id: there is no request '{number[:40]}'")
    with reader_language():
        return document_response([request_document(cases[0], now)], "service_requests")
