"""``tracker user deactivate|activate|reset-password|set-role``: each changes one account, ends
its sessions, is audited; an unknown user or a bad role changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.cli.conftest import Run
from tests.conftest import DATA
from tracker.accounts.passwords import password_problem
from tracker.accounts.users import verify_password
from tracker.db import Database
from tracker.models import AuditEntry, User

CATALOGUE = str(DATA / "test-catalogue.yaml")


@pytest.fixture
def staff(run: Run) -> Run:
    run("db", "upgrade")
    run("catalogue", "load", CATALOGUE)
    for args in (("root", "--role", "admin"), ("wang", "--role", "clerk")):
        extra = ("--department", "sanmin/social") if "clerk" in args else ()
        assert run("user", "create", *args, *extra, "--generate-password").exit_code == 0
    return run


def _user(database: Database, name: str) -> User:
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.username == name))
        assert user is not None
        s.expunge(user)
        return user


def _actions(database: Database) -> list[tuple[str, str | None]]:
    with database.transaction() as s:
        return [(e.action, e.target) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_deactivate_and_activate(staff: Run, database: Database) -> None:
    off = staff("user", "deactivate", "wang")
    assert off.exit_code == 0, off.output
    assert _user(database, "wang").active is False
    assert _user(database, "wang").session_generation == 1
    on = staff("user", "activate", "wang")
    assert on.exit_code == 0, on.output
    assert _user(database, "wang").active is True
    assert _actions(database)[-2:] == [("user_deactivated", "wang"), ("user_activated", "wang")]


def test_reset_password_prints_the_one_time_password_last(staff: Run, database: Database) -> None:
    result = staff("user", "reset-password", "wang")
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert password_problem(password) is None
    user = _user(database, "wang")
    assert verify_password(user.password_hash, password)
    assert user.must_change_password is True
    assert user.session_generation == 1
    assert _actions(database)[-1] == ("password_reset", "wang")


def test_set_role(staff: Run, database: Database) -> None:
    result = staff("user", "set-role", "wang", "--role", "supervisor", "--department", "sanmin")
    assert result.exit_code == 0, result.output
    user = _user(database, "wang")
    assert (user.role, user.department_id, user.session_generation) == ("supervisor", None, 1)
    assert user.agency is not None
    assert user.agency.code == "sanmin"
    admin = staff("user", "set-role", "wang", "--role", "admin")
    assert admin.exit_code == 0, admin.output
    assert _user(database, "wang").agency_id is None
    assert _actions(database)[-2:] == [("role_changed", "wang"), ("role_changed", "wang")]


@pytest.mark.parametrize(
    "args",
    [
        ("deactivate", "nobody"),
        ("activate", "nobody"),
        ("reset-password", "nobody"),
        ("set-role", "nobody", "--role", "clerk", "--department", "sanmin/social"),
    ],
)
def test_an_unknown_user_changes_nothing(staff: Run, database: Database, args: tuple[str]) -> None:
    before = _actions(database)
    result = staff("user", *args)
    assert result.exit_code != 0
    assert "there is no user 'nobody'" in result.output
    assert _actions(database) == before


def test_set_role_refusals_change_nothing(staff: Run, database: Database) -> None:
    no_dept = staff("user", "set-role", "wang", "--role", "clerk")
    assert no_dept.exit_code != 0
    assert "belong to a department" in no_dept.output
    bad_dept = staff("user", "set-role", "wang", "--role", "clerk", "--department", "sanmin/zoo")
    assert bad_dept.exit_code != 0
    assert "no department 'sanmin/zoo'" in bad_dept.output
    assert staff("user", "set-role", "wang", "--role", "boss").exit_code != 0
    last_admin = staff("user", "deactivate", "root")
    assert last_admin.exit_code != 0
    assert "no active administrator" in last_admin.output
    user = _user(database, "wang")
    assert (user.role, user.session_generation) == ("clerk", 0)
    assert _user(database, "root").active is True
