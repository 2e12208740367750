"""What a request may carry: at most MAX_BODY bytes, no files, forms and queries in UTF-8,
no NUL character, no id beyond what the database's columns hold.

Werkzeug decodes forms and query strings replacing bytes that are not UTF-8 with "�", so a
name or a note sent with broken bytes would be stored garbled without a word. Such a request is
refused (400) instead, as the API refuses a JSON body that is not UTF-8: URL-encoded forms and
multipart ones alike (a multipart field is checked as Werkzeug will decode it, in its part's
charset). No form takes a file
(the catalogue is reloaded from its configured path, never uploaded), and a file where a form
expects text would reach its validators as an object, not a string: refused too. The API and
Open311 keep their own, smaller body limit (64 KiB, ``limit_body``), set here before the body is
read: a request's stream keeps the limit it was opened with.

NUL is refused (400) in the path, the query and the form, in names and values: no text of ours
holds one, and PostgreSQL refuses it in text, so it would otherwise surface as a 500 there and
be stored on SQLite. An id in the path beyond a 32-bit column (``/closures/2147483648/...``)
names nothing: 404 before any query, which SQLite could not even bind past 64 bits.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Blueprint, Flask, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import MultiPartParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, MultipartDecoder, NeedData

# The largest console form (a case's notes) is a few kilobytes; anything near this is not ours.
MAX_BODY = 1024 * 1024
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
# The ids of the tables are 32-bit integers (SQLAlchemy's Integer).
MAX_ID = 2**31 - 1
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


# Only for its get_part_charset: the charset Werkzeug will decode each field with.
_WERKZEUG_PARSER = MultiPartParser()


def multipart_is_utf8(
    body: bytes,
    boundary: str,
    *,
    max_form_memory_size: int | None = None,
    max_parts: int | None = None,
) -> bool:
    """Whether every text field of a multipart body decodes without a replacement character.

    Each field is decoded strictly in the charset Werkzeug's form parser will use for it (UTF-8
    unless the part names another it allows), so this refuses exactly the fields it would garble.
    A body that is not multipart at all is refused too. The limits are the request's: a part
    over them raises RequestEntityTooLarge (413) here, as the form parser would.
    """
    try:
        decoder = MultipartDecoder(
            boundary.encode("ascii"), max_form_memory_size=max_form_memory_size, max_parts=max_parts
        )
        decoder.receive_data(body)
        decoder.receive_data(None)
        field: Field | None = None
        chunks: list[bytes] = []
        while not isinstance(event := decoder.next_event(), Epilogue | NeedData):
            if isinstance(event, Field):
                field, chunks = event, []
            elif not isinstance(event, Data):  # a file part: refused on its own
                field = None
            elif field is not None:
                chunks.append(event.data)
                if not event.more_data:
                    b"".join(chunks).decode(_WERKZEUG_PARSER.get_part_charset(field.headers))
    except ValueError:  # UnicodeError included; a malformed body the parser would drop too
        return False
    return True


def _refuse_broken_text() -> None:
    """400 for a query or a form (URL-encoded or multipart) that is not UTF-8, or a file."""
    for name in request.blueprints:
        if name in _SMALLER:
            request.max_content_length = _SMALLER[name]
    if not is_utf8(request.query_string):
        abort(400)
    # Read within the limit (a larger body is refused with 413 here), kept for the form parser.
    if request.mimetype == _FORM and not is_utf8(request.get_data(cache=True)):
        abort(400)
    if request.mimetype == _MULTIPART:
        boundary = request.mimetype_params.get("boundary", "")
        body = request.get_data(cache=True)  # as above: within the limit, kept for the parser
        if not multipart_is_utf8(
            body,
            boundary,
            max_form_memory_size=request.max_form_memory_size,
            max_parts=request.max_form_parts,
        ):
            abort(400)
        if request.files:
            abort(400)
    if "\x00" in request.path or _holds_nul(request.args) or _holds_nul(request.form):
        abort(400)
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)


def _holds_nul(values: MultiDict[str, str]) -> bool:
    return any("\x00" in name or any("\x00" in v for v in vs) for name, vs in values.lists())


def init_request_limits(app: Flask) -> None:
    """Bind the body limit and the UTF-8 check to ``app`` (before the hooks that read forms)."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.before_request(_refuse_broken_text)
