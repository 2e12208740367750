"""API keys: who is calling, with which scopes (``Authorization: Bearer ctk_...``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import request
from flask_limiter.util import get_remote_address

from tracker.accounts.users import authenticate_api_key, hash_api_key, key_scopes
from web.core.database import transaction

READ = "read"
WRITE = "write"
# Case events and closures record the actor in 80 characters.
_ACTOR_MAX = 80


@dataclass(frozen=True)
class Caller:
    """The system behind a live API key."""

    name: str
    scopes: frozenset[str]

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


def authenticate(now: datetime) -> Caller:
    """The caller behind the presented key, or Unauthenticated."""
    key = presented_key()
    if key is None:
        raise Unauthenticated("Send an API key: 'Authorization: Bearer ctk_...' or 'X-API-Key'.")
    with transaction() as session:
        row = authenticate_api_key(session, key, now=now)
        if row is None:
            raise Unauthenticated("The API key is unknown or has been revoked.")
        return Caller(row.name, key_scopes(row))
