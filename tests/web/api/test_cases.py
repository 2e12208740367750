"""``/cases``: filing (with the receipt notice), reading, and clear 4xx for every bad request."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.web.api.conftest import ApiClient, error_of
from tracker.cases.letter_tasks import mark_task_done
from tracker.db import Database
from tracker.models import Case

# Monday 2026-04-13 10:00 in Taipei: five working days later is Monday 04-20.
FILED = "2026-04-13T10:00:00+08:00"


@time_machine.travel(FILED, tick=False)
def test_filing_returns_the_case_with_its_lookup_code_once(api: ApiClient) -> None:
    response = api.post(
        "/cases",
        {"service": "five-wd", "applicant_name": "王小明", "email": "wang@example.com"},
    )
    assert response.status_code == 201
    case = response.json
    assert case["number"] == "20260413-0001"
    assert response.headers["Location"] == "/api/v1/cases/20260413-0001"
    assert len(case["lookup_code"].replace("-", "")) == 10
    assert case["channel"] == "online"
    assert case["status"] == "received"
    assert case["received_at"] == FILED
    assert case["due"] == case["due_date"] == "2026-04-20"
    assert case["overdue_at"] == "2026-04-21T00:00:00+08:00"
    assert case["paused"] is False and case["overdue"] is False
    assert case["current_step"] == {
        "number": 1, "of": 3, "name": {"zh-TW": "收件", "en": "Received"}
    }  # fmt: skip
    assert case["version"] == 1
    assert case["applicant"]["notify_by"] == "email"

    again = api.get("/cases/20260413-0001")
    assert again.status_code == 200
    assert "lookup_code" not in again.json
    assert again.json["number"] == case["number"]

    notices = api.get("/cases/20260413-0001/notices").json["items"]
    assert [(n["kind"], n["channel"], n["status"]) for n in notices] == [
        ("receipt", "email", "pending")
    ]
    assert notices[0]["done_at"] is None and notices[0]["done_by"] is None


@time_machine.travel(FILED, tick=False)
def test_a_letter_task_says_when_and_by_whom_it_was_given(api: ApiClient) -> None:
    api.post("/cases", {"service": "five-wd", "applicant_name": "王小明", "channel": "mail"})
    (task,) = api.get("/cases/20260413-0001/notices").json["items"]
    assert (task["kind"], task["channel"], task["status"]) == ("receipt", "letter", "task")
    assert task["done_at"] is None
    database: Database = api.client.application.extensions["database"]
    with database.transaction() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == "20260413-0001"))
        assert case_id is not None
        mark_task_done(
            session, case_id, task["id"], actor="clerk", now=datetime.now(UTC), note="電話告知"
        )
    (done,) = api.get("/cases/20260413-0001/notices").json["items"]
    assert done["done_at"] == FILED and done["done_by"] == "clerk"
    assert "電話告知" not in json.dumps(done)  # the note stays in the console


@time_machine.travel(FILED, tick=False)
def test_hour_limits_are_due_at_an_instant(api: ApiClient) -> None:
    case = api.file("four-hours", channel="phone")
    assert case["channel"] == "phone"
    assert case["due"] == "2026-04-13T14:00:00+08:00"
    assert case["due_date"] is None


def test_every_bad_field_is_named(api: ApiClient) -> None:
    response = api.post(
        "/cases",
        {"service": "no-such", "applicant_name": "王小明", "phone": "12", "notify_by": "sms"},
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"service", "phone"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"applicant_name": "王小明"}, "service"),
        ({"service": "five-wd"}, "applicant_name"),
        ({"service": 5, "applicant_name": "王小明"}, "service"),
        ({"service": "five-wd", "applicant_name": ["王"]}, "applicant_name"),
        ({"service": "five-wd", "applicant_name": "王\x00明"}, "applicant_name"),
        ({"service": "five-wd", "applicant_name": "王小明", "channel": "fax"}, "channel"),
        ({"service": "five-wd", "applicant_name": "王小明", "received_at": "yesterday"},
         "received_at"),
        ({"service": "five-wd", "applicant_name": "王小明", "received_at": "2026-04-13T10:00"},
         "received_at"),
        ({"service": "five-wd", "applicant_name": "王小明", "received_at": "1900-01-01T00:00Z"},
         "received_at"),
        ({"service": "five-wd", "applicant_name": "王小明", "colour": "blue"}, "colour"),
        ([1, 2], "body"),
        ("a string", "body"),
    ],
)  # fmt: skip
def test_wrong_types_and_unknown_fields_are_422(api: ApiClient, body: object, field: str) -> None:
    response = api.post("/cases", body)
    assert response.status_code == 422, response.json
    assert field in error_of(response)["fields"]


def test_bodies_that_are_not_json_or_too_big(api: ApiClient) -> None:
    malformed = api.post("/cases", data='{"service": ', content_type="application/json")
    assert malformed.status_code == 400
    assert error_of(malformed)["code"] == "invalid_json"
    deep = api.post("/cases", data="[" * 50_000, content_type="application/json")
    assert deep.status_code == 400
    not_utf8 = api.post("/cases", data=b'{"a": "\xff"}', content_type="application/json")
    assert not_utf8.status_code == 400
    form = api.post(
        "/cases", data="service=five-wd", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    assert error_of(form)["code"] == "unsupported_media_type"
    huge = json.dumps({"service": "five-wd", "applicant_name": "王" * 100_000})
    too_big = api.post("/cases", data=huge, content_type="application/json")
    assert too_big.status_code == 413
    assert error_of(too_big)["code"] == "body_too_large"


def test_unknown_cases_and_addresses_are_json_404(api: ApiClient) -> None:
    for path in (
        "/cases/20260413-9999",
        "/cases/not-a-number",
        "/cases/20260413-0001/notices",
        "/nothing-here",
        "",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    wrong_method = api.client.delete("/api/v1/cases")
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
    # The rest of the site keeps its pages.
    assert api.client.get("/no-such-page").mimetype == "text/html"


def test_a_case_number_must_be_exactly_one(api: ApiClient) -> None:
    number = api.file()["number"]
    assert api.get(f"/cases/{number}").status_code == 200
    for path in (f"/cases/{number}%0A", f"/cases/%20{number}"):
        assert api.get(path).status_code == 404, path
    # NUL is refused before any view, anywhere (web/core/request_limits.py), in the API's format.
    nul = api.get(f"/cases/{number}%00")
    assert nul.status_code == 400
    assert error_of(nul)["code"]
