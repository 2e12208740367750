"""``tracker user reset-totp USERNAME``: a lost phone, the second factor forgotten, audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.cli.conftest import Run
from tracker.db import Database
from tracker.models import AuditEntry, User


def test_reset_clears_the_second_factor_and_is_audited(run: Run, database: Database) -> None:
    run("db", "upgrade")
    assert run("user", "create", "root", "--role", "admin", "--generate-password").exit_code == 0
    with database.transaction() as session:
        root = session.scalar(select(User).where(User.username == "root"))
        assert root is not None
        root.totp_secret = "JBSWY3DPEHPK3PXP"
        root.totp_confirmed_at = datetime.now(UTC)
        root.totp_last_step = 12345

    result = run("user", "reset-totp", "Root")

    assert result.exit_code == 0, result.output
    assert "Two-step sign-in of 'root' is reset" in result.output
    with database.transaction() as session:
        root = session.scalar(select(User).where(User.username == "root"))
        assert root is not None
        assert (root.totp_secret, root.totp_confirmed_at, root.totp_last_step) == (None, None, None)
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.action, entry.target) == ("totp_reset", "root")
        assert "JBSWY3DPEHPK3PXP" not in repr(entry.data)


def test_an_unknown_user_is_refused_clearly(run: Run, database: Database) -> None:
    run("db", "upgrade")
    result = run("user", "reset-totp", "nobody")
    assert result.exit_code != 0
    assert "there is no user 'nobody'" in result.output
    with database.transaction() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "totp_reset" not in actions
