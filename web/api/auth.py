"""API keys: who is calling, with which scopes, for which agency (``Authorization: Bearer``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import request
from flask_limiter.util import get_remote_address

from tracker.accounts.users import (
    CALENDAR_ADMIN,
    CASES_READ,
    CASES_READ_PERSONAL,
    CASES_WRITE,
    authenticate_api_key,
    hash_api_key,
    key_scopes,
)
from tracker.models import Agency
from web.core.api_keys import key_in_query, note_refused_key
from web.core.database import transaction

__all__ = ["CALENDAR_ADMIN", "CASES_READ", "CASES_READ_PERSONAL", "CASES_WRITE"]
# Case events and closures record the actor in 80 characters.
_ACTOR_MAX = 80


@dataclass(frozen=True)
class Caller:
    """The system behind a live API key."""

    name: str
    scopes: frozenset[str]
    # A key bound to an agency sees and changes only that agency's cases (None: every agency).
    agency_id: int | None = None
    agency_code: str | None = None

    @property
    def actor(self) -> str:
        """How the case timeline names this caller."""
        return f"api:{self.name}"[:_ACTOR_MAX]

    def can(self, scope: str) -> bool:
        """Whether the key grants ``scope``."""
        return scope in self.scopes


def presented_key() -> str | None:
    """The key in ``Authorization: Bearer ...`` or ``X-API-Key``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = request.headers.get("X-API-Key", "").strip()
    return key or None


def rate_limit_key() -> str:
    """What the rate limit counts by: the presented key (hashed), else the client address."""
    key = presented_key()
    if key:
        return "api-key:" + hash_api_key(key)[:32]
    return "api-ip:" + get_remote_address()


class Unauthenticated(Exception):
    """No key, or a key that is unknown or revoked."""


class KeyInAddress(Exception):
    """A key (or something named like one) in the query string: refused, never looked up."""


def authenticate(now: datetime) -> Caller:
    """The caller behind the presented key; KeyInAddress or Unauthenticated when there is none.

    The key is looked up on every request, so a revoked key is refused from the next one on.
    """
    if key_in_query():
        raise KeyInAddress(
            "Send the API key in the Authorization header, never in the address: addresses "
            "are kept in logs. Nothing was done; revoke a key that was sent this way."
        )
    key = presented_key()
    if key is None:
        raise Unauthenticated("Send an API key: 'Authorization: Bearer ctk_...' or 'X-API-Key'.")
    with transaction() as session:
        row = authenticate_api_key(session, key, now=now)
        if row is None:
            note_refused_key()
            raise Unauthenticated("The API key is unknown or has been revoked.")
        code = None if row.agency_id is None else session.get_one(Agency, row.agency_id).code
        return Caller(row.name, key_scopes(row), row.agency_id, code)
