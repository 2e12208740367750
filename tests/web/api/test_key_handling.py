"""Where a key may travel (a header, never the address), refused keys slowed per client,
revocation at once, and no copy of an API answer kept by a browser or a proxy."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import NOW
from tests.web.api.conftest import ApiClient, Keys, error_of
from tracker.accounts.users import revoke_api_key
from tracker.db import Database
from tracker.models import ApiKey

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OFFICE = {"REMOTE_ADDR": "198.51.100.7"}


def _last_used(database: Database, name: str) -> object:
    with database.transaction() as s:
        return s.scalar(select(ApiKey.last_used_at).where(ApiKey.name == name))


def test_a_key_in_the_address_is_refused_and_never_used(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    for query in (
        f"api_key={keys.reader}",
        f"token={keys.reader}",
        f"status=received&access_token={keys.reader}",
        f"service={keys.reader}",  # any value that looks like one of our keys
        "api_key=",
    ):
        # Without a header, and even beside a valid one: the request is refused, not served.
        for key in ("", keys.full):
            refused = api.get(f"/cases?{query}", key=key)
            assert refused.status_code == 400, query
            assert error_of(refused)["code"] == "key_in_query"
            assert "Authorization header" in error_of(refused)["message"]
    assert _last_used(catalogue_db, "open data portal") is None
    refused = api.post(f"/cases?api_key={keys.full}", {"service": "five-wd"}, key="")
    assert refused.status_code == 400
    assert api.get("/cases").json["items"] == []


def test_a_revoked_key_is_refused_from_the_next_request_on(
    api: ApiClient, keys: Keys, catalogue_db: Database
) -> None:
    assert api.get("/services", key=keys.reader).status_code == 200
    with catalogue_db.transaction() as s:
        revoke_api_key(s, "open data portal", now=NOW)
    refused = api.get("/services", key=keys.reader)
    assert refused.status_code == 401
    assert "revoked" in error_of(refused)["message"]


def test_refused_keys_are_limited_per_client_and_valid_keys_are_not(
    api: ApiClient, keys: Keys
) -> None:
    api.client.application.config["API_KEY_REFUSAL_LIMIT"] = "5 per minute"
    # A busy system with a valid key is never counted.
    for _ in range(12):
        assert api.get("/services", key=keys.reader, environ_base=OFFICE).status_code == 200
    for guess in range(5):
        key = f"ctk_guess{guess}"
        assert api.get("/services", key=key, environ_base=ATTACKER).status_code == 401
    slowed = api.get("/services", key="ctk_guess5", environ_base=ATTACKER)
    assert slowed.status_code == 429
    assert error_of(slowed)["code"] == "rate_limited"
    assert int(slowed.headers["Retry-After"]) > 0
    # Nothing more is looked up from that client meanwhile, a right guess included.
    assert api.get("/services", key=keys.reader, environ_base=ATTACKER).status_code == 429
    # Other clients keep their own allowance, and their valid keys work.
    assert api.get("/services", key=keys.reader, environ_base=OFFICE).status_code == 200
    assert api.get("/services", key="ctk_typo", environ_base=OFFICE).status_code == 401


def test_api_answers_are_not_stored(api: ApiClient, keys: Keys) -> None:
    case = api.file()
    for response in (
        api.get(f"/cases/{case['number']}"),
        api.get("/cases"),
        api.post("/cases", {"service": "five-wd"}),  # 422
        api.get(f"/cases/{case['number']}", key="ctk_unknown"),  # 401
    ):
        assert response.headers["Cache-Control"] == "no-store", response.status_code
    created = api.client.post(
        "/api/v1/cases",
        json={"service": "five-wd", "applicant_name": "王小明", "phone": "0912-345-678"},
        headers={"Authorization": f"Bearer {keys.full}"},
    )
    assert created.headers["Cache-Control"] == "no-store"
