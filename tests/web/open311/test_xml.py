"""XML, the spec's required format: the declaration, the spec's names, and the JSON's data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
import xmltodict
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.web.open311.conftest import PERSON, PREFIX, Keys, Seeded

LATER = NOW + timedelta(hours=1)
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def _both(client: FlaskClient, path: str) -> tuple[TestResponse, TestResponse]:
    """The same resource in XML and in JSON."""
    with time_machine.travel(LATER, tick=False):
        return client.get(f"{path}.xml"), client.get(f"{path}.json")


def _as_xml_text(value: Any) -> Any:
    """A JSON value as XML carries it: text, ``true``/``false``, an empty element for null."""
    if isinstance(value, dict):
        return {key: _as_xml_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_xml_text(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _listed(parsed: Any) -> list[Any]:
    """xmltodict gives one repeated element as itself and several as a list."""
    return parsed if isinstance(parsed, list) else [parsed]


def _xml(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    assert response.mimetype_params["charset"] == "utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith(DECLARATION)
    return xmltodict.parse(text)


def test_services_in_xml_say_what_the_json_says(client: FlaskClient) -> None:
    xml, json = _both(client, f"{PREFIX}/services")
    parsed = _xml(xml)
    assert list(parsed) == ["services"]
    assert _listed(parsed["services"]["service"]) == _as_xml_text(json.get_json())


def test_a_service_definition_in_xml(client: FlaskClient) -> None:
    xml, json = _both(client, f"{PREFIX}/services/five-wd")
    parsed = _xml(xml)["service_definition"]
    assert parsed == {"service_code": "five-wd", "attributes": None}
    assert json.get_json() == {"service_code": "five-wd", "attributes": []}


def test_requests_in_xml_say_what_the_json_says(client: FlaskClient, seeded: Seeded) -> None:
    xml, json = _both(client, f"{PREFIX}/requests")
    requests = _listed(_xml(xml)["service_requests"]["request"])
    assert requests == _as_xml_text(json.get_json())
    assert len(requests) == 4
    text = xml.get_data(as_text=True)
    for trace in ("林美華", PERSON["phone"], PERSON["email"]):
        assert trace not in text


def test_one_request_in_xml(client: FlaskClient, seeded: Seeded) -> None:
    xml, json = _both(client, f"{PREFIX}/requests/{seeded.overdue}")
    (request,) = _listed(_xml(xml)["service_requests"]["request"])
    assert request == _as_xml_text(json.get_json()[0])
    assert request["address"] is None  # an empty element, as the spec writes a missing value


def test_errors_in_xml_are_errors_of_error(client: FlaskClient) -> None:
    response = client.get(f"{PREFIX}/services/no-such-service.xml")
    assert response.status_code == 404
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True).startswith(DECLARATION)
    (error,) = _listed(xmltodict.parse(response.get_data())["errors"]["error"])
    assert error["code"] == "404"
    assert "no-such-service" in error["description"]


def test_a_wrong_method_at_an_xml_address_is_answered_in_xml(client: FlaskClient) -> None:
    response = client.delete(f"{PREFIX}/requests.xml")
    assert response.status_code == 405
    assert list(xmltodict.parse(response.get_data())) == ["errors"]


def test_creating_by_xml_takes_the_spec_form_and_answers_in_xml(
    client: FlaskClient, keys: Keys
) -> None:
    response = client.post(
        f"{PREFIX}/requests.xml",
        data={"api_key": keys.full, "service_code": "five-wd", **PERSON},
    )
    (created,) = _listed(_xml(response)["service_requests"]["request"])
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    assert created["service_request_id"].startswith("2026")


def test_a_refused_create_by_xml_is_an_xml_error(client: FlaskClient) -> None:
    response = client.post(f"{PREFIX}/requests.xml", data={"service_code": "five-wd"})
    assert response.status_code == 403
    (error,) = _listed(xmltodict.parse(response.get_data())["errors"]["error"])
    assert error["code"] == "403"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_discovery_names_this_endpoint_and_its_formats(client: FlaskClient, fmt: str) -> None:
    response = client.get(f"/open311/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        document = _xml(response)["discovery"]
        endpoint = document["endpoints"]["endpoint"]
        formats = endpoint["formats"]["format"]
    else:
        document = response.get_json()
        (endpoint,) = document["endpoints"]
        formats = endpoint["formats"]
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["type"] == "production"
    assert formats == ["text/xml", "application/json"]
    assert set(endpoint) == {"specification", "url", "changeset", "type", "formats"}
