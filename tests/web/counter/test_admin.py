"""Administration: users, catalogue reload, closures, and the audit log of all of it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import DATA
from tests.web.counter.conftest import Console, file_social_case, load_case
from tracker.accounts.users import verify_password
from tracker.db import Database
from tracker.models import AuditEntry, Closure, Service, User


@pytest.fixture
def root(console: Console) -> Console:
    assert console.login("root").status_code == 303
    return console


def _audit(database: Database) -> list[AuditEntry]:
    with database.transaction() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_the_admin_screen_lists_users(root: Console) -> None:
    page = root.get("/counter/admin").text
    for username in ("clerk", "colleague", "civil", "boss", "root"):
        assert f'<th scope="row">{username}</th>' in page
    assert "Reload the catalogue" in page and "Declare the closure" in page


def test_creating_a_user_with_a_generated_password(root: Console, catalogue_db: Database) -> None:
    response = root.post(
        "/counter/admin/users",
        {"username": "newclerk", "display_name": "林小姐", "role": "clerk",
         "department": "sanmin/civil", "password": ""},
    )  # fmt: skip
    assert response.status_code == 201
    shown = re.search(r'<code class="generated-password">([^<]+)</code>', response.text)
    assert shown is not None
    with catalogue_db.transaction() as session:
        user = session.scalar(select(User).where(User.username == "newclerk"))
        assert user is not None and user.role == "clerk" and user.department is not None
        assert user.department.path == "sanmin/civil"
        assert verify_password(user.password_hash, shown.group(1))
    entry = _audit(catalogue_db)[-1]
    assert (entry.action, entry.actor, entry.target) == ("user_created", "root", "newclerk")
    assert shown.group(1) not in repr(entry.data)
    # The new clerk can sign in with it.
    other = Console(root.client.application.test_client())
    assert other.login("newclerk", shown.group(1)).status_code == 303


def test_a_chosen_password_is_not_shown_and_bad_input_is_refused(
    root: Console, catalogue_db: Database
) -> None:
    chosen = root.post(
        "/counter/admin/users",
        {"username": "sup2", "role": "supervisor", "department": "sanmin/social",
         "password": "a-long-enough-password"},
    )  # fmt: skip
    assert chosen.status_code == 201 and "generated-password" not in chosen.text
    refused = root.post(
        "/counter/admin/users",
        {"username": "clerk", "role": "clerk", "department": "", "password": "short"},
    )
    assert refused.status_code == 422
    errors = dict(
        re.findall(r'<p class="field__error" id="([a-z_]+)-error">([^<]*)</p>', refused.text)
    )
    assert errors == {
        "username": "“clerk” is already taken.",
        "password": "At least 12 characters.",
        "department": "Clerks and supervisors belong to a department.",
    }


def test_reloading_the_configured_catalogue(
    root: Console, catalogue_db: Database, app: Flask, tmp_path: Path
) -> None:
    unchanged = root.post("/counter/admin/catalogue")
    assert unchanged.status_code == 200
    assert "No changes: the catalogue is already up to date." in unchanged.text
    # Point the installation at an edited copy: a new service appears.
    edited = tmp_path / "catalogue.yaml"
    shutil.copy(DATA / "test-catalogue.yaml", edited)
    with edited.open("a", encoding="utf-8") as f:
        f.write(
            "  - code: new-service\n    agency: sanmin\n    department: social\n"
            "    name: {zh-TW: 新服務, en: New service}\n    time_limit: 3wd\n"
        )
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = type(settings)(**{**settings.__dict__, "catalogue_file": edited})
    changed = root.post("/counter/admin/catalogue")
    assert "added service new-service" in changed.text
    with catalogue_db.transaction() as session:
        assert session.scalar(select(Service).where(Service.code == "new-service")) is not None
    entries = [e for e in _audit(catalogue_db) if e.action == "catalogue_reloaded"]
    assert [e.target for e in entries] == ["test-catalogue.yaml", "catalogue.yaml"]
    # A broken file changes nothing and says why.
    edited.write_text("agencies: [\n", encoding="utf-8")
    refused = root.post("/counter/admin/catalogue")
    assert refused.status_code == 303
    assert "The catalogue was refused; nothing was changed" in root.get(refused.location).text


def test_declaring_a_closure_retimes_open_cases(root: Console, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    assert case.due_date is not None
    # A working day inside the case's period: closing it moves the due date one working day.
    day = case.due_date
    response = root.post(
        "/counter/admin/closures",
        {"day": day.isoformat(), "agency": "sanmin", "reason": "颱風停止上班"},
    )
    assert response.status_code == 303
    assert "1 open cases were re-timed" in root.get(response.location).text
    assert load_case(catalogue_db, case.number).due_date > day
    with catalogue_db.transaction() as session:
        closure = session.scalar(select(Closure))
        assert closure is not None and closure.declared_by == "root"
    entry = _audit(catalogue_db)[-1]
    assert (entry.action, entry.target) == ("closure_declared", f"{day.isoformat()} sanmin")
    again = root.post(
        "/counter/admin/closures", {"day": day.isoformat(), "agency": "sanmin", "reason": "again"}
    )
    assert again.status_code == 422
    assert f"{day.isoformat()} is already declared closed for sanmin." in again.text


def test_a_closure_needs_a_day_and_a_reason(root: Console) -> None:
    response = root.post("/counter/admin/closures", {"day": "", "agency": "", "reason": ""})
    assert response.status_code == 422
    assert 'id="day-error"' in response.text


def test_withdrawing_a_closure_gives_the_due_date_back(
    root: Console, catalogue_db: Database
) -> None:
    case = file_social_case(catalogue_db)
    assert case.due_date is not None
    day = case.due_date
    root.post(
        "/counter/admin/closures",
        {"day": day.isoformat(), "agency": "sanmin", "reason": "颱風停止上班"},
    )
    with catalogue_db.transaction() as session:
        closure_id = session.scalars(select(Closure.id)).one()
    page = root.get("/counter/admin").text
    assert f"Withdraw the closure of {day.isoformat()}" in page
    path = f"/counter/admin/closures/{closure_id}/withdraw"
    refused = root.post(path, {"reason": ""}, prefix=f"withdraw-{closure_id}")
    assert refused.status_code == 422
    assert f'id="withdraw-{closure_id}-reason-error"' in refused.text
    done = root.post(path, {"reason": "颱風轉向"}, prefix=f"withdraw-{closure_id}")
    assert done.status_code == 303
    assert "was withdrawn; 1 open cases were re-timed" in root.get(done.location).text
    assert load_case(catalogue_db, case.number).due_date == day
    entry = _audit(catalogue_db)[-1]
    assert (entry.action, entry.actor, entry.target) == (
        "closure_withdrawn", "root", f"{day.isoformat()} sanmin"
    )  # fmt: skip
    assert entry.data == {"retimed": 1, "reason": "颱風轉向"}
    # Withdrawn once: there is nothing left to withdraw.
    again = root.post(path, {"reason": "again"}, prefix=f"withdraw-{closure_id}")
    assert again.status_code == 404


def test_the_audit_log_shows_logins_and_admin_acts(root: Console) -> None:
    other = Console(root.client.application.test_client())
    other.login("clerk", "wrong-password-here")
    page = root.get("/counter/admin/audit").text
    assert "Sign-in failed" in page and "wrong password" in page
    assert "Signed in" in page
    assert "wrong-password-here" not in page
