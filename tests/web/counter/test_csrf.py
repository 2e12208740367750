"""Every console form needs its CSRF token; a POST without one changes nothing."""

from __future__ import annotations

from tests.web.counter.conftest import PASSWORD, Console, file_social_case, load_case
from tracker.db import Database
from tracker.lifecycle import CaseStatus


def test_a_case_action_without_the_token_is_refused(clerk: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    forged = clerk.client.post(
        f"/counter/cases/{case.number}/complete",
        data={"complete-version": case.version, "complete-note": "done"},
    )
    assert forged.status_code == 400
    assert "This form has expired" in forged.text
    wrong = clerk.client.post(
        f"/counter/cases/{case.number}/complete",
        data={"complete-version": case.version, "csrf_token": "forged", "complete-csrf_token": "x"},
    )
    assert wrong.status_code == 400
    assert load_case(catalogue_db, case.number).status == CaseStatus.RECEIVED


def test_login_and_logout_need_the_token(console: Console, clerk: Console) -> None:
    bare = console.client.application.test_client()
    response = bare.post("/counter/login", data={"username": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert clerk.client.post("/counter/logout").status_code == 400
    assert clerk.get("/counter").status_code == 200  # still signed in


def test_admin_forms_need_the_token(console: Console) -> None:
    console.login("root")
    for path in ("/counter/admin/users", "/counter/admin/catalogue", "/counter/admin/closures"):
        assert console.client.post(path, data={"username": "x"}).status_code == 400, path
