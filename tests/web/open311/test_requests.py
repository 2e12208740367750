"""GET requests.json and requests/{id}.json: the spec's fields, filters, dates and wording."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.open311.conftest import (
    DATETIME_FIELDS,
    EXPECTED_COMPLETION,
    OVERDUE_REASON,
    PREFIX,
    REQUEST_FIELDS,
    TAIPEI_ISO,
    Seeded,
    check_fields,
    errors_of,
)

# An hour after NOW, in Taipei: every seeded case but the old one is in the default window.
LATER = NOW + timedelta(hours=1)


def _requests(client: FlaskClient, query: str = "") -> list[dict[str, Any]]:
    with time_machine.travel(LATER, tick=False):
        response = client.get(f"{PREFIX}/requests.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    requests = response.get_json()
    for request in requests:
        check_fields(request, REQUEST_FIELDS)
        assert request["status"] in ("open", "closed")
        for field in DATETIME_FIELDS:
            value = request[field]
            assert value is None or TAIPEI_ISO.match(value), (field, value)
        for field in ("description", "address", "address_id", "zipcode", "lat", "long"):
            assert request[field] is None
        assert request["media_url"] is None
    return requests


def _ids(requests: list[dict[str, Any]]) -> list[str]:
    return [r["service_request_id"] for r in requests]


def test_default_window_is_the_last_90_days_newest_first(
    client: FlaskClient, seeded: Seeded
) -> None:
    found = _requests(client)
    assert _ids(found) == [seeded.received, seeded.awaiting, seeded.completed, seeded.overdue]


def test_status_filter(client: FlaskClient, seeded: Seeded) -> None:
    assert set(_ids(_requests(client, "?status=open"))) == {
        seeded.received,
        seeded.awaiting,
        seeded.overdue,
    }
    assert _ids(_requests(client, "?status=closed")) == [seeded.completed]
    assert len(_requests(client, "?status=open,closed")) == 4
    assert len(_requests(client, "?status=open&status=closed")) == 4


def test_service_code_filter(client: FlaskClient, seeded: Seeded) -> None:
    assert _ids(_requests(client, "?service_code=five-wd")) == [seeded.received, seeded.overdue]
    both = _requests(client, "?service_code=five-wd,fourteen-d")
    assert set(_ids(both)) == {seeded.received, seeded.overdue, seeded.completed}
    assert _requests(client, "?service_code=no-such-service") == []


def test_date_filters_in_utc_or_with_an_offset(client: FlaskClient, seeded: Seeded) -> None:
    # NOW is 2026-04-13 10:00 in Taipei; awaiting was filed 5 days and completed 10 days before.
    with_offset = "?start_date=2026-03-30T00:00:00%2B08:00&end_date=2026-04-10T00:00:00%2B08:00"
    assert set(_ids(_requests(client, with_offset))) == {seeded.awaiting, seeded.completed}
    in_utc = "?start_date=2026-04-03T00:00:00Z&end_date=2026-04-03T12:00:00Z"
    assert _ids(_requests(client, in_utc)) == [seeded.completed]
    # Only a start: the 90 days from it, which hold only the old case.
    assert _ids(_requests(client, "?start_date=2025-12-01T00:00:00%2B08:00")) == [seeded.old]


def test_ids_override_every_other_argument(client: FlaskClient, seeded: Seeded) -> None:
    query = f"?service_request_id={seeded.received},{seeded.old},20990101-0001&status=closed"
    assert set(_ids(_requests(client, query))) == {seeded.received, seeded.old}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?start_date=yesterday", "start_date"),
        ("?end_date=2026-13-01T00:00:00Z", "end_date"),
        ("?start_date=2026-04-10T00:00:00Z&end_date=2026-04-01T00:00:00Z", "end_date"),
        ("?start_date=2026-01-01T00:00:00Z&end_date=2026-04-10T00:00:00Z", "end_date"),
        ("?status=pending", "status"),
    ],
)
def test_bad_arguments_are_400_naming_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    descriptions = errors_of(client.get(f"{PREFIX}/requests.json{query}"), 400)
    assert any(d.startswith(f"{field}:") for d in descriptions), descriptions


def test_public_status_wording(client: FlaskClient, seeded: Seeded) -> None:
    by_id = {r["service_request_id"]: r for r in _requests(client)}
    received = by_id[seeded.received]
    assert received["status_notes"] == "已收件，等待處理。"
    assert received["service_name"] == "五工作天案件"
    assert received["service_code"] == "five-wd"
    assert received["agency_responsible"] == "高雄市三民區公所 社會課"
    assert received["service_notice"] == "處理期限：5 個工作天"
    assert received["requested_datetime"] == "2026-04-13T10:00:00+08:00"
    assert received["expected_datetime"] == "2026-04-20T23:59:59+08:00"

    awaiting = by_id[seeded.awaiting]
    assert awaiting["status"] == "open"
    assert awaiting["status_notes"].startswith("等待您補件。請於 115年")
    assert "戶口名簿" not in awaiting["status_notes"]
    assert awaiting["expected_datetime"] is None  # the clock is stopped

    overdue = by_id[seeded.overdue]
    # The clerk's own words go to the applicant only (they may name someone): the public
    # document gives the service's published reason (the catalogue's default) instead.
    assert overdue["status_notes"] == (
        "已收件，等待處理。本案已超過處理期限。原因：案件處理中。預計完成日期：115年4月16日。"
    )
    assert OVERDUE_REASON not in overdue["status_notes"]
    assert overdue["expected_datetime"] == f"{EXPECTED_COMPLETION}T23:59:59+08:00"

    completed = by_id[seeded.completed]
    assert completed["status"] == "closed"
    assert completed["status_notes"] == "已辦結。"
    assert completed["updated_datetime"] == "2026-04-12T10:00:00+08:00"


def test_public_status_wording_in_english(client: FlaskClient, seeded: Seeded) -> None:
    by_id = {r["service_request_id"]: r for r in _requests(client, "?lang=en")}
    overdue = by_id[seeded.overdue]["status_notes"]
    assert overdue.startswith(
        "Received, waiting to be processed. This case is taking longer than the time limit. "
    )
    assert "Expected completion: 16 Apr 2026." in overdue
    assert by_id[seeded.received]["service_notice"] == "Time limit: 5 working days"


def test_one_request_is_a_one_element_array(client: FlaskClient, seeded: Seeded) -> None:
    with time_machine.travel(LATER, tick=False):
        response = client.get(f"{PREFIX}/requests/{seeded.old}.json")
    assert response.status_code == 200
    (request,) = response.get_json()
    check_fields(request, REQUEST_FIELDS)
    assert request["service_request_id"] == seeded.old
    assert request == next(r for r in _requests(client, f"?service_request_id={seeded.old}"))


def test_unknown_request_is_404_in_the_spec_error_format(
    client: FlaskClient, seeded: Seeded
) -> None:
    (description,) = errors_of(client.get(f"{PREFIX}/requests/20990101-0001.json"), 404)
    assert "service_request_id" in description
