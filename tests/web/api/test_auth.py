"""API keys and scopes: every operation refuses a missing, unknown or revoked key (401) and a
key without its scope (403), in JSON, before looking at the request."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from tests.web.api.conftest import ApiClient, Keys, error_of, make_keys
from tracker.db import Database
from tracker.models import ApiKey
from web.api.operations import OPERATIONS


def _path(template: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: {"number": "20260413-0001"}.get(m[1], "five-wd"), template)


def test_every_operation_refuses_callers_without_a_live_key(api: ApiClient, keys: Keys) -> None:
    for op in OPERATIONS:
        path = _path(op.path)
        call = api.get if op.method == "get" else api.post
        for key in ("", "ctk_not-a-key", "not even the prefix", keys.revoked):
            response = call(path, key=key)
            assert response.status_code == 401, (op.endpoint, key)
            assert error_of(response)["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_operation_needs_its_scope(api: ApiClient, keys: Keys) -> None:
    for op in OPERATIONS:
        path = _path(op.path)
        if op.method == "get":
            assert api.get(path, key=keys.writer).status_code == 403, op.endpoint
            assert api.get(path, key=keys.reader).status_code != 403, op.endpoint
        else:
            response = api.post(path, {}, key=keys.reader)
            assert response.status_code == 403, op.endpoint
            assert error_of(response)["code"] == "forbidden"
            assert "'write'" in error_of(response)["message"]
            assert api.post(path, {}, key=keys.writer).status_code != 403, op.endpoint


def test_the_key_may_come_in_x_api_key_and_its_use_is_noted(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    response = api.get("/services", key="", headers={"X-API-Key": keys.reader})
    assert response.status_code == 200
    assert (
        api.get("/services", key="", headers={"Authorization": f"bearer {keys.reader}"}).status_code
        == 200
    )
    with catalogue_db.transaction() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.name == "open data portal"))
        assert row is not None and row.last_used_at is not None


def test_applicant_contact_only_for_the_read_scope(api: ApiClient, keys: Keys) -> None:
    body = {"service": "five-wd", "applicant_name": "王小明", "phone": "0912-345-678"}
    created = api.post("/cases", body, key=keys.writer)
    assert created.status_code == 201
    assert "applicant" not in created.json
    number = created.json["number"]
    assert api.get(f"/cases/{number}", key=keys.reader).json["applicant"] == {
        "name": "王小明",
        "phone": "+886912345678",
        "email": None,
        "language": "zh-TW",
        "notify_by": "sms",
    }


def test_the_document_needs_no_key(api: ApiClient) -> None:
    response = api.get("/openapi.json", key="")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"


def test_rate_limit_per_key_answers_429_in_json(api_app: Flask, catalogue_db: Database) -> None:
    keys = make_keys(catalogue_db)
    api = ApiClient(api_app.test_client(), keys)
    for _ in range(3):
        assert api.get("/services").status_code == 200
    refused = api.get("/services")
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another system's key has its own allowance.
    assert api.get("/services", key=keys.reader).status_code == 200
