"""The templates' ``csrf_token()``: signed once per session token, and accepted like a fresh one.

The status page's "forget this case" form carries it (forms built with Flask-WTF's FlaskForm,
such as the lookup form, sign their own field as before).
"""

from __future__ import annotations

import re

import time_machine
from flask import Flask, session
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.conftest import csrf_token
from tracker.db import Database
from web.core.extensions import csrf_token as csrf_token_global

_FORGET_TOKEN = re.compile(
    r'action="/status/forget">\s*<input type="hidden" name="csrf_token" value="([^"]+)"'
)


def _looked_up(app: Flask, client: FlaskClient) -> None:
    """``client`` has looked a new case up: its session shows the case page."""
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session)
        number, code = case.number, case.lookup_code
    token = csrf_token(client.get("/status").get_data(as_text=True))
    answer = client.post("/status", data={"csrf_token": token, "number": number, "code": code})
    assert answer.status_code == 303


def _forget_token(client: FlaskClient) -> str:
    page = client.get("/status/case")
    assert page.status_code == 200
    match = _FORGET_TOKEN.search(page.get_data(as_text=True))
    assert match, "the case page has no forget form"
    return match.group(1)


def test_a_session_keeps_its_signed_token_and_it_is_accepted(
    app: Flask, client: FlaskClient
) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        _looked_up(app, client)
        first = _forget_token(client)
        clock.shift(1)  # itsdangerous signs with the time in seconds: a new signature would differ
        assert _forget_token(client) == first
        # Another signature of the same form: refused; the kept one: accepted.
        forged = first.rsplit(".", 1)[0] + "." + "A" * len(first.rsplit(".", 1)[1])
        assert client.post("/status/forget", data={"csrf_token": forged}).status_code == 400
        assert client.post("/status/forget", data={"csrf_token": first}).status_code == 303


def test_another_session_gets_another_token(app: Flask, client: FlaskClient) -> None:
    other = app.test_client()
    _looked_up(app, client)
    _looked_up(app, other)
    stolen = _forget_token(client)
    assert _forget_token(other) != stolen
    # Each is valid only with its own session.
    assert other.post("/status/forget", data={"csrf_token": stolen}).status_code == 400


def test_with_a_time_limit_every_page_signs_afresh(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    with time_machine.travel(NOW, tick=False) as clock:
        _looked_up(app, client)
        first = _forget_token(client)
        clock.shift(1)
        assert _forget_token(client) != first


def test_the_first_token_of_a_new_session_is_kept_too(app: Flask) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        with app.test_request_context("/status"):
            first = csrf_token_global()  # no raw token yet: Flask-WTF makes one
            raw = session["csrf_token"]
        clock.shift(1)
        with app.test_request_context("/status"):
            session["csrf_token"] = raw  # the same session, on its next page
            assert csrf_token_global() == first
