"""What a request may carry: at most MAX_BODY bytes, no files, forms and queries in UTF-8.

Werkzeug decodes forms and query strings replacing bytes that are not UTF-8 with "�", so a
name or a note sent with broken bytes would be stored garbled without a word. Such a request is
refused (400) instead, as the API refuses a JSON body that is not UTF-8. No form takes a file
(the catalogue is reloaded from its configured path, never uploaded), and a file where a form
expects text would reach its validators as an object, not a string: refused too. The API and
Open311 keep their own, smaller body limit (64 KiB, ``limit_body``), set here before the body is
read: a request's stream keeps the limit it was opened with.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Blueprint, Flask, abort, request

# The largest console form (a case's notes) is a few kilobytes; anything near this is not ours.
MAX_BODY = 1024 * 1024
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
# Blueprints that take smaller bodies than MAX_BODY: their limits by blueprint name.
_SMALLER: dict[str, int] = {}


def limit_body(blueprint: Blueprint, max_body: int) -> None:
    """Refuse (413) a body over ``max_body`` bytes sent to ``blueprint``."""
    _SMALLER[blueprint.name] = max_body


def is_utf8(raw: bytes) -> bool:
    """Whether a URL-encoded string (a query or a form body) decodes as UTF-8."""
    if raw.isascii() and b"%" not in raw:
        return True  # nothing encoded: the common case, checked without copying
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refuse_broken_text() -> None:
    """400 for a query or a form that is not UTF-8, or a form that carries a file."""
    for name in request.blueprints:
        if name in _SMALLER:
            request.max_content_length = _SMALLER[name]
    if not is_utf8(request.query_string):
        abort(400)
    # Read within the limit (a larger body is refused with 413 here), kept for the form parser.
    if request.mimetype == _FORM and not is_utf8(request.get_data(cache=True)):
        abort(400)
    if request.mimetype == _MULTIPART and request.files:
        abort(400)


def init_request_limits(app: Flask) -> None:
    """Bind the body limit and the UTF-8 check to ``app`` (before the hooks that read forms)."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.before_request(_refuse_broken_text)
