"""GET services.json and services/{code}.json against the spec's field lists."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.open311.conftest import (
    DEFINITION_FIELDS,
    PREFIX,
    SERVICE_FIELDS,
    check_fields,
    errors_of,
)

TEST_CATALOGUE_CODES = [
    "five-wd",
    "five-wd-restart",
    "fourteen-d",
    "four-hours",
    "petition",
    "one-month",
]


def test_services_lists_every_open_service_with_the_spec_fields(client: FlaskClient) -> None:
    response = client.get(f"{PREFIX}/services.json?jurisdiction_id=kaohsiung.gov.tw")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    services = response.get_json()
    assert sorted(s["service_code"] for s in services) == sorted(TEST_CATALOGUE_CODES)
    for service in services:
        check_fields(service, SERVICE_FIELDS)
        assert service["metadata"] is False
        assert service["type"] == "realtime"
        assert isinstance(service["keywords"], str)
    five = next(s for s in services if s["service_code"] == "five-wd")
    assert five["service_name"] == "五工作天案件"
    assert five["group"] == "高雄市三民區公所 社會課"
    assert five["description"] == "處理期限：5 個工作天"
    # Chinese is sent as UTF-8, readable, not as \u escapes.
    assert "五工作天案件" in response.get_data(as_text=True)


def test_services_in_english_by_lang_or_accept_language(client: FlaskClient) -> None:
    by_lang = client.get(f"{PREFIX}/services.json?lang=en").get_json()
    by_header = client.get(
        f"{PREFIX}/services.json", headers={"Accept-Language": "en-GB,en;q=0.8"}
    ).get_json()
    assert by_lang == by_header
    five = next(s for s in by_lang if s["service_code"] == "five-wd")
    assert five["service_name"] == "Five working days"
    assert five["group"] == "Sanmin District Office, Social Affairs Section"
    assert five["description"] == "Time limit: 5 working days"


def test_service_definition_has_no_attributes(client: FlaskClient) -> None:
    response = client.get(f"{PREFIX}/services/five-wd.json")
    assert response.status_code == 200
    definition = response.get_json()
    check_fields(definition, DEFINITION_FIELDS)
    assert definition == {"service_code": "five-wd", "attributes": []}


def test_unknown_service_is_404_in_the_spec_error_format(client: FlaskClient) -> None:
    (description,) = errors_of(client.get(f"{PREFIX}/services/no-such-thing.json"), 404)
    assert "service_code" in description
