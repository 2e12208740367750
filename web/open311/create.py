"""GeoReport v2 ``POST requests.xml`` (or ``.json``): file a case on the ``online`` channel.

Form-encoded, as the spec sends it, with ``api_key`` in the body (one of our API keys, with the
``open311:submit`` scope; a key in the address is refused and never used; a key bound to an
agency files only under that agency's services). The spec's contact fields become the
applicant: ``last_name`` + ``first_name`` (written together for a Chinese name, "first last"
otherwise), ``phone`` and ``email`` (notices go where they can reach: SMS to a mobile, email, or
both), ``description`` is kept as the filing note with ``address_string`` appended.
``lat``/``long``, ``address_id``, ``device_id``, ``account_id``, ``media_url`` and
``attribute[...]`` are accepted and ignored: our services are not located on a map. Filing
writes the receipt notice to the outbox in the same transaction.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from flask import Response, request
from werkzeug.datastructures import MultiDict

from tracker.accounts.users import OPEN311_SUBMIT, authenticate_api_key, key_scopes
from tracker.cases.filing import Application, application_errors, file_case
from tracker.cases.public import open_service
from tracker.clock import utc_now
from tracker.errors import InvalidInput
from web.core.api_keys import key_in_query, limit_refused_keys, note_refused_key
from web.core.database import current_database
from web.core.extensions import limiter
from web.core.i18n import text_language
from web.open311.blueprint import open311, reader_language, write_limit, write_limit_key
from web.open311.errors import Open311Error, field_errors
from web.open311.formats import document_response
from web.open311.present import service_notice

# Our names for an application's fields, as the spec's form calls them.
_SPEC_FIELD = {
    "service": "service_code",
    "applicant_name": "last_name",
    "note": "description",
}
_ACTOR_MAX = 80


def _api_key(form: MultiDict[str, str], now: datetime) -> tuple[str, int | None]:
    """The timeline actor and the agency (if bound) of the key presented in the body; 400 for a
    key in the address, 403 for one that is missing, unknown, revoked or without the scope."""
    if key_in_query():
        raise Open311Error(
            400, "api_key: send it in the POST body, never in the address (addresses are logged)"
        )
    key = (form.get("api_key") or "").strip()
    if not key:
        raise Open311Error(403, "api_key: an API key is required to create a request")
    with current_database().transaction() as session:
        row = authenticate_api_key(session, key, now=now)
        if row is None:
            note_refused_key()
            raise Open311Error(403, "api_key: the API key is unknown or has been revoked")
        if OPEN311_SUBMIT not in key_scopes(row):
            raise Open311Error(
                403, f"api_key: the API key does not have the '{OPEN311_SUBMIT}' scope"
            )
        return f"open311:{row.name}"[:_ACTOR_MAX], row.agency_id


def _is_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def applicant_name(first: str, last: str) -> str:
    """王 + 小明 → 王小明; John + Smith → John Smith."""
    first, last = " ".join(first.split()), " ".join(last.split())
    if _is_wide(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _note(form: MultiDict[str, str]) -> str | None:
    description = form.get("description", "").strip()
    address = " ".join(form.get("address_string", "").split())
    if address:
        description = f"{description}\n(address_string: {address})".strip()
    return description or None


@open311.post("/requests.<any(xml, json):fmt>")
@limiter.limit(write_limit, key_func=write_limit_key)
@limit_refused_keys
def create(fmt: str) -> Response:
    """File the request as a case and answer with its number (``type`` is ``realtime``)."""
    form = request.form
    now = utc_now()
    actor, agency_id = _api_key(form, now)
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code: is required")
    with reader_language(), current_database().transaction() as session:
        service = open_service(session, code)
        if service is None or agency_id not in (None, service.department.agency_id):
            raise Open311Error(404, f"service_code: there is no service '{code[:40]}'")
        phone = form.get("phone", "").strip() or None
        email = form.get("email", "").strip() or None
        application = Application(
            service_code=code,
            applicant_name=applicant_name(form.get("first_name", ""), form.get("last_name", "")),
            phone=phone,
            email=email,
            channel="online",
            language=text_language(),
            note=_note(form),
        )
        problems = {
            _SPEC_FIELD.get(name, name): problem
            for name, problem in application_errors(session, application, now=now).items()
        }
        if not phone and not email:
            problems.setdefault("email", "give a phone number or an email address for the receipt")
        if problems:
            raise field_errors(problems)
        try:
            case = file_case(session, application, actor=actor, now=now)
        except InvalidInput as error:  # a rule checked again under the transaction
            raise field_errors(
                {_SPEC_FIELD.get(k, k): v for k, v in error.fields.items()}
            ) from None
        assert service.current_version is not None
        document = {
            "service_request_id": case.number,
            "service_notice": service_notice(service.current_version.time_limit),
            "account_id": None,
        }
    response = document_response([document], "service_requests")
    response.headers["Cache-Control"] = "no-store"  # the answer to a request with a person in it
    return response
