"""Guessing is rate limited per client and per case number; reading one's own case is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import create_case
from tests.support.servers import RedisServer
from tests.web.conftest import csrf_token, make_app
from tracker.db import Database


def _case(app: Flask) -> tuple[str, str]:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session)
        return case.number, case.lookup_code


def _wrong(code: str) -> str:
    return "2" * 10 if code != "2" * 10 else "3" * 10


def _post(client: FlaskClient, number: str, code: str, client_ip: str) -> TestResponse:
    # Behind the proxy (ProxyFix), the client is the address it forwards.
    headers = {"X-Forwarded-For": client_ip}
    token = csrf_token(client.get("/status", headers=headers).get_data(as_text=True))
    return client.post(
        "/status",
        data={"csrf_token": token, "number": number, "code": code},
        headers=headers,
    )


def test_one_client_is_stopped_after_its_limit_of_refused_lookups(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(STATUS_LIMIT_PER_CLIENT="3 per minute", STATUS_LIMIT_PER_CASE="100/hour")
    number, code = _case(app)
    for n in range(3):
        assert _post(client, f"20990101-000{n}", code, "198.51.100.7").status_code == 200
    stopped = _post(client, number, code, "198.51.100.7")
    assert stopped.status_code == 429
    assert "嘗試次數過多" in stopped.get_data(as_text=True)
    assert "Retry-After" in stopped.headers
    # Another client is not affected.
    assert _post(client, number, code, "203.0.113.9").status_code == 303


def test_one_case_number_is_stopped_per_client_and_the_applicant_still_gets_in(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(STATUS_LIMIT_PER_CLIENT="100/minute", STATUS_LIMIT_PER_CASE="3 per hour")
    number, code = _case(app)
    for _ in range(3):
        assert _post(client, number, _wrong(code), "198.51.100.1").status_code == 200
    # That client waits, even with the right code: it has been guessing this number.
    assert _post(client, number, code, "198.51.100.1").status_code == 429
    # The applicant, elsewhere, gets in with the right code: a stranger cannot lock them out.
    assert _post(client, number, code, "198.51.100.99").status_code == 303
    # Other case numbers are unaffected, also from the guessing client.
    other_number, other_code = _case(app)
    assert _post(client, other_number, other_code, "198.51.100.1").status_code == 303


def test_the_case_limit_counts_the_number_however_it_is_typed(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(STATUS_LIMIT_PER_CLIENT="100/minute", STATUS_LIMIT_PER_CASE="2 per hour")
    number, code = _case(app)
    spaced = number.replace("-", " ")
    compact = number.replace("-", "")
    assert _post(client, spaced, _wrong(code), "198.51.100.1").status_code == 200
    assert _post(client, compact, _wrong(code), "198.51.100.1").status_code == 200
    assert _post(client, number, code, "198.51.100.1").status_code == 429


def test_successful_lookups_do_not_use_up_the_limits(app: Flask, client: FlaskClient) -> None:
    app.config.update(STATUS_LIMIT_PER_CLIENT="2 per minute", STATUS_LIMIT_PER_CASE="2 per hour")
    number, code = _case(app)
    for _ in range(5):
        assert _post(client, number, code, "198.51.100.7").status_code == 303


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server (never the shared one on 6379); fails, never skips, without it."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


def test_with_redis_the_counts_are_shared_by_every_web_process(
    catalogue_db: Database, tmp_path: Path, private_redis: RedisServer
) -> None:
    # Two gunicorn workers are two apps: a guesser must not get a fresh allowance from each.
    first = make_app(catalogue_db, tmp_path, REDIS_URL=private_redis.url)
    first.config.update(STATUS_LIMIT_PER_CLIENT="2 per minute")
    number, code = _case(first)
    for _ in range(2):
        assert _post(first.test_client(), number, _wrong(code), "198.51.100.7").status_code == 200
    assert redis.Redis.from_url(private_redis.url).keys("*tracker*")

    # A new app starts with a new storage object: in memory it would have forgotten the count.
    second = make_app(catalogue_db, tmp_path, REDIS_URL=private_redis.url)
    second.config.update(STATUS_LIMIT_PER_CLIENT="2 per minute")
    assert _post(second.test_client(), number, code, "198.51.100.7").status_code == 429
    assert _post(second.test_client(), number, code, "203.0.113.9").status_code == 303
    for app in (first, second):
        app.extensions["database"].dispose()
