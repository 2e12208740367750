"""``/api/v1/openapi.json``: the OpenAPI 3.1 document, built from the declared operations."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Response, jsonify
from marshmallow import Schema

from web.api.blueprint import PREFIX, api
from web.api.operations import OPERATIONS, PATH_PARAMETERS, Operation
from web.api.schemas import Error

TITLE = "Case Tracker API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Cases, their actions, notices, services and office closures for other systems. "
    "Authenticate with an API key (`tracker apikey create NAME`): "
    "`Authorization: Bearer ctk_...` or `X-API-Key: ctk_...`, never in the address (a key in "
    "the query string is refused, 400). Each operation names the scope it needs "
    "(`security`, `x-required-scope`): `cases:read`, `cases:read-personal` (the applicant's "
    "name, phone and email in a case), `cases:write`, `calendar:admin`. A key bound to an "
    "agency sees and changes only that agency's cases. Errors are JSON: "
    '`{"error": {"code": "...", "message": "...", "fields": {...}}}`. '
    "Instants are ISO 8601 with +08:00 (Asia/Taipei)."
)
_ERRORS = {
    400: "The query or body could not be understood (bad JSON, bad query parameter), or an "
    "API key was sent in the address.",
    401: "No API key, or an unknown or revoked one.",
    403: "The API key lacks the scope this operation needs.",
    404: "No such case or service.",
    409: "The case changed since your copy (expected_version), or the action is not allowed "
    "in its current status.",
    413: "The body is larger than 64 KiB.",
    415: "The body is not application/json.",
    422: "Some fields are invalid; `fields` says which and why.",
    429: "Too many requests with this key, or too many refused keys from this client; see "
    "Retry-After.",
}
_TAGS = [
    {"name": "services", "description": "The catalogue: services and their SOPs."},
    {"name": "cases", "description": "Filing, reading and listing cases; their notices."},
    {"name": "actions", "description": "What clerks do to a case, as at the console."},
    {"name": "calendar", "description": "Office closures (停止上班)."},
]


def _refusals(op: Operation) -> list[int]:
    codes = {400, 401, 403, 429, *op.refusals}
    if op.body:
        codes.update({413, 415, 422})
    if op.path_parameters:
        codes.add(404)
    return sorted(codes)


def _operation(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": op.endpoint,
        "tags": [op.tag],
        "summary": op.summary,
        "description": f"{op.description}\n\nScope: `{op.scope}`.".strip(),
        "security": [{"bearer": [op.scope]}, {"apiKey": [op.scope]}],
        "x-required-scope": op.scope,
        "parameters": [{"in": "query", "schema": op.query}] if op.query else [],
        "responses": {
            str(op.status): {
                "description": "OK" if op.status == 200 else "Created",
                "content": {"application/json": {"schema": op.response}},
            },
            **{str(code): f"E{code}" for code in _refusals(op)},
        },
    }
    if op.body:
        # A body whose fields are all optional may be left out (an empty body reads as {}).
        document["requestBody"] = {
            "required": any(field.required for field in op.body().fields.values()),
            "content": {"application/json": {"schema": op.body}},
        }
    return document


def _path_parameter(name: str) -> dict[str, Any]:
    pattern, description = PATH_PARAMETERS[name]
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": pattern},
    }


def _schema_name(schema: type[Schema] | Schema) -> str:
    # CaseOut is named for the code (beside the Case model); the document calls it Case.
    return resolve_schema_cls(schema).__name__.removesuffix("Out")


@cache
def openapi_document() -> dict[str, Any]:
    """The document; the operations are fixed at import, so it is built once."""
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": DESCRIPTION},
        servers=[{"url": PREFIX}],
        tags=_TAGS,
        security=[{"bearer": []}, {"apiKey": []}],
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "ctk_... API key"}
    )
    spec.components.security_scheme(
        "apiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    spec.components.schema("Error", schema=Error)
    for code, description in _ERRORS.items():
        spec.components.response(
            f"E{code}",
            {"description": description, "content": {"application/json": {"schema": "Error"}}},
        )
    paths: dict[str, list[Operation]] = {}
    tag_order = [tag["name"] for tag in _TAGS]
    for op in sorted(OPERATIONS, key=lambda op: tag_order.index(op.tag)):
        paths.setdefault(op.path, []).append(op)
    for path, ops in paths.items():
        spec.path(
            path=path,
            operations={op.method: _operation(op) for op in ops},
            parameters=[_path_parameter(name) for name in ops[0].path_parameters],
        )
    return spec.to_dict()


@api.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of this API (no key needed)."""
    return jsonify(openapi_document())
