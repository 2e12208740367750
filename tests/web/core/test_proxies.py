"""TRUSTED_PROXIES: X-Forwarded-For is believed from that many proxies, and from none by default.

A forged header must change neither the rate limits' client, the audit log's address nor the
loopback check of /outbox and /metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from config import SettingsError, load_settings
from tests.web.conftest import csrf_token, make_app
from tracker.accounts import audit
from tracker.db import Database
from tracker.models import AuditEntry

OUTSIDE = {"REMOTE_ADDR": "203.0.113.77"}


@pytest.fixture(params=["0", "1"])
def proxied(
    request: pytest.FixtureRequest, catalogue_db: Database, tmp_path: Path
) -> Iterator[Flask]:
    """The app with TRUSTED_PROXIES 0 (the default) and 1 (docker-compose's web)."""
    # make_app sets 1 for the other tests: the default is given by leaving the setting empty.
    setting = request.param if request.param == "1" else ""
    app = make_app(catalogue_db, tmp_path, TRUSTED_PROXIES=setting)
    yield app
    app.extensions["database"].dispose()


def _trusted(app: Flask) -> bool:
    return bool(app.config["SETTINGS"].trusted_proxies)


def _lookup(client: FlaskClient, forwarded_for: str) -> TestResponse:
    headers = {"X-Forwarded-For": forwarded_for}
    token = csrf_token(client.get("/status", headers=headers).get_data(as_text=True))
    form = {"csrf_token": token, "number": "20260413-0001", "code": "2" * 10}
    return client.post("/status", data=form, headers=headers)


def test_the_default_is_no_proxy(tmp_path: Path) -> None:
    assert load_settings({"TRACKER_INSTANCE": str(tmp_path)}).trusted_proxies == 0
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({"TRACKER_INSTANCE": str(tmp_path), "TRUSTED_PROXIES": "yes"})


def test_the_rate_limits_client(proxied: Flask) -> None:
    proxied.config.update(STATUS_LIMIT_PER_CLIENT="2 per minute", STATUS_LIMIT_PER_CASE="100/hour")
    client = proxied.test_client()
    for _ in range(2):
        assert _lookup(client, "198.51.100.1").status_code == 200  # "not found", said kindly
    first = _lookup(client, "198.51.100.1")
    assert first.status_code == 429
    # Another forwarded address: another client behind the proxy, a forgery without one.
    other = _lookup(client, "198.51.100.99")
    assert other.status_code == (200 if _trusted(proxied) else 429)


def test_the_audit_logs_address(proxied: Flask, catalogue_db: Database) -> None:
    client = proxied.test_client()
    headers = {"X-Forwarded-For": "198.51.100.23"}
    token = csrf_token(client.get("/counter/login").get_data(as_text=True))
    form = {"csrf_token": token, "username": "nobody", "password": "wrong-password-here"}
    assert client.post("/counter/login", data=form, headers=headers).status_code == 200
    with catalogue_db.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == audit.LOGIN_FAILED))
        assert entry is not None
        address = entry.remote_addr
    # The test client's own peer is 127.0.0.1.
    assert address == ("198.51.100.23" if _trusted(proxied) else "127.0.0.1")


def test_the_loopback_check_of_outbox_and_metrics(proxied: Flask) -> None:
    client = proxied.test_client()
    forged = {"X-Forwarded-For": "127.0.0.1"}
    for page in ("/outbox", "/metrics"):
        assert client.get(page).status_code == 200
        # From elsewhere, claiming to be this machine.
        assert client.get(page, environ_base=OUTSIDE, headers=forged).status_code == 404
    behind = {"X-Forwarded-For": "198.51.100.23"}
    # From a proxy on this machine the client it forwards is elsewhere; without a trusted
    # proxy the header is nobody's word and the loopback peer is the client.
    assert client.get("/outbox", headers=behind).status_code == (404 if _trusted(proxied) else 200)
