"""The ``/api/v1`` blueprint, its JSON-only defaults and its per-key rate limit."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from web.api.auth import rate_limit_key
from web.core.api_keys import limit_refused_keys
from web.core.extensions import limiter
from web.core.request_limits import limit_body

PREFIX = "/api/v1"
# A request body larger than this is refused (413) before it is read: every document the API
# takes (a case, an action, a closure) fits in a few kilobytes.
MAX_BODY = 64 * 1024
DEFAULT_RATE_LIMIT = "600 per minute"

api = Blueprint("api", __name__, url_prefix=PREFIX)


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))


# Counted per presented key (hashed), so one busy system cannot starve the others.
limiter.limit(_rate_limit, key_func=rate_limit_key)(api)
# And unknown or revoked keys per client address, so that keys cannot be guessed at speed.
limit_refused_keys(api)


limit_body(api, MAX_BODY)


@api.after_request
def _no_store(response: Response) -> Response:
    # Cases carry applicants' details and lookup codes: no browser or proxy keeps a copy. The
    # OpenAPI document is the same for everyone and may be cached.
    if request.endpoint != "api.openapi_json":
        response.headers["Cache-Control"] = "no-store"
    return response


def is_api_path(path: str) -> bool:
    """Whether ``path`` is under the API, so that its errors are answered in JSON."""
    return path == PREFIX or path.startswith(PREFIX + "/")
