"""The console under the Flask test client, on a real database (each backend), CSRF enabled."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from config import load_settings
from tests.conftest import DATA, NOW
from tests.factories import create_case
from tracker.accounts.users import hash_password
from tracker.db import Database
from tracker.models import Agency, Case, Department, User
from web import create_app

PASSWORD = "correct-horse-battery"
# (username, role, department): two departments of one agency, so scoping can be seen.
USERS = {
    "clerk": ("clerk", "sanmin/social"),
    "colleague": ("clerk", "sanmin/social"),
    "civil": ("clerk", "sanmin/civil"),
    "boss": ("supervisor", "sanmin/social"),
    # Staff of the whole agency: its head (the agency view) and its one-stop counter.
    "head": ("supervisor", "sanmin"),
    "onestop": ("clerk", "sanmin"),
    "root": ("admin", None),
}
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@cache
def _password_hash() -> str:
    # One argon2 hash for every test user: hashing is slow on purpose.
    return hash_password(PASSWORD)


@pytest.fixture
def console_environ() -> dict[str, str]:
    """More settings for the console's app; a test module overrides this fixture to add some."""
    return {}


@pytest.fixture
def app(catalogue_db: Database, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    try:
        console_environ = request.getfixturevalue("console_environ")
    except pytest.FixtureLookupError:  # a test module elsewhere that imports this fixture
        console_environ = {}
    settings = load_settings(
        {
            "TRACKER_INSTANCE": str(tmp_path),
            "DATABASE_URL": catalogue_db.url,
            "CATALOGUE_FILE": str(DATA / "test-catalogue.yaml"),
            "PUBLIC_BASE_URL": "https://cases.example.gov.tw",
            "SECRET_KEY": "console-tests-" + "c" * 40,
            # Behind one reverse proxy, as docker-compose runs it: a test's client is the
            # X-Forwarded-For address it sends.
            "TRUSTED_PROXIES": "1",
            **console_environ,
        }
    )
    app = create_app(settings)
    with catalogue_db.transaction() as session:
        departments = {d.path: d.id for d in session.scalars(select(Department))}
        agencies = {a.code: a.id for a in session.scalars(select(Agency))}
        for username, (role, department) in USERS.items():
            session.add(
                User(
                    username=username,
                    display_name=username.title(),
                    password_hash=_password_hash(),
                    role=role,
                    department_id=departments.get(department or ""),
                    agency_id=agencies.get(department or ""),
                    created_at=NOW,
                )
            )
    yield app
    app.extensions["database"].dispose()


@dataclass
class Console:
    """A browser at the console: it keeps its cookies and sends the CSRF token like a form."""

    client: FlaskClient
    token: str | None = None
    last: TestResponse | None = field(default=None, repr=False)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(url, **kwargs)
        self._remember(response)
        return response

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        prefix: str | None = None,
        plain: dict[str, Any] | None = None,
    ) -> TestResponse:
        """POST a form; ``prefix`` names the case action form the fields belong to, ``plain``
        fields are sent without it (a confirmation's answer)."""
        if self.token is None:
            self.get("/counter/login")
        values: dict[str, Any] = {"csrf_token": self.token, **(plain or {})}
        for name, value in (data or {}).items():
            values[f"{prefix}-{name}" if prefix else name] = value
        if prefix:
            values[f"{prefix}-csrf_token"] = self.token
        response = self.client.post(url, data=values)
        self._remember(response)
        return response

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        self.get("/counter/login")
        response = self.post("/counter/login", {"username": username, "password": password})
        # A login starts a new session: the old token is gone with it.
        self.token = None
        if response.status_code == 303:
            self.get("/counter/search")
        return response

    def _remember(self, response: TestResponse) -> None:
        self.last = response
        if response.mimetype == "text/html":
            match = _TOKEN.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1)


@pytest.fixture
def console(app: Flask) -> Console:
    """A signed-out browser, in English (the zh-TW default is tested on its own)."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    return Console(client)


@pytest.fixture
def clerk(console: Console) -> Console:
    """A browser with the social section's clerk signed in."""
    assert console.login("clerk").status_code == 303
    return console


def file_social_case(database: Database, **fields: Any) -> Case:
    """A case of the clerk's department (sanmin/social), filed now (the console acts now)."""
    fields.setdefault("now", datetime.now(UTC))
    with database.transaction() as session:
        return create_case(session, "five-wd", **fields)


def file_civil_case(database: Database, **fields: Any) -> Case:
    """A case of the other department (sanmin/civil), filed now."""
    fields.setdefault("now", datetime.now(UTC))
    with database.transaction() as session:
        return create_case(session, "fourteen-d", **fields)


def load_case(database: Database, number: str) -> Case:
    with database.transaction() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case
