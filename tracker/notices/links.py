"""Addresses printed in notices and on receipts."""

from __future__ import annotations

import base64
import hashlib
import hmac

# 8 URL-safe characters = 48 bits: with the survey pages' rate limits, not guessable, and the
# survey link stays short enough for the SMS budget (two UCS-2 segments with the link whole).
SURVEY_TOKEN_LENGTH = 8
# Domain separation: the app's secret also signs sessions; this key is for survey links only.
_SURVEY_CONTEXT = b"case-tracker/survey/v1:"


def status_url(public_base_url: str, case_number: str) -> str:
    """The citizen status page of a case; never with the lookup code (URLs end up in logs)."""
    return f"{public_base_url.rstrip('/')}/s/{case_number}"


def survey_token(secret_key: str, case_number: str) -> str:
    """The short keyed hash that makes a case's survey link unguessable from its number alone.

    Case numbers are public (the board shows them), so the number alone must not open the
    survey; the lookup code is not used because it opens the status page and URLs end up in logs.
    """
    digest = hmac.new(
        secret_key.encode(), _SURVEY_CONTEXT + case_number.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SURVEY_TOKEN_LENGTH]


def survey_token_matches(secret_key: str, case_number: str, token: str) -> bool:
    """Whether ``token`` is the survey token of ``case_number`` (compared in constant time)."""
    expected = survey_token(secret_key, case_number)
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))


def survey_url(public_base_url: str, case_number: str, secret_key: str) -> str:
    """The one-page satisfaction survey of a completed case, with its token."""
    token = survey_token(secret_key, case_number)
    return f"{public_base_url.rstrip('/')}/survey/{case_number}/{token}"


def console_url(public_base_url: str, case_number: str) -> str:
    """The case in the counter console, for staff notices."""
    return f"{public_base_url.rstrip('/')}/counter/cases/{case_number}"
