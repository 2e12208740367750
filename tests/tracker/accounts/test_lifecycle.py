"""An account's lifecycle: each change audited, each that must end sessions bumping the
generation, refusals changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import NOW
from tracker.accounts import lifecycle
from tracker.accounts.users import create_user, verify_password
from tracker.db import Database
from tracker.errors import InvalidInput
from tracker.models import AuditEntry, User

GOOD = "marble-oyster-quietly-tundra"


@pytest.fixture
def staff(catalogue_db: Database) -> Database:
    with catalogue_db.transaction() as s:
        create_user(s, "root", role="admin", password=GOOD, now=NOW)
        create_user(s, "mei", role="clerk", department="sanmin/social", password=GOOD, now=NOW)
    return catalogue_db


def _user(database: Database, name: str) -> User:
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.username == name))
        assert user is not None
        s.expunge(user)
        return user


def _audit(database: Database) -> list[tuple[str, str | None, dict[str, object]]]:
    with database.transaction() as s:
        return [(e.action, e.target, e.data) for e in s.scalars(select(AuditEntry))]


def test_deactivate_and_activate(staff: Database) -> None:
    with staff.transaction() as s:
        lifecycle.deactivate(s, "Mei", actor="root", now=NOW)
    user = _user(staff, "mei")
    assert user.active is False
    assert user.session_generation == 1
    with staff.transaction() as s:
        lifecycle.activate(s, "mei", actor="root", now=NOW)
    assert _user(staff, "mei").active is True
    assert [a[:2] for a in _audit(staff)] == [
        ("user_deactivated", "mei"),
        ("user_activated", "mei"),
    ]


def test_reset_gives_a_one_time_password_and_ends_sessions(staff: Database) -> None:
    with staff.transaction() as s:
        _, password = lifecycle.reset_password(s, "mei", actor="root", now=NOW)
    user = _user(staff, "mei")
    assert verify_password(user.password_hash, password)
    assert user.must_change_password is True
    assert user.session_generation == 1
    assert password not in repr(_audit(staff))


def test_change_own_password(staff: Database) -> None:
    mei = _user(staff, "mei")
    with staff.transaction() as s:
        changed = lifecycle.change_own_password(
            s, mei.id, current=GOOD, new="glacier penguin violin summit", now=NOW
        )
        assert changed.session_generation == 1
    user = _user(staff, "mei")
    assert verify_password(user.password_hash, "glacier penguin violin summit")
    assert user.must_change_password is False
    assert _audit(staff)[-1][:2] == ("password_changed", "mei")


def test_change_own_password_refusals_change_nothing(staff: Database) -> None:
    mei = _user(staff, "mei")
    with pytest.raises(InvalidInput) as refused, staff.transaction() as s:
        lifecycle.change_own_password(s, mei.id, current="wrong", new="password1234", now=NOW)
    assert refused.value.fields == {
        "current": "is not your current password",
        "new": "is too easy to guess: it is one of the most commonly used passwords",
    }
    with pytest.raises(InvalidInput) as same, staff.transaction() as s:
        lifecycle.change_own_password(s, mei.id, current=GOOD, new=GOOD, now=NOW)
    assert same.value.fields == {"new": "must differ from the current password"}
    assert _user(staff, "mei").password_hash == mei.password_hash
    assert _user(staff, "mei").session_generation == 0


def test_set_role_moves_the_user_and_ends_sessions(staff: Database) -> None:
    with staff.transaction() as s:
        lifecycle.set_role(s, "mei", role="supervisor", department="sanmin", actor="root", now=NOW)
    user = _user(staff, "mei")
    assert (user.role, user.department_id, user.session_generation) == ("supervisor", None, 1)
    assert user.agency_id is not None
    assert _audit(staff)[-1] == (
        "role_changed",
        "mei",
        {
            "before": {"role": "clerk", "department": "sanmin/social"},
            "after": {"role": "supervisor", "department": "sanmin"},
        },
    )


def test_set_role_refuses_what_create_refuses(staff: Database) -> None:
    with pytest.raises(InvalidInput) as refused, staff.transaction() as s:
        lifecycle.set_role(s, "mei", role="clerk", department="nowhere/x", actor="r", now=NOW)
    assert "department" in refused.value.fields
    with pytest.raises(InvalidInput), staff.transaction() as s:
        lifecycle.set_role(s, "mei", role="clerk", department=None, actor="r", now=NOW)
    assert _user(staff, "mei").role == "clerk"
    assert _audit(staff) == []


def test_the_last_active_admin_stays(staff: Database) -> None:
    for change in (
        lambda s: lifecycle.deactivate(s, "root", actor="root", now=NOW),
        lambda s: lifecycle.set_role(
            s, "root", role="clerk", department="sanmin/social", actor="root", now=NOW
        ),
    ):
        with pytest.raises(InvalidInput) as refused, staff.transaction() as s:
            change(s)
        assert refused.value.fields == {"username": lifecycle.NO_ADMIN_LEFT}
    assert _user(staff, "root").active is True


def test_an_unknown_user_is_refused(staff: Database) -> None:
    with pytest.raises(InvalidInput) as refused, staff.transaction() as s:
        lifecycle.deactivate(s, "nobody", actor="root", now=NOW)
    assert refused.value.fields == {"username": "there is no user 'nobody'"}
