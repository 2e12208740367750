"""Web fixtures: the real app on the test database (each backend), a client, form tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import load_settings
from tracker.db import Database
from web import create_app

_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def make_app(database: Database, tmp_path: Path, **environ: str) -> Flask:
    """The app as ``create_app()`` builds it from an operator's environment, on ``database``."""
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(tmp_path / "instance"),
            "DATABASE_URL": database.url,
            "SECRET_KEY": "web-tests-" + "s" * 40,
            # Behind one reverse proxy, as docker-compose runs it: a test's client is the
            # X-Forwarded-For address it sends (tests/web/core/test_proxies.py tests the
            # default, 0).
            "TRUSTED_PROXIES": "1",
            **environ,
        }
    )
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    """The app on the test catalogue, CSRF and rate limits on, as in production."""
    app = make_app(catalogue_db, tmp_path)
    yield app
    app.extensions["database"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser: keeps cookies between requests."""
    return app.test_client()


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1) or match.group(2)
