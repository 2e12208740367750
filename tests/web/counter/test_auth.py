"""Signing in and out: argon2 passwords, fresh sessions, idle expiry, rate limits, audit."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from tests.web.counter.conftest import PASSWORD, Console
from tracker.accounts.lifecycle import deactivate, reset_password
from tracker.clock import utc_now
from tracker.db import Database
from tracker.models import AuditEntry


def _audit(database: Database) -> list[tuple[str, str, dict[str, object]]]:
    with database.transaction() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(row.action, row.actor, row.data) for row in rows]


def test_anonymous_is_sent_to_login_and_back(console: Console) -> None:
    response = console.get("/counter/search?q=1")
    assert response.status_code == 303
    assert response.location == "/counter/login?next=/counter/search?q%3D1"
    console.get(response.location)
    signed_in = console.post(response.location, {"username": "clerk", "password": PASSWORD})
    assert (signed_in.status_code, signed_in.location) == (303, "/counter/search?q=1")


def test_login_with_the_right_password(console: Console, catalogue_db: Database) -> None:
    response = console.login("Clerk")  # user names are not case-sensitive
    assert (response.status_code, response.location) == (303, "/counter")
    page = console.get("/counter")
    assert page.status_code == 200
    assert "Sign out (clerk)" in page.text
    assert _audit(catalogue_db)[-1][:2] == ("login_succeeded", "clerk")


def test_wrong_password_and_unknown_user_get_the_same_answer(
    console: Console, catalogue_db: Database
) -> None:
    wrong = console.login("clerk", "not-the-password")
    unknown = console.login("nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "The user name or password is not right." in response.text
    assert console.get("/counter").status_code == 303
    entries = _audit(catalogue_db)
    assert entries == [
        ("login_failed", "clerk", {"reason": "wrong password"}),
        ("login_failed", "nobody", {"reason": "unknown user"}),
    ]
    assert "not-the-password" not in repr(entries)


def test_an_open_redirect_is_not_followed(console: Console) -> None:
    console.get("/counter/login")
    response = console.post(
        "/counter/login?next=https://evil.example/counter",
        {"username": "clerk", "password": PASSWORD},
    )
    assert response.location == "/counter"


def test_login_starts_a_fresh_session(console: Console) -> None:
    with console.client.session_transaction() as session:
        session["planted"] = "by someone else"
    console.get("/counter/login")
    token_before = console.token
    console.login("clerk")
    with console.client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent
    assert console.token is not None and console.token != token_before


def test_logout_is_a_post_and_ends_the_session(clerk: Console, catalogue_db: Database) -> None:
    assert clerk.client.get("/counter/logout").status_code == 405
    response = clerk.post("/counter/logout")
    assert (response.status_code, response.location) == (303, "/counter/login")
    assert clerk.get("/counter").status_code == 303
    assert _audit(catalogue_db)[-1][:2] == ("logout", "clerk")


def test_the_session_ends_after_30_idle_minutes(console: Console) -> None:
    with time_machine.travel("2026-11-23 09:00 +08:00", tick=False) as traveller:
        console.login("clerk")
        traveller.shift(timedelta(minutes=29))
        assert console.get("/counter").status_code == 200  # activity keeps it alive
        traveller.shift(timedelta(minutes=29))
        assert console.get("/counter").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = console.get("/counter")
        assert response.status_code == 303 and response.location.startswith("/counter/login")
        assert "Your session has ended" in console.get(response.location).text


def test_a_new_password_or_deactivation_ends_sessions(
    console: Console, catalogue_db: Database
) -> None:
    console.login("clerk")
    with catalogue_db.transaction() as session:
        _, one_time = reset_password(session, "clerk", actor="root", now=utc_now())
    assert console.get("/counter").status_code == 303
    console.login("clerk", one_time)
    assert console.get("/counter/account/password").status_code == 200
    with catalogue_db.transaction() as session:
        deactivate(session, "clerk", actor="root", now=utc_now())
    assert console.get("/counter/account/password").status_code == 303
    assert console.login("clerk", one_time).status_code == 200  # refused


def test_failed_logins_are_rate_limited_per_user(console: Console, app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert console.login("clerk", "guess-guess-guess").status_code == 200
    blocked = console.login("clerk")  # even the right password, for now
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    # Another account from the same address is not locked out by it.
    assert console.login("colleague").status_code == 303


def test_successful_logins_do_not_count(console: Console) -> None:
    for _ in range(7):
        assert console.login("clerk").status_code == 303
        console.post("/counter/logout")
