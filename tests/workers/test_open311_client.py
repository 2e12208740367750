"""Open311 against a third-party client: PyPI's ``georeport`` talks to a running gunicorn, in
XML (the spec's required format) and in JSON, and gets the same answers.

``georeport`` reads (services, a definition, requests filtered, one request); it does not
create requests, so the create is the spec's form POSTed with ``requests``, the HTTP library
``georeport`` itself uses, and read back with ``xmltodict``, its XML parser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import xmltodict
from georeport import GeoReport

from tests.support.processes import Processes
from tracker.db import Database

pytestmark = [pytest.mark.processes, pytest.mark.postgres]

PERSON = {"last_name": "王", "first_name": "小明", "phone": "0912-345-678"}


def _listed(value: Any) -> list[Any]:
    """xmltodict gives one repeated element as itself and several as a list."""
    return value if isinstance(value, list) else [value]


def _create(root: str, fmt: str, key: str) -> str:
    """POST requests.{fmt} with the spec's form; the new service_request_id."""
    response = requests.post(
        f"{root}/requests.{fmt}",
        data={"api_key": key, "service_code": "five-wd", "description": "路燈不亮", **PERSON},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    if fmt == "xml":
        assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        created = _listed(xmltodict.parse(response.content)["service_requests"]["request"])
    else:
        created = response.json()
    (request,) = created
    return str(request["service_request_id"])


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_reads_and_files_through_gunicorn(
    processes: Processes, watch_db: Database, web_port: int, fmt: str
) -> None:
    made = processes.tracker("apikey", "create", f"georeport-{fmt}")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    processes.web(web_port)
    root = f"http://127.0.0.1:{web_port}/open311/v2"
    client = GeoReport(root, api_key=key, output_format=fmt)

    services = _listed(client.get_service_list())
    assert {service["service_code"] for service in services} == {"one-minute", "five-wd"}
    assert {str(service["type"]) for service in services} == {"realtime"}

    definition = client.get_service_definition("five-wd")
    assert definition["service_code"] == "five-wd"

    number = _create(root, fmt, key)

    one = client.get_service_request(number)
    if fmt == "xml":
        (one,) = _listed(one)
    assert one["service_request_id"] == number
    assert one["status"] == "open"
    assert one["service_code"] == "five-wd"
    assert "王小明" not in str(one)

    now = datetime.now(UTC)
    found = _listed(
        client.get_service_requests(
            service_code="five-wd",
            status="open",
            start_date=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_date=(now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    )
    assert [request["service_request_id"] for request in found] == [number]
    # georeport cannot read an empty XML list (xmltodict makes <service_requests/> None and
    # it indexes into that): the empty answer is read here directly.
    closed = requests.get(
        f"{root}/requests.{fmt}", params={"service_code": "five-wd", "status": "closed"}, timeout=10
    )
    if fmt == "xml":
        assert xmltodict.parse(closed.content) == {"service_requests": None}
    else:
        assert closed.json() == []

    by_id = _listed(client.get_service_requests(service_request_id=number))
    assert [request["service_request_id"] for request in by_id] == [number]
