"""API fixtures: the app on each backend, keys with each scope, and a client that sends them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.web.conftest import make_app
from tracker.accounts.users import SCOPES, create_api_key, revoke_api_key
from tracker.db import Database

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Keys:
    """One key per kind of caller the API must tell apart."""

    full: str  # every scope
    reader: str  # cases:read: cases without the applicant's name, phone and email
    writer: str  # cases:write only
    revoked: str


def make_keys(database: Database) -> Keys:
    """Create the keys in ``database``."""
    with database.transaction() as s:
        _, full = create_api_key(s, "case system", now=NOW, scopes=SCOPES)
        _, reader = create_api_key(s, "open data portal", now=NOW, scopes=("cases:read",))
        _, writer = create_api_key(s, "kiosk", now=NOW, scopes=("cases:write",))
        _, revoked = create_api_key(s, "old system", now=NOW)
        revoke_api_key(s, "old system", now=NOW)
    return Keys(full, reader, writer, revoked)


class ApiClient:
    """A test client for ``/api/v1`` that sends an API key (the full one unless told)."""

    def __init__(self, client: FlaskClient, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def _headers(self, key: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        sent = {} if key == "" else {"Authorization": f"Bearer {key or self.keys.full}"}
        return {**sent, **(headers or {})}

    def get(
        self,
        path: str,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """GET ``PREFIX + path``; ``key=""`` sends none."""
        return self.client.get(PREFIX + path, headers=self._headers(key, headers), **kwargs)

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """POST a JSON body to ``PREFIX + path``."""
        if json is not None:
            kwargs["json"] = json
        return self.client.post(PREFIX + path, headers=self._headers(key, headers), **kwargs)

    def file(self, service: str = "five-wd", **fields: Any) -> dict[str, Any]:
        """File a case through the API and return its document."""
        body = {"service": service, "applicant_name": "王小明", "phone": "0912-345-678", **fields}
        response = self.post("/cases", body)
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def keys(catalogue_db: Database) -> Keys:
    """API keys with each scope, and a revoked one."""
    return make_keys(catalogue_db)


@pytest.fixture
def api(app: Flask, keys: Keys) -> ApiClient:
    """A client of the API, with the full key unless a call says otherwise."""
    return ApiClient(app.test_client(), keys)


@pytest.fixture
def api_app(catalogue_db: Database, tmp_path: Path) -> Iterator[Flask]:
    """The app with a small rate limit, to see it refuse."""
    app = make_app(catalogue_db, tmp_path)
    app.config["API_RATE_LIMIT"] = "3 per minute"
    yield app
    app.extensions["database"].dispose()


def error_of(response: TestResponse) -> dict[str, Any]:
    """The ``error`` object of a JSON error response (and check that it is one)."""
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    error = response.json["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error
