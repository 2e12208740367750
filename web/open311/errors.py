"""Errors in the GeoReport v2 format, same status: ``<errors><error><code>400</code>
<description>...</description></error></errors>`` at an ``.xml`` address, else
``[{"code": 400, "description": "..."}]``.

403 for a missing or refused ``api_key``, 404 for an unknown service, request or address, 400
for any other bad input (one entry per bad field, naming it). Never a 500 for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, default_exceptions

from web.open311.blueprint import is_open311_path, open311
from web.open311.formats import document_response

_HTTP_DESCRIPTIONS = {
    400: "The request could not be understood.",
    403: "The api_key does not allow this.",
    404: "There is nothing at this address. The addresses are services.xml, "
    "services/{service_code}.xml, requests.xml and requests/{service_request_id}.xml, each also "
    "in .json; and /open311/discovery.xml (or .json).",
    405: "This address does not accept that method.",
    413: "The request body is too large.",
    429: "Too many requests from this client; slow down.",
}


class Open311Error(Exception):
    """A refusal: an HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or (_HTTP_DESCRIPTIONS.get(status, "Request failed."),)


def field_errors(fields: Mapping[str, str]) -> Open311Error:
    """A 400 naming every bad field: ``"phone: '123' is not a phone number ..."``."""
    return Open311Error(400, *(f"{name}: {problem}" for name, problem in fields.items()))


def error_response(
    status: int, *descriptions: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The spec's error document with its status."""
    response = document_response(
        [{"code": status, "description": description} for description in descriptions],
        "errors",
        status=status,
    )
    response.headers.update(headers or {})
    return response


@open311.errorhandler(Open311Error)
def _refused(error: Open311Error) -> Response:
    return error_response(error.status, *error.descriptions)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        return _server_error(error)
    headers: dict[str, str] = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods or ())
    if status == 429:
        retry_after = error.get_response().headers.get("Retry-After")
        if retry_after:
            headers["Retry-After"] = retry_after
    description = _HTTP_DESCRIPTIONS.get(status, error.description or "Request failed.")
    return error_response(status, description, headers=headers)


def _server_error(_error: Exception) -> Response:
    # Flask has logged the exception; nothing from the request here (it may carry a name).
    return error_response(500, "Something went wrong on our side; try again later.")


# Flask prefers a handler registered for the status code, the app's included, over one for a
# class: the codes the site has pages for are registered here one by one.
open311.register_error_handler(HTTPException, _http_error)
for _status in (*_HTTP_DESCRIPTIONS, 500):
    open311.register_error_handler(_status, _http_error if _status != 500 else _server_error)


def init_errors(app: Flask) -> None:
    """Errors in the spec's format for addresses under the prefix that match no route.

    Such a request never reaches the blueprint's handlers, so the app's handlers for 404 and
    405 are wrapped: our paths get the spec's format, every other path keeps what it had.
    """
    for status in (404, 405):
        exception = default_exceptions[status]
        previous = app.error_handler_spec[None][status].get(exception)
        app.register_error_handler(status, _ours_or(previous))


def _ours_or(previous: Any) -> Any:
    def handler(error: HTTPException) -> Any:
        if is_open311_path(request.path) or previous is None:
            return _http_error(error)
        return previous(error)

    return handler
