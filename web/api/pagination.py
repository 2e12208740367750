"""Opaque cursors for walking a list in a stable order (by id) without offsets."""

from __future__ import annotations

import base64
import binascii
import json

from web.api.errors import ApiError

_VERSION = 1
_MAX_ID = 2**63 - 1


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after the row with ``last_id``."""
    raw = json.dumps({"v": _VERSION, "after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; 400 for anything this API did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        after = data["after"]
        valid = data["v"] == _VERSION and type(after) is int and 0 <= after <= _MAX_ID
    except (binascii.Error, ValueError, KeyError, TypeError, RecursionError):
        valid = False
    if not valid:
        raise ApiError(
            400,
            "invalid_query",
            "The cursor is not one this API handed out.",
            {"cursor": "pass next_cursor from the previous page unchanged"},
        )
    return int(after)
