"""POST requests: the key in the body only, the open311:submit scope, a bound key's agency, and
refused keys slowed per client (one allowance shared with /api/v1)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.web.open311.conftest import PERSON, PREFIX, Keys, errors_of
from tracker.accounts.users import create_api_key, revoke_api_key
from tracker.db import Database
from tracker.models import ApiKey, Case

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OFFICE = {"REMOTE_ADDR": "198.51.100.7"}


def _cases(app: Flask) -> int:
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


def _key(app: Flask, name: str, **kwargs: object) -> str:
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        return create_api_key(s, name, now=NOW, **kwargs)[1]  # type: ignore[arg-type]


def test_a_key_in_the_address_is_refused_and_never_used(
    app: Flask, client: FlaskClient, keys: Keys
) -> None:
    form = {"service_code": "five-wd", **PERSON}
    for query, body in (
        (f"api_key={keys.full}", form),
        ("api_key=x", {**form, "api_key": keys.full}),
    ):
        response = client.post(f"{PREFIX}/requests.json?{query}", data=body)
        (description,) = errors_of(response, 400)
        assert description.startswith("api_key: send it in the POST body")
    assert _cases(app) == 0
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        used = s.scalar(select(ApiKey.last_used_at).where(ApiKey.name == "case system"))
        assert used is None


def test_submitting_needs_the_open311_submit_scope(
    app: Flask, client: FlaskClient, keys: Keys
) -> None:
    writer = _key(app, "case writer", scopes=("cases:write", "cases:read"))
    form = {"service_code": "five-wd", **PERSON}
    (description,) = errors_of(
        client.post(f"{PREFIX}/requests.json", data={**form, "api_key": writer}), 403
    )
    assert "'open311:submit'" in description
    submitter = _key(app, "kiosk", scopes=("open311:submit",))
    response = client.post(f"{PREFIX}/requests.json", data={**form, "api_key": submitter})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert _cases(app) == 1


def test_a_bound_key_files_only_under_its_agencys_services(app: Flask, client: FlaskClient) -> None:
    sanmin = _key(app, "sanmin kiosk", agency="sanmin")
    theirs = {"service_code": "one-month", "api_key": sanmin, **PERSON}  # yanchao's
    (description,) = errors_of(client.post(f"{PREFIX}/requests.json", data=theirs), 404)
    assert description == "service_code: there is no service 'one-month'"
    assert _cases(app) == 0
    ours = {**theirs, "service_code": "five-wd"}
    assert client.post(f"{PREFIX}/requests.json", data=ours).status_code == 200


def test_refused_keys_are_limited_per_client_across_both_apis(
    app: Flask, client: FlaskClient, keys: Keys
) -> None:
    app.config["API_KEY_REFUSAL_LIMIT"] = "4 per minute"
    form = {"service_code": "five-wd", **PERSON}
    url = f"{PREFIX}/requests.json"
    for guess in range(2):
        sent = {**form, "api_key": f"ctk_guess{guess}"}
        assert client.post(url, data=sent, environ_base=ATTACKER).status_code == 403
    for guess in range(2):
        headers = {"Authorization": f"Bearer ctk_other{guess}"}
        refused = client.get("/api/v1/services", headers=headers, environ_base=ATTACKER)
        assert refused.status_code == 401
    slowed = client.post(url, data={**form, "api_key": keys.full}, environ_base=ATTACKER)
    errors_of(slowed, 429)
    assert _cases(app) == 0
    # Another client is not slowed, and its valid key files the request.
    for _ in range(6):
        sent = {**form, "api_key": keys.full}
        assert client.post(url, data=sent, environ_base=OFFICE).status_code == 200


def test_a_revoked_key_is_refused_from_the_next_request_on(
    app: Flask, client: FlaskClient, keys: Keys
) -> None:
    form = {"service_code": "five-wd", "api_key": keys.full, **PERSON}
    assert client.post(f"{PREFIX}/requests.json", data=form).status_code == 200
    database: Database = app.extensions["database"]
    with database.transaction() as s:
        revoke_api_key(s, "case system", now=NOW)
    (description,) = errors_of(client.post(f"{PREFIX}/requests.json", data=form), 403)
    assert "revoked" in description
    assert _cases(app) == 1
