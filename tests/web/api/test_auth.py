"""API keys and scopes: every operation refuses a missing, unknown or revoked key (401) and a
key without its scope (403), in JSON, before looking at the request."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from tests.conftest import NOW
from tests.web.api.conftest import ApiClient, Keys, error_of, make_keys
from tracker.accounts.users import SCOPES, create_api_key
from tracker.db import Database
from tracker.models import ApiKey
from web.api.operations import OPERATIONS


def _path(template: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: {"number": "20260413-0001"}.get(m[1], "five-wd"), template)


def test_every_operation_refuses_callers_without_a_live_key(api: ApiClient, keys: Keys) -> None:
    api.client.application.config["API_KEY_REFUSAL_LIMIT"] = "10000 per minute"
    for op in OPERATIONS:
        path = _path(op.path)
        call = api.get if op.method == "get" else api.post
        for key in ("", "ctk_not-a-key", "not even the prefix", keys.revoked):
            response = call(path, key=key)
            assert response.status_code == 401, (op.endpoint, key)
            assert error_of(response)["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_operation_needs_its_scope(api: ApiClient, catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        only = {scope: create_api_key(s, scope, now=NOW, scopes=(scope,))[1] for scope in SCOPES}
        all_but = {
            scope: create_api_key(
                s, f"all but {scope}", now=NOW, scopes=tuple(set(SCOPES) - {scope})
            )[1]
            for scope in SCOPES
        }
    for op in OPERATIONS:
        path = _path(op.path)
        call = api.get if op.method == "get" else api.post
        refused = call(path, key=all_but[op.scope])
        assert refused.status_code == 403, op.endpoint
        assert error_of(refused)["code"] == "forbidden"
        assert f"'{op.scope}' scope" in error_of(refused)["message"], op.endpoint
        assert call(path, key=only[op.scope]).status_code != 403, op.endpoint


def test_the_scopes_each_operation_needs() -> None:
    scopes = {op.endpoint: op.scope for op in OPERATIONS}
    assert scopes["show_case"] == scopes["list_cases"] == scopes["list_notices"] == "cases:read"
    assert scopes["list_services"] == scopes["list_closures"] == "cases:read"
    assert scopes["create_case"] == scopes["action_complete"] == "cases:write"
    assert scopes["create_closure"] == scopes["withdraw"] == "calendar:admin"


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


def test_the_applicants_name_phone_and_email_only_for_the_personal_scope(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    with catalogue_db.transaction() as s:
        personal = create_api_key(
            s, "welfare system", now=NOW, scopes=("cases:read", "cases:read-personal")
        )[1]
    body = {"service": "five-wd", "applicant_name": "王小明", "phone": "0912-345-678"}
    created = api.post("/cases", body, key=keys.writer)
    assert created.status_code == 201
    assert created.json["applicant"] == {"language": "zh-TW", "notify_by": "sms"}
    number = created.json["number"]
    for document in (
        api.get(f"/cases/{number}", key=keys.reader).json,
        api.get("/cases", key=keys.reader).json["items"][0],
    ):
        assert document["applicant"] == {"language": "zh-TW", "notify_by": "sms"}
        assert "王小明" not in repr(document)
        assert "912345678" not in repr(document)
    assert api.get(f"/cases/{number}", key=personal).json["applicant"] == {
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
