"""Every API error as JSON: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, default_exceptions

from tracker.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from web.api.blueprint import api, is_api_path

# Stable codes for the HTTP errors a client can cause; the message says what to do.
_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Send a valid API key."),
    403: ("forbidden", "The API key does not allow this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("body_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    422: ("invalid", "Some fields are invalid."),
    429: ("rate_limited", "Too many requests, or too many refused API keys; see Retry-After."),
}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code, a message and optionally bad fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The JSON error document with its status."""
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = dict(fields)
    response = jsonify({"error": body})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """Marshmallow's nested messages as ``{"field.sub": "what is wrong"}``."""
    if isinstance(messages, Mapping):
        flat: dict[str, str] = {}
        for name, value in messages.items():
            key = str(name) if name != "_schema" else "body"
            flat.update(flatten_messages(value, f"{prefix}.{key}" if prefix else key))
        return flat
    if isinstance(messages, list | tuple):
        texts = [m for m in messages if isinstance(m, str)]
        flat = {prefix or "body": " ".join(texts)} if texts else {}
        for item in messages:
            if not isinstance(item, str):
                flat.update(flatten_messages(item, prefix))
        return flat
    return {prefix or "body": str(messages)}


@api.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.fields, error.headers)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code, message = _HTTP_CODES.get(status, ("error", error.description or "Request failed."))
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods or ())
    response = error.get_response()
    if status == 429 and "Retry-After" in response.headers:
        headers["Retry-After"] = response.headers["Retry-After"]
    return error_response(status, code, message, headers=headers)


# Flask prefers a handler for the status code, the app's included, over one for a class: the
# codes the site has pages for (400, 404, 405, 429) are registered here one by one.
api.register_error_handler(HTTPException, _http_error)
for _status in _HTTP_CODES:
    api.register_error_handler(_status, _http_error)


@api.errorhandler(ValidationError)
def _validation(error: ValidationError) -> Response:
    return error_response(
        422, "invalid", "Some fields are invalid.", flatten_messages(error.messages)
    )


@api.errorhandler(InvalidInput)
def _invalid(error: InvalidInput) -> Response:
    return error_response(422, error.code, "Some fields are invalid.", error.fields)


@api.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    return error_response(404, error.code, error.message)


@api.errorhandler(Conflict)
@api.errorhandler(IllegalTransition)
def _refused(error: Conflict | IllegalTransition) -> Response:
    return error_response(409, error.code, error.message)


@api.errorhandler(500)
def _server_error(_error: Exception) -> Response:
    # The details are in the log already (Flask logs the exception); no request data here,
    # since bodies carry applicants' names and numbers.
    return error_response(500, "server_error", "Something went wrong on our side; try again.")


def init_errors(app: Flask) -> None:
    """JSON 404 and 405 for API addresses that match no route.

    Such a request never reaches the blueprint's handlers (above), so the app's handlers for
    those two codes are wrapped: API paths get JSON, every other path keeps its page. Call it
    after the app's own error pages are registered.
    """
    for status in (404, 405):
        exception = default_exceptions[status]
        previous = app.error_handler_spec[None][status].get(exception)
        app.register_error_handler(status, _json_on_api_paths(previous))


def _json_on_api_paths(previous: Any) -> Any:
    def handler(error: HTTPException) -> Any:
        if is_api_path(request.path):
            return _http_error(error)
        return previous(error) if previous is not None else error

    return handler
