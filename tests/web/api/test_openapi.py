"""The OpenAPI document: valid 3.1, complete, and true to the API under schemathesis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.api.conftest import PREFIX, ApiClient, make_keys
from tests.web.conftest import make_app
from tracker.db import Database
from web.api.operations import OPERATIONS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Per operation and generation mode: enough to find the usual 5xx, small enough for CI.
EXAMPLES = 20


def test_the_document_is_valid_openapi_3_1(api: ApiClient) -> None:
    document = api.get("/openapi.json", key="").json
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": PREFIX}]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
            assert operation["summary"], (method, path)


def test_each_operation_states_its_scope(api: ApiClient) -> None:
    document = api.get("/openapi.json", key="").json
    scopes = {op.endpoint: op.scope for op in OPERATIONS}
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            scope = scopes[operation["operationId"]]
            assert operation["x-required-scope"] == scope
            assert operation["security"] == [{"bearer": [scope]}, {"apiKey": [scope]}]
    case = document["components"]["schemas"]["Case"]["properties"]["applicant"]
    assert "cases:read-personal" in case["description"]


def test_every_route_is_documented(app: Flask, api: ApiClient) -> None:
    document = api.get("/openapi.json", key="").json
    documented = {
        (method.upper(), PREFIX + path.replace("{", "<").replace("}", ">"))
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    routed = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_json"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    assert routed == documented


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(
    pg_catalogue_db: Database, tmp_path: Path
) -> None:
    app = make_app(pg_catalogue_db, tmp_path)
    app.config["API_RATE_LIMIT"] = "1000000 per minute"
    keys = make_keys(pg_catalogue_db)
    with pg_catalogue_db.transaction() as s:
        numbers = [create_case(s, code, now=NOW).number for code in ("five-wd", "four-hours")]
    real = Real(numbers=numbers, services=["five-wd", "fourteen-d", "four-hours", "petition"])
    headers = {"Authorization": f"Bearer {keys.full}"}
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(OPERATIONS)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(operation, mode, headers, real)
    app.extensions["database"].dispose()


@dataclass(frozen=True)
class Real:
    """Values that exist, so that generated requests also reach past the 404s and 422s."""

    numbers: list[str]
    services: list[str]

    def substitute(self, case: schemathesis.Case, data: st.DataObject) -> None:
        """Replace some generated values with real ones (or leave them, as hypothesis draws)."""
        path = case.path_parameters or {}
        if "number" in path and data.draw(st.booleans()):
            path["number"] = data.draw(st.sampled_from(self.numbers))
        if "code" in path and data.draw(st.booleans()):
            path["code"] = data.draw(st.sampled_from(self.services))
        body = case.body
        if not isinstance(body, dict) or not data.draw(st.booleans()):
            return
        if "service" in body:
            body.pop("received_at", None)
            body.update(
                service=data.draw(st.sampled_from(self.services)),
                applicant_name="王小明",
                phone="0912-345-678",
                email=None,
                notify_by=None,
            )
        if "day" in body:
            body["day"] = data.draw(st.dates(date(2026, 1, 1), date(2027, 12, 31))).isoformat()
        if "agency" in body and "day" in body:
            body["agency"] = data.draw(st.sampled_from([None, "sanmin", "yanchao"]))
        if "department" in body:
            body["department"] = data.draw(st.sampled_from(["sanmin/civil", "yanchao/social"]))


def _exercise(
    operation: APIOperation, mode: GenerationMode, headers: dict[str, str], real: Real
) -> None:
    """Send generated requests to one operation and check every answer."""
    # Negative data (a wrong type, a missing field) must also be refused with a 4xx.
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        if mode is GenerationMode.POSITIVE:
            real.substitute(case, data)
        case.call_and_validate(headers=headers, checks=checks)

    run()
