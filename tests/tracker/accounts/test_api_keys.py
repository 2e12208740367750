"""API keys: shown once, stored hashed, checked, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tracker.accounts.users import (
    authenticate_api_key,
    create_api_key,
    hash_api_key,
    key_scopes,
    revoke_api_key,
)
from tracker.db import Database
from tracker.errors import InvalidInput
from tracker.models import Agency, ApiKey

NOW = datetime(2026, 4, 13, 2, 0, tzinfo=UTC)


def test_a_key_is_stored_hashed_and_checked(database: Database) -> None:
    with database.transaction() as s:
        row, key = create_api_key(s, "1999 hotline", now=NOW, scopes=("cases:read",))
        assert row.key_hash == hash_api_key(key) and key not in (row.key_hash, row.prefix)
    with database.transaction() as s:
        found = authenticate_api_key(s, key, now=NOW + timedelta(minutes=1))
        assert found is not None and key_scopes(found) == {"cases:read"}
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


def test_a_key_without_scopes_may_submit_and_read_cases(database: Database) -> None:
    with database.transaction() as s:
        row, _ = create_api_key(s, "1999 hotline", now=NOW)
        assert key_scopes(row) == {"open311:submit", "cases:read"}
        assert row.agency_id is None


def test_a_key_may_be_bound_to_an_agency(catalogue_db: Database) -> None:
    with catalogue_db.transaction() as s:
        row, _ = create_api_key(s, "sanmin kiosk", now=NOW, agency="sanmin")
        agency_id = s.scalar(select(Agency.id).where(Agency.code == "sanmin"))
        assert row.agency_id == agency_id


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scopes": ("read",)}, "scopes"),
        ({"scopes": ("cases:read", "cases:delete")}, "scopes"),
        ({"scopes": ()}, "scopes"),
        ({"agency": "nowhere"}, "agency"),
    ],
)
def test_an_unknown_scope_or_agency_creates_nothing(
    catalogue_db: Database, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused, catalogue_db.transaction() as s:
        create_api_key(s, "kiosk", now=NOW, **kwargs)
    assert set(refused.value.fields) == {field}
    with catalogue_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ApiKey)) == 0
