"""A stranger guessing lookup codes cannot lock the applicant out: refused lookups count per
(case number, client) and per client, with the default limits."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import create_case
from tests.web.conftest import csrf_token
from tracker.db import Database

ATTACKER = "203.0.113.66"
APPLICANT = "198.51.100.7"


def _case(app: Flask) -> tuple[str, str]:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session)
        return case.number, case.lookup_code


def _browser(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _lookup(client: FlaskClient, number: str, code: str) -> TestResponse:
    token = csrf_token(client.get("/status").get_data(as_text=True))
    return client.post("/status", data={"csrf_token": token, "number": number, "code": code})


def _wrong(code: str, n: int) -> str:
    return str(n % 10) * 10 if code != str(n % 10) * 10 else "x" * 10


def test_guessing_one_case_does_not_block_its_applicants_right_code(app: Flask) -> None:
    number, code = _case(app)
    attacker, applicant = _browser(app, ATTACKER), _browser(app, APPLICANT)
    for n in range(10):
        assert _lookup(attacker, number, _wrong(code, n)).status_code == 200
    assert _lookup(attacker, number, code).status_code == 429
    assert _lookup(applicant, number, code).status_code == 303
    assert applicant.get("/status/case").status_code == 200


def test_guessing_many_cases_from_one_client_is_stopped(app: Flask) -> None:
    number, code = _case(app)
    attacker, applicant = _browser(app, ATTACKER), _browser(app, APPLICANT)
    for n in range(10):
        assert _lookup(attacker, f"20990101-{n:04d}", code).status_code == 200
    assert _lookup(attacker, number, code).status_code == 429
    assert _lookup(applicant, number, code).status_code == 303
