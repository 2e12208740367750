"""Open311 fixtures: API keys, a set of cases in every state, the spec's field lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.factories import create_case
from tracker.accounts.users import create_api_key, revoke_api_key
from tracker.cases.actions import request_supplement, set_overdue_info
from tracker.cases.closing import complete
from tracker.db import Database

PREFIX = "/open311/v2"

# GeoReport v2's response fields, as its documentation lists them.
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
DEFINITION_FIELDS = ("service_code", "attributes")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
CREATED_FIELDS = ("service_request_id", "service_notice", "account_id")
ERROR_FIELDS = ("code", "description")
DATETIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")
TAIPEI_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")

# A person whose details must never appear in any GET.
PERSON = {
    "last_name": "林",
    "first_name": "美華",
    "phone": "0987-654-321",
    "email": "meihua.lin@example.com",
}
PERSON_TRACES = (
    "林美華",
    "美華",
    "0987-654-321",
    "987654321",
    "987 654 321",
    "meihua",
    "example.com",
)


def check_fields(document: dict[str, Any], fields: tuple[str, ...]) -> None:
    """The document has every field of the spec's list, and nothing else."""
    assert set(document) == set(fields), sorted(set(document) ^ set(fields))


def errors_of(response: TestResponse, status: int) -> list[str]:
    """The descriptions of a spec-format error response (and check that it is one)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body, list) and body
    for error in body:
        check_fields(error, ERROR_FIELDS)
        assert error["code"] == status and isinstance(error["description"], str)
    return [error["description"] for error in body]


@dataclass(frozen=True)
class Keys:
    full: str
    reader: str
    revoked: str


@pytest.fixture
def keys(app: Flask) -> Keys:
    """A key that may submit, one that may only read cases, and a revoked one."""
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        _, full = create_api_key(s, "case system", now=NOW)
        _, reader = create_api_key(s, "open data portal", now=NOW, scopes=("cases:read",))
        _, revoked = create_api_key(s, "old system", now=NOW)
        revoke_api_key(s, "old system", now=NOW)
    return Keys(full, reader, revoked)


@dataclass(frozen=True)
class Seeded:
    """Case numbers of the seeded cases, by what they show."""

    received: str  # five-wd, filed at NOW, open, due 2026-04-20
    completed: str  # fourteen-d, filed NOW - 10 days, completed NOW - 1 day
    awaiting: str  # one-month, filed NOW - 5 days, waiting for documents
    overdue: str  # five-wd, filed NOW - 20 days, overdue with a reason and expected completion
    old: str  # five-wd, filed NOW - 120 days: outside the default window


EXPECTED_COMPLETION = date(2026, 4, 16)
OVERDUE_REASON = "等候公文會辦，已電話告知林美華"


@pytest.fixture
def seeded(app: Flask) -> Seeded:
    """One case in each state, filed for the person whose details must stay private."""
    database: Database = app.extensions["database"]
    person = {"applicant_name": "林美華", "phone": PERSON["phone"], "email": PERSON["email"]}
    with database.transaction() as s:
        old = create_case(s, received_at=NOW - timedelta(days=120), **person)
        overdue = create_case(s, received_at=NOW - timedelta(days=20), **person)
        completed = create_case(
            s, "fourteen-d", now=NOW - timedelta(days=10), **person, note="林美華 0987-654-321"
        )
        awaiting = create_case(s, "one-month", now=NOW - timedelta(days=5), **person)
        received = create_case(s, **person)
        numbers = Seeded(
            received.number, completed.number, awaiting.number, overdue.number, old.number
        )
        complete(
            s,
            completed.id,
            actor="clerk:test",
            now=NOW - timedelta(days=1),
            note="已寄給林美華，電話 0987-654-321",
        )
        request_supplement(
            s, awaiting.id, ["戶口名簿影本"], actor="clerk:test", now=NOW - timedelta(days=4)
        )
        set_overdue_info(
            s, overdue.id, OVERDUE_REASON, EXPECTED_COMPLETION, actor="clerk:test", now=NOW
        )
    return numbers
