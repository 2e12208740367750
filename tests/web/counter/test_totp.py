"""Two-step sign-in: enrolling an authenticator app, the code at sign-in (no replay, rate
limited), and REQUIRE_TOTP=admin holding an administrator until they enrol."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from tests.web.counter.conftest import Console
from tracker.accounts.totp import reset
from tracker.db import Database
from tracker.models import AuditEntry, User

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CODE_PAGE = "/counter/login/code"
ENROL_PAGE = "/counter/account/two-step"


def _user(database: Database, username: str) -> User:
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def _enrol(database: Database, username: str) -> None:
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        user.totp_secret = SECRET
        user.totp_confirmed_at = datetime.now(UTC)


def _sign_in_to_the_code(console: Console) -> None:
    """The password step, then the code page open (its form holds the new session's token)."""
    assert console.login("root").location == CODE_PAGE
    assert console.get(CODE_PAGE).status_code == 200


def _actions(database: Database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_enrolment_with_a_code_from_the_app(console: Console, catalogue_db: Database) -> None:
    console.login("root")
    page = console.get(ENROL_PAGE)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    secret = _user(catalogue_db, "root").totp_secret
    assert secret is not None
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page.text
    assert 'aria-label="QR code for your authenticator app"' in page.text
    assert console.get(ENROL_PAGE).text.count(secret[:4]) == 1  # a reload shows the same key

    wrong = console.post(ENROL_PAGE, {"code": "000000"})
    assert wrong.status_code == 422
    assert "That code is not right" in wrong.text
    assert _user(catalogue_db, "root").totp_confirmed_at is None

    done = console.post(ENROL_PAGE, {"code": pyotp.TOTP(secret).now()})
    assert (done.status_code, done.location) == (303, ENROL_PAGE)
    assert _user(catalogue_db, "root").totp_confirmed_at is not None
    assert "Two-step sign-in is on since" in console.get(ENROL_PAGE).text
    assert _actions(catalogue_db)[-1] == "totp_enrolled"


def test_the_enrolment_form_needs_its_csrf_token(console: Console) -> None:
    console.login("root")
    console.get(ENROL_PAGE)
    response = console.client.post(ENROL_PAGE, data={"code": "123456"})
    assert response.status_code == 400


def test_sign_in_asks_for_the_code(console: Console, catalogue_db: Database) -> None:
    _enrol(catalogue_db, "root")
    response = console.login("root")
    assert (response.status_code, response.location) == (303, CODE_PAGE)
    # Nothing else opens before the code: the admin screen sends back to the code page.
    held = console.get("/counter/admin")
    assert (held.status_code, held.location) == (303, CODE_PAGE)
    console.get(CODE_PAGE)

    done = console.post(CODE_PAGE, {"code": pyotp.TOTP(SECRET).now()})
    assert (done.status_code, done.location) == (303, "/counter")
    assert console.get("/counter/admin").status_code == 200


def test_a_wrong_or_replayed_code_is_refused(console: Console, catalogue_db: Database) -> None:
    _enrol(catalogue_db, "root")
    _sign_in_to_the_code(console)
    wrong = console.post(CODE_PAGE, {"code": "12345x"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.text
    code = pyotp.TOTP(SECRET).now()
    assert console.post(CODE_PAGE, {"code": code}).status_code == 303
    console.post("/counter/logout")

    _sign_in_to_the_code(console)
    replayed = console.post(CODE_PAGE, {"code": code})
    assert replayed.status_code == 200
    assert "used already" in replayed.text
    assert console.get("/counter/admin").location == CODE_PAGE
    assert _actions(catalogue_db).count("totp_failed") == 2


def test_a_reset_while_the_code_is_asked_lets_the_password_do(
    console: Console, catalogue_db: Database
) -> None:
    _enrol(catalogue_db, "root")
    _sign_in_to_the_code(console)
    with catalogue_db.transaction() as session:
        reset(session, "root")
    assert console.get(CODE_PAGE).location == "/counter"
    assert console.get("/counter/admin").status_code == 200


def test_code_attempts_are_limited_per_user(console: Console, catalogue_db: Database) -> None:
    _enrol(catalogue_db, "root")
    _sign_in_to_the_code(console)
    for _ in range(5):
        assert console.post(CODE_PAGE, {"code": "000000"}).status_code == 200
    # The sixth try is refused even with the right code: the limit is reached.
    blocked = console.post(CODE_PAGE, {"code": pyotp.TOTP(SECRET).now()})
    assert blocked.status_code == 429
    assert "Too many wrong codes. Wait 15 minutes" in blocked.text
    assert console.get("/counter/admin").location == CODE_PAGE


def test_enrolment_codes_are_limited_too(console: Console, catalogue_db: Database) -> None:
    console.login("root")
    console.get(ENROL_PAGE)
    for _ in range(5):
        assert console.post(ENROL_PAGE, {"code": "000000"}).status_code == 422
    blocked = console.post(ENROL_PAGE, {"code": "000000"})
    assert blocked.status_code == 429
    assert "Too many wrong codes. Wait 15 minutes" in blocked.text
    assert blocked.headers["Cache-Control"] == "no-store"


def test_a_user_without_a_second_factor_signs_in_with_the_password(console: Console) -> None:
    response = console.login("root")
    assert (response.status_code, response.location) == (303, "/counter")
    assert console.get("/counter/admin").status_code == 200


class TestRequiredForAdmins:
    @pytest.fixture
    def console_environ(self) -> dict[str, str]:
        return {"REQUIRE_TOTP": "admin"}

    def test_an_admin_who_has_not_enrolled_can_only_enrol(
        self, console: Console, catalogue_db: Database
    ) -> None:
        console.login("root")
        for path in ("/counter/admin", "/counter/admin/audit", "/counter/reports"):
            held = console.get(path)
            assert (held.status_code, held.location) == (303, ENROL_PAGE)
        page = console.get(ENROL_PAGE)
        assert "Administrators must turn on two-step sign-in" in page.text

        secret = _user(catalogue_db, "root").totp_secret
        assert secret is not None
        console.post(ENROL_PAGE, {"code": pyotp.TOTP(secret).now()})
        assert console.get("/counter/admin").status_code == 200

    def test_other_roles_are_not_forced(self, console: Console) -> None:
        console.login("clerk")
        assert console.get("/counter").status_code == 200


def test_the_code_page_is_in_chinese_by_default(console: Console, catalogue_db: Database) -> None:
    _enrol(catalogue_db, "root")
    console.client.set_cookie("lang", "zh-TW")
    console.login("root")
    assert "兩步驟登入" in console.get(CODE_PAGE).text
