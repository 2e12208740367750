"""The templates' CSRF token: signed once per session token, and accepted like a fresh one."""

from __future__ import annotations

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import NOW
from tests.web.conftest import csrf_token


def _status_token(client: FlaskClient) -> str:
    return csrf_token(client.get("/status").get_data(as_text=True))


def test_a_session_keeps_its_signed_token_and_it_is_accepted(client: FlaskClient) -> None:
    first = _status_token(client)
    assert _status_token(client) == first
    # The forget form carries the templates' token: a POST with it passes the CSRF check.
    answer = client.post("/status/forget", data={"csrf_token": first})
    assert answer.status_code == 303
    assert client.post("/status/forget", data={"csrf_token": first[:-2] + "xx"}).status_code == 400


def test_another_session_gets_another_token(app: Flask, client: FlaskClient) -> None:
    other = app.test_client()
    assert _status_token(other) != _status_token(client)
    # Each is valid only with its own session.
    assert (
        other.post("/status/forget", data={"csrf_token": _status_token(client)}).status_code == 400
    )


def test_with_a_time_limit_every_page_signs_afresh(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    with time_machine.travel(NOW, tick=False) as clock:
        first = _status_token(client)
        clock.shift(1)  # itsdangerous signs with the time in seconds
        assert _status_token(client) != first
