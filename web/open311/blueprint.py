"""The ``/open311/v2`` blueprint and its rate limits (GeoReport v2, XML and JSON)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, current_app, request
from flask_babel import force_locale
from flask_limiter.util import get_remote_address

from tracker.accounts.users import hash_api_key
from web.core.request_limits import limit_body

PREFIX = "/open311/v2"
DISCOVERY_PREFIX = "/open311/discovery."
# Every form the spec defines (a service request with its contact details) fits in a few KB.
MAX_BODY = 64 * 1024
DEFAULT_READ_LIMIT = "120 per minute"
DEFAULT_WRITE_LIMIT = "30 per minute"

open311 = Blueprint("open311", __name__, url_prefix=PREFIX)

_LANGUAGES = {"en": "en", "zh-TW": "zh_TW", "zh_TW": "zh_TW", "zh": "zh_TW"}


@contextmanager
def reader_language() -> Iterator[None]:
    """``lang=en`` (or ``zh-TW``) if given, else the request's language (Accept-Language)."""
    chosen = _LANGUAGES.get(request.values.get("lang", "").strip())
    if chosen is None:
        yield
        return
    with force_locale(chosen):
        yield


def read_limit() -> str:
    """The GET limit per client address (``OPEN311_READ_LIMIT``)."""
    return str(current_app.config.get("OPEN311_READ_LIMIT", DEFAULT_READ_LIMIT))


def write_limit() -> str:
    """The POST limit per API key (``OPEN311_WRITE_LIMIT``)."""
    return str(current_app.config.get("OPEN311_WRITE_LIMIT", DEFAULT_WRITE_LIMIT))


def write_limit_key() -> str:
    """POSTs count by the presented key (hashed), else by the client address.

    This runs before the view: the form is read only when its declared size is within
    MAX_BODY, so an oversized body is still refused (413) by the view, not parsed here.
    """
    key = ""
    length = request.content_length
    if length is not None and length <= MAX_BODY:  # only the body: a key in the address is refused
        key = request.form.get("api_key", "").strip()
    if key:
        return "open311-key:" + hash_api_key(key)[:32]
    return "open311-ip:" + get_remote_address()


limit_body(open311, MAX_BODY)


def is_open311_path(path: str) -> bool:
    """Whether ``path`` is under this API (or its discovery document), so that its errors are
    answered in its format."""
    return path == PREFIX or path.startswith((PREFIX + "/", DISCOVERY_PREFIX))
