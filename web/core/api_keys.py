"""API keys at the door, for ``/api/v1`` and Open311 alike: where a key may travel, and a limit
on refused keys per client.

A key in an address ends up in access logs, proxy logs and browser histories: it is refused
there (400), and never looked up, even when it is valid. A client that presents unknown or
revoked keys is slowed per address: only refusals count (a valid key is never counted), and once
a client has used up its allowance, its requests at these doors are refused (429) before any
key is looked up, until the window passes: guessing learns nothing in the meantime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, current_app, g, request
from flask_limiter.util import get_remote_address

from tracker.accounts.users import KEY_PREFIX
from web.core.extensions import limiter

# The names other APIs use for a key in the address; any value that looks like one of ours too.
_QUERY_KEY_NAMES = frozenset({"api_key", "apikey", "key", "access_token", "token"})
DEFAULT_REFUSAL_LIMIT = "10 per minute"
# One counter per client for every door a key is presented at (the API and Open311).
_SCOPE = "refused-api-key"

Limited = TypeVar("Limited", bound=Callable[..., object] | Blueprint)


def key_in_query() -> bool:
    """Whether the address carries something that is, or is named like, an API key."""
    for name, values in request.args.lists():
        if name.strip().lower() in _QUERY_KEY_NAMES:
            return True
        if any(value.strip().startswith(KEY_PREFIX) for value in values):
            return True
    return False


def note_refused_key() -> None:
    """Count this request against its client's allowance of refused keys."""
    g.api_key_refused = True


def _was_refused(_response: Response) -> bool:
    return bool(g.get("api_key_refused", False))


def _refusal_limit() -> str:
    return str(current_app.config.get("API_KEY_REFUSAL_LIMIT", DEFAULT_REFUSAL_LIMIT))


def _client() -> str:
    return "refused-key:" + get_remote_address()


def limit_refused_keys(target: Limited) -> Limited:
    """Apply the per-client limit on refused keys to a view or a blueprint.

    ``API_KEY_REFUSAL_LIMIT`` (default 10 per minute) sets it; only requests that called
    note_refused_key() are counted.
    """
    applied = limiter.shared_limit(
        _refusal_limit, scope=_SCOPE, key_func=_client, deduct_when=_was_refused
    )(target)
    return target if applied is None else applied  # a blueprint is limited in place
