"""The templates' ``csrf_token()`` is Flask-WTF's own: each page's token is accepted, only in its
own session, and a forged signature is refused.

The status page's "forget this case" form carries it (forms built with Flask-WTF's FlaskForm,
such as the lookup form, sign their own field).
"""

from __future__ import annotations

import re

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.conftest import csrf_token
from tracker.db import Database
from web.core.extensions import csrf

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


def test_each_pages_token_is_accepted_and_a_forged_one_refused(
    app: Flask, client: FlaskClient
) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        _looked_up(app, client)
        first = _forget_token(client)
        clock.shift(1)  # itsdangerous signs with the time in seconds
        second = _forget_token(client)
        forged = first.rsplit(".", 1)[0] + "." + "A" * len(first.rsplit(".", 1)[1])
        assert client.post("/status/forget", data={"csrf_token": forged}).status_code == 400
        assert client.post("/status/forget", data={"csrf_token": second}).status_code == 303
        _looked_up(app, client)
        assert client.post("/status/forget", data={"csrf_token": first}).status_code == 303


def test_another_session_gets_another_token(app: Flask, client: FlaskClient) -> None:
    other = app.test_client()
    _looked_up(app, client)
    _looked_up(app, other)
    stolen = _forget_token(client)
    assert _forget_token(other) != stolen
    # Each is valid only with its own session.
    assert other.post("/status/forget", data={"csrf_token": stolen}).status_code == 400


def test_templates_get_flask_wtfs_own_csrf_token(app: Flask) -> None:
    from flask_wtf.csrf import generate_csrf

    assert app.jinja_env.globals["csrf_token"] is generate_csrf
    assert csrf in app.extensions.values() or "csrf" in app.extensions
