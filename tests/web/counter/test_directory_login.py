"""Directory login: passwords checked by binding to a real OpenLDAP slapd (tests/support/slapd.py).

The product's own users row still decides who may sign in and as what; the directory only says
whether the password is the person's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from tests.support.processes import free_port
from tests.support.slapd import BIND_DN_TEMPLATE, Slapd
from tests.web.counter.conftest import PASSWORD, Console
from tracker.db import Database
from tracker.models import AuditEntry, User

DIRECTORY_PASSWORD = "directory-pass-9271"


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """One slapd for the module, with the console's clerk and admin and a stranger in it."""
    server = Slapd(tmp_path_factory.mktemp("slapd")).start()
    for uid in ("clerk", "root", "stranger"):
        server.add_user(uid, DIRECTORY_PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def console_environ(slapd: Slapd) -> dict[str, str]:
    return {"LDAP_URL": slapd.url, "LDAP_BIND_DN_TEMPLATE": BIND_DN_TEMPLATE}


def _last_audit(database: Database) -> tuple[str, str, dict[str, object]]:
    with database.transaction() as session:
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert row is not None
        return row.action, row.actor, row.data


def test_the_directory_password_signs_in(console: Console, catalogue_db: Database) -> None:
    response = console.login("clerk", DIRECTORY_PASSWORD)
    assert (response.status_code, response.location) == (303, "/counter")
    # Role and department come from the product's own row: the clerk sees the clerk's queues.
    assert "Sign out (clerk)" in console.get("/counter").text
    assert _last_audit(catalogue_db)[:2] == ("login_succeeded", "clerk")


def test_a_wrong_directory_password_is_refused(console: Console, catalogue_db: Database) -> None:
    response = console.login("clerk", "not-the-directory-password")
    assert response.status_code == 200
    assert "The user name or password is not right." in response.text
    assert console.get("/counter").status_code == 303
    assert _last_audit(catalogue_db) == ("login_failed", "clerk", {"reason": "wrong password"})


def test_the_local_password_is_ignored(console: Console) -> None:
    response = console.login("clerk", PASSWORD)
    assert response.status_code == 200
    assert "The user name or password is not right." in response.text


def test_a_deactivated_user_is_refused_though_the_directory_accepts(
    console: Console, catalogue_db: Database
) -> None:
    with catalogue_db.transaction() as session:
        session.execute(update(User).where(User.username == "clerk").values(active=False))
    response = console.login("clerk", DIRECTORY_PASSWORD)
    assert response.status_code == 200
    assert "The user name or password is not right." in response.text
    assert _last_audit(catalogue_db) == ("login_failed", "clerk", {"reason": "inactive"})


def test_someone_only_in_the_directory_is_refused(console: Console, catalogue_db: Database) -> None:
    response = console.login("stranger", DIRECTORY_PASSWORD)
    assert response.status_code == 200
    assert "The user name or password is not right." in response.text
    assert _last_audit(catalogue_db)[2] == {"reason": "unknown user"}


def test_a_name_cannot_change_the_bind_dn(console: Console) -> None:
    # Escaped as an RDN value: "root,ou=people" is not the admin's entry.
    response = console.login("root,ou=people", DIRECTORY_PASSWORD)
    assert response.status_code == 200
    assert "The user name or password is not right." in response.text


class TestDirectoryDown:
    @pytest.fixture
    def console_environ(self) -> dict[str, str]:
        # A port nobody listens on: the directory is down.
        unreachable = f"ldap://127.0.0.1:{free_port()}"
        return {"LDAP_URL": unreachable, "LDAP_BIND_DN_TEMPLATE": BIND_DN_TEMPLATE}

    def test_a_clear_message_and_no_password_in_the_log(
        self, console: Console, catalogue_db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="tracker.accounts.directory"):
            response = console.login("clerk", DIRECTORY_PASSWORD)
        assert response.status_code == 503
        assert "The directory cannot be reached" in response.text
        assert console.get("/counter").status_code == 303
        assert "could not be asked for user clerk" in caplog.text
        assert DIRECTORY_PASSWORD not in caplog.text
        assert _last_audit(catalogue_db) == (
            "login_failed", "clerk", {"reason": "directory unavailable"}
        )  # fmt: skip

    def test_an_outage_locks_nobody_out(self, console: Console) -> None:
        for _ in range(7):  # more than the per-user limit of failed sign-ins
            assert console.login("clerk", DIRECTORY_PASSWORD).status_code == 503

    def test_in_chinese_by_default(self, console: Console) -> None:
        console.client.set_cookie("lang", "zh-TW")
        response = console.login("clerk", DIRECTORY_PASSWORD)
        assert response.status_code == 503
        assert "目錄服務" in response.text
