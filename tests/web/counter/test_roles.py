"""The role matrix: every console route × anonymous, clerk, supervisor, administrator."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.web.counter.conftest import Console, file_civil_case, file_social_case
from tracker.db import Database
from web.counter.access import declared_roles

CASE_STAFF = {"clerk", "boss"}
ADMIN = {"root"}
EVERYONE = CASE_STAFF | ADMIN
REPORTS = {"boss", "root"}

# (method, path, who may use it); {number} is a case of the social section.
ROUTES = [
    ("GET", "/counter", EVERYONE),
    ("GET", "/counter/file", CASE_STAFF),
    ("GET", "/counter/file/five-wd", CASE_STAFF),
    ("POST", "/counter/file/five-wd", CASE_STAFF),
    ("GET", "/counter/search?q=0912", CASE_STAFF),
    ("GET", "/counter/cases/{number}", CASE_STAFF),
    ("GET", "/counter/cases/{number}/receipt", CASE_STAFF),
    ("POST", "/counter/cases/{number}/note", CASE_STAFF),
    ("POST", "/counter/cases/{number}/complete", CASE_STAFF),
    ("GET", "/counter/reports", REPORTS),
    ("GET", "/counter/reports.csv", REPORTS),
    ("GET", "/counter/admin", ADMIN),
    ("GET", "/counter/admin/audit", ADMIN),
    ("POST", "/counter/admin/users", ADMIN),
    ("POST", "/counter/admin/catalogue", ADMIN),
    ("POST", "/counter/admin/closures", ADMIN),
    ("POST", "/counter/logout", EVERYONE),
]


def test_every_console_view_declares_its_roles(app: Flask) -> None:
    endpoints = [r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("counter.")]
    assert len(endpoints) >= 14
    with app.test_request_context():
        missing = [e for e in endpoints if declared_roles(e) is None]
    assert missing == []


@pytest.mark.parametrize("who", [None, "clerk", "boss", "root"])
def test_role_matrix(console: Console, catalogue_db: Database, who: str | None) -> None:
    number = file_social_case(catalogue_db).number
    if who:
        assert console.login(who).status_code == 303
    for method, template, allowed in ROUTES:
        path = template.format(number=number)
        response = console.get(path) if method == "GET" else console.post(path)
        where = f"{who or 'anonymous'} {method} {path}"
        if who is None:
            assert response.status_code == 303, where
            assert response.location.startswith("/counter/login"), where
        elif who in allowed:
            assert response.status_code not in (401, 403, 404), where
            if path != "/counter/logout":  # which signs out, and says so by going to the login
                assert not (response.location or "").startswith("/counter/login"), where
        else:
            assert response.status_code == 403, where
        if path == "/counter/logout" and who:
            console.login(who)  # signed out by the matrix itself: sign in again


def test_an_administrator_starts_on_the_admin_screen(console: Console) -> None:
    console.login("root")
    response = console.get("/counter")
    assert (response.status_code, response.location) == (303, "/counter/admin")


def test_another_departments_case_is_not_found_not_forbidden(
    console: Console, catalogue_db: Database
) -> None:
    """404, as for a number that does not exist: the console cannot be used to probe numbers."""
    theirs = file_civil_case(catalogue_db).number
    ours = file_social_case(catalogue_db).number
    console.login("clerk")
    for path in (f"/counter/cases/{theirs}", f"/counter/cases/{theirs}/receipt"):
        assert console.get(path).status_code == 404
    assert console.get("/counter/cases/20990101-0001").status_code == 404
    assert (
        console.post(f"/counter/cases/{theirs}/note", {"note": "x"}, prefix="note").status_code
        == 404
    )
    assert console.get(f"/counter/cases/{ours}").status_code == 200
    console.login("boss")  # a supervisor sees the department, no more
    assert console.get(f"/counter/cases/{theirs}").status_code == 404
    assert console.get(f"/counter/cases/{ours}").status_code == 200
