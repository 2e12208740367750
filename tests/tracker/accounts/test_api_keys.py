"""API keys: shown once, stored hashed, checked, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.accounts.users import (
    authenticate_api_key,
    create_api_key,
    hash_api_key,
    key_scopes,
    revoke_api_key,
)
from tracker.db import Database
from tracker.errors import InvalidInput

NOW = datetime(2026, 4, 13, 2, 0, tzinfo=UTC)


def test_a_key_is_stored_hashed_and_checked(database: Database) -> None:
    with database.transaction() as s:
        row, key = create_api_key(s, "1999 hotline", now=NOW, scopes=("read",))
        assert row.key_hash == hash_api_key(key) and key not in (row.key_hash, row.prefix)
    with database.transaction() as s:
        found = authenticate_api_key(s, key, now=NOW + timedelta(minutes=1))
        assert found is not None and key_scopes(found) == {"read"}
        assert found.last_used_at == NOW + timedelta(minutes=1)
        assert authenticate_api_key(s, key + "x", now=NOW) is None
        assert authenticate_api_key(s, "not-a-key", now=NOW) is None


def test_a_revoked_key_opens_nothing(database: Database) -> None:
    with database.transaction() as s:
        _, key = create_api_key(s, "open data portal", now=NOW)
    with database.transaction() as s:
        revoke_api_key(s, "open data portal", now=NOW)
    with database.transaction() as s:
        assert authenticate_api_key(s, key, now=NOW) is None
        with pytest.raises(InvalidInput):
            revoke_api_key(s, "no such key", now=NOW)
