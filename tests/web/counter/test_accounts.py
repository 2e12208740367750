"""Accounts an office can run, in the console: sessions that really end, the administrator's
lifecycle buttons, one's own password, and the one-time password that opens nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from tests.web.counter.conftest import PASSWORD, Console
from tracker.accounts.users import verify_password
from tracker.db import Database
from tracker.models import AuditEntry, User

COOKIE = "tracker_session"
NEW = "glacier penguin violin summit"
_ONE_TIME = re.compile(r'<code class="generated-password">([^<]+)</code>')


def _browser(app: Flask, username: str) -> Console:
    console = Console(app.test_client())
    console.client.set_cookie("lang", "en")
    assert console.login(username).status_code == 303
    return console


def _user(database: Database, username: str) -> User:
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.expunge(user)
        return user


def _logout(app: Flask, clerk: Console) -> None:
    assert clerk.post("/counter/logout").status_code == 303


def _deactivate(app: Flask, clerk: Console) -> None:
    root = _browser(app, "root")
    root.get("/counter/admin/users/clerk")
    assert root.post("/counter/admin/users/clerk/deactivate").status_code == 303


def _change_own(app: Flask, clerk: Console) -> None:
    clerk.get("/counter/account/password")
    changed = clerk.post(
        "/counter/account/password", {"current": PASSWORD, "new": NEW, "confirm": NEW}
    )
    assert changed.status_code == 303
    assert clerk.get("/counter").status_code == 200  # this browser goes on


def _reset(app: Flask, clerk: Console) -> None:
    root = _browser(app, "root")
    root.get("/counter/admin/users/clerk")
    assert root.post("/counter/admin/users/clerk/reset-password").status_code == 200


def _set_role(app: Flask, clerk: Console) -> None:
    root = _browser(app, "root")
    root.get("/counter/admin/users/clerk")
    response = root.post(
        "/counter/admin/users/clerk/role", {"role": "clerk", "department": "sanmin/civil"}
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "end", [_logout, _deactivate, _change_own, _reset, _set_role], ids=lambda f: f.__name__
)
def test_a_cookie_saved_before_gets_the_login_page(
    app: Flask, clerk: Console, end: Callable[[Flask, Console], None]
) -> None:
    saved = clerk.client.get_cookie(COOKIE)
    assert saved is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, saved.value)
    assert thief.get("/counter").status_code == 200  # the copy works until then

    end(app, clerk)
    replayed = thief.get("/counter")
    assert replayed.status_code == 303
    assert replayed.location.startswith("/counter/login")


def test_the_admin_manages_a_user(app: Flask, catalogue_db: Database) -> None:
    root = _browser(app, "root")
    listing = root.get("/counter/admin").text
    assert 'href="/counter/admin/users/clerk"' in listing
    page = root.get("/counter/admin/users/clerk")
    assert page.status_code == 200
    assert "Deactivate clerk" in page.text

    root.post("/counter/admin/users/clerk/deactivate")
    assert _user(catalogue_db, "clerk").active is False
    assert "Reactivate clerk" in root.get("/counter/admin/users/clerk").text
    assert Console(app.test_client()).login("clerk").status_code == 200  # refused

    root.post("/counter/admin/users/clerk/activate")
    assert _user(catalogue_db, "clerk").active is True

    moved = root.post(
        "/counter/admin/users/clerk/role", {"role": "supervisor", "department": "sanmin"}
    )
    assert moved.status_code == 303
    user = _user(catalogue_db, "clerk")
    assert (user.role, user.department_id) == ("supervisor", None)
    with catalogue_db.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "root")))
    assert actions[-3:] == ["user_deactivated", "user_activated", "role_changed"]


def test_a_role_change_is_refused_with_the_reason(app: Flask, catalogue_db: Database) -> None:
    root = _browser(app, "root")
    root.get("/counter/admin/users/clerk")
    refused = root.post("/counter/admin/users/clerk/role", {"role": "clerk", "department": ""})
    assert refused.status_code == 422
    assert "Clerks and supervisors belong to a department." in refused.text
    assert 'class="error-summary"' in refused.text
    assert _user(catalogue_db, "clerk").session_generation == 0


def test_the_last_admin_cannot_be_deactivated(app: Flask, catalogue_db: Database) -> None:
    root = _browser(app, "root")
    root.get("/counter/admin/users/root")
    refused = root.post("/counter/admin/users/root/deactivate")
    assert refused.status_code == 303
    assert "no active administrator" in root.get(refused.location).text
    assert _user(catalogue_db, "root").active is True


def test_only_admins_and_only_with_csrf(app: Flask, clerk: Console) -> None:
    assert clerk.get("/counter/admin/users/colleague").status_code == 403
    assert clerk.post("/counter/admin/users/colleague/deactivate").status_code == 403
    root = _browser(app, "root")
    assert root.get("/counter/admin/users/nobody").status_code == 404
    root.get("/counter/admin/users/clerk")
    assert root.post("/counter/admin/users/nobody/reset-password").status_code == 404
    forged = root.client.post("/counter/admin/users/clerk/deactivate", data={})
    assert forged.status_code == 400


def test_a_one_time_password_opens_only_the_password_page(
    app: Flask, catalogue_db: Database
) -> None:
    root = _browser(app, "root")
    root.get("/counter/admin/users/clerk")
    shown = _ONE_TIME.search(root.post("/counter/admin/users/clerk/reset-password").text)
    assert shown is not None
    one_time = shown.group(1)
    assert verify_password(_user(catalogue_db, "clerk").password_hash, one_time)

    clerk = Console(app.test_client())
    clerk.client.set_cookie("lang", "en")
    clerk.get("/counter/login")
    signed_in = clerk.post("/counter/login", {"username": "clerk", "password": one_time})
    assert signed_in.status_code == 303
    for url in ("/counter", "/counter/search", "/counter/file"):
        bounced = clerk.get(url)
        assert (bounced.status_code, bounced.location) == (303, "/counter/account/password")
    form = clerk.get("/counter/account/password")
    assert "You signed in with a one-time password" in form.text

    weak = clerk.post(
        "/counter/account/password",
        {"current": one_time, "new": "password1234", "confirm": "password1234"},
    )
    assert weak.status_code == 422
    assert "it is one of the most commonly used passwords" in weak.text
    assert _user(catalogue_db, "clerk").must_change_password is True

    chosen = clerk.post(
        "/counter/account/password", {"current": one_time, "new": NEW, "confirm": NEW}
    )
    assert chosen.status_code == 303
    assert clerk.get("/counter").status_code == 200
    assert _user(catalogue_db, "clerk").must_change_password is False


def test_changing_ones_password_refusals(clerk: Console, catalogue_db: Database) -> None:
    page = clerk.get("/counter")
    assert 'href="/counter/account/password"' in page.text  # in the console's header
    clerk.get("/counter/account/password")
    refused = clerk.post(
        "/counter/account/password", {"current": "not-it", "new": "short", "confirm": "short"}
    )
    assert refused.status_code == 422
    assert "This is not your current password." in refused.text
    assert "At least 12 characters." in refused.text
    mismatch = clerk.post(
        "/counter/account/password", {"current": PASSWORD, "new": NEW, "confirm": NEW + "!"}
    )
    assert mismatch.status_code == 422
    assert "The two new passwords are not the same." in mismatch.text
    assert verify_password(_user(catalogue_db, "clerk").password_hash, PASSWORD)


def test_the_password_page_speaks_chinese(clerk: Console) -> None:
    clerk.client.set_cookie("lang", "zh-TW")
    clerk.get("/counter/account/password")
    refused = clerk.post(
        "/counter/account/password",
        {"current": PASSWORD, "new": "password1234", "confirm": "password1234"},
    )
    assert refused.status_code == 422
    assert "太容易猜到" in refused.text
