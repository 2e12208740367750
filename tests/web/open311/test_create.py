"""POST requests.json: a case on the online channel with its receipt notice, or a spec error."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.web.open311.conftest import (
    CREATED_FIELDS,
    PERSON,
    PREFIX,
    Keys,
    check_fields,
    errors_of,
)
from tracker.db import Database
from tracker.models import Case, CaseEvent, Notice


def _post(client: FlaskClient, **form: str) -> Any:
    return client.post(f"{PREFIX}/requests.json", data=form)


def _case(app: Flask, number: str) -> tuple[Case, list[Notice], CaseEvent]:
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        case = s.scalars(select(Case).where(Case.number == number)).one()
        notices = list(s.scalars(select(Notice).where(Notice.case_id == case.id)))
        filed = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).one()
        return case, notices, filed


def _case_count(app: Flask) -> int:
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


def test_a_request_becomes_an_online_case_with_its_receipt_notice(
    app: Flask, client: FlaskClient, keys: Keys
) -> None:
    response = _post(
        client,
        api_key=keys.full,
        jurisdiction_id="kaohsiung.gov.tw",
        service_code="five-wd",
        description="申請補發",
        address_string="高雄市三民區",
        lat="22.6",
        long="120.3",
        **PERSON,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (created,) = response.get_json()
    check_fields(created, CREATED_FIELDS)
    assert created["service_notice"] == "處理期限：5 個工作天"
    assert created["account_id"] is None

    case, notices, filed = _case(app, created["service_request_id"])
    assert case.channel == "online"
    assert case.applicant_name == "林美華"
    assert case.applicant_phone == "+886987654321"
    assert case.applicant_email == PERSON["email"]
    assert case.notify_by == "both"
    assert case.language == "zh-TW"
    assert case.service.code == "five-wd"
    assert filed.actor == "open311:case system"
    assert filed.note == "申請補發\n(address_string: 高雄市三民區)"
    assert sorted((n.kind, n.channel, n.status) for n in notices) == [
        ("receipt", "email", "pending"),
        ("receipt", "sms", "pending"),
    ]


def test_a_latin_name_with_email_only_in_english(
    app: Flask, client: FlaskClient, keys: Keys
) -> None:
    response = _post(
        client,
        api_key=keys.full,
        service_code="fourteen-d",
        first_name="John",
        last_name="Smith",
        email="john@example.org",
        lang="en",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (created,) = response.get_json()
    assert created["service_notice"] == "Time limit: 14 calendar days"
    case, notices, _ = _case(app, created["service_request_id"])
    assert (case.applicant_name, case.notify_by, case.language) == ("John Smith", "email", "en")
    assert [(n.kind, n.channel) for n in notices] == [("receipt", "email")]


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "ctk_not-a-real-key"}, 403, "api_key"),
        ({"api_key": "<reader>"}, 403, "api_key"),
        ({"api_key": "<revoked>"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "no-such-service"}, 404, "service_code"),
        ({"first_name": "", "last_name": ""}, 400, "last_name"),
        ({"phone": "", "email": ""}, 400, "email"),
        ({"phone": "12345"}, 400, "phone"),
        ({"email": "not an address"}, 400, "email"),
        ({"description": "長" * 2001}, 400, "description"),
    ],
)
def test_refusals_in_the_spec_error_format_create_nothing(
    app: Flask,
    client: FlaskClient,
    keys: Keys,
    form: dict[str, str | None],
    status: int,
    field: str,
) -> None:
    given = {"api_key": keys.full, "service_code": "five-wd", **PERSON, **form}
    aliases = {"<reader>": keys.reader, "<revoked>": keys.revoked}
    sent = {name: aliases.get(value, value) for name, value in given.items() if value is not None}
    descriptions = errors_of(_post(client, **sent), status)
    assert any(d.startswith(f"{field}:") for d in descriptions), descriptions
    assert _case_count(app) == 0


def test_several_bad_fields_are_named_together(client: FlaskClient, keys: Keys) -> None:
    response = _post(client, api_key=keys.full, service_code="five-wd", phone="12345", email="nope")
    descriptions = errors_of(response, 400)
    assert {d.split(":")[0] for d in descriptions} == {"last_name", "phone", "email"}
