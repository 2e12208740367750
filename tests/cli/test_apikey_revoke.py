"""``tracker apikey revoke NAME``: the key stops working at once; an unknown name is refused."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.cli.conftest import Run
from tracker.accounts.users import authenticate_api_key
from tracker.db import Database


def test_a_revoked_key_is_refused_from_then_on(run: Run, database: Database) -> None:
    run("db", "upgrade")
    key = run("apikey", "create", "open-data").output.strip().splitlines()[-1]
    now = datetime.now(UTC)
    with database.transaction() as s:
        assert authenticate_api_key(s, key, now=now) is not None

    result = run("apikey", "revoke", "open-data")

    assert result.exit_code == 0, result.output
    assert "Revoked API key 'open-data'" in result.output
    assert key not in result.output
    with database.transaction() as s:
        assert authenticate_api_key(s, key, now=now) is None
    assert run("apikey", "revoke", "open-data").exit_code == 0  # revoking twice is harmless


def test_revoking_an_unknown_key_fails_and_says_so(run: Run) -> None:
    run("db", "upgrade")
    result = run("apikey", "revoke", "no-such-key")
    assert result.exit_code != 0
    assert "no API key named 'no-such-key'" in result.output
