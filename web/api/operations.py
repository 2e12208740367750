"""Declaring an API operation once: its route, scope, bodies and answers.

``@operation(...)`` registers the Flask route and records the same facts for the OpenAPI
document, so what is documented is what is enforced: the key's scope, the query and body
schemas (which validate the input) and the response schema (which writes the output).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, ValidationError

from tracker.clock import utc_now
from web.api.auth import Caller, KeyInAddress, Unauthenticated, authenticate
from web.api.blueprint import api
from web.api.errors import ApiError, flatten_messages

# What each path parameter looks like; anything else is answered 404 without a query.
PATH_PARAMETERS = {
    "number": (r"^[0-9]{8}-[0-9]{4,6}$", "The case number, e.g. 20260413-0042."),
    "code": (r"^[a-z][a-z0-9-]{0,39}$", "The service code."),
    # At most nine digits: the column is a 32-bit integer.
    "closure_id": (r"^[1-9][0-9]{0,8}$", "The closure's id, as listed."),
}
_PARAMETER = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Call:
    """What a view gets: who calls, when, and the validated query and body."""

    caller: Caller
    now: datetime
    query: dict[str, Any]
    body: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A document with a status other than the operation's usual one, or extra headers."""

    document: Mapping[str, Any]
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


View = Callable[..., Mapping[str, Any] | Reply]


@dataclass(frozen=True)
class Operation:
    """One documented operation."""

    method: str
    path: str  # OpenAPI form, relative to the blueprint: /cases/{number}
    endpoint: str
    scope: str
    tag: str
    summary: str
    description: str
    response: type[Schema]
    status: int
    query: type[Schema] | None
    body: type[Schema] | None
    refusals: tuple[int, ...]

    @property
    def path_parameters(self) -> list[str]:
        """The names of the path's parameters, in order."""
        return _PARAMETER.findall(self.path)


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    path: str,
    *,
    scope: str,
    tag: str,
    response: type[Schema],
    status: int = 200,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    refusals: tuple[int, ...] = (),
    endpoint: str | None = None,
    summary: str | None = None,
) -> Callable[[View], View]:
    """Register ``view`` under ``path`` and record it for the OpenAPI document.

    The view is called as ``view(call, **path_values)`` and returns the document (or a Reply).
    """

    def decorate(view: View) -> View:
        doc = (view.__doc__ or "").strip()
        first, _, rest = doc.partition("\n")
        op = Operation(
            method=method.lower(),
            path=path,
            endpoint=endpoint or view.__name__,
            scope=scope,
            tag=tag,
            summary=summary or first.strip(),
            description=rest.strip(),
            response=response,
            status=status,
            query=query,
            body=body,
            refusals=refusals,
        )
        OPERATIONS.append(op)
        rule = _PARAMETER.sub(r"<\1>", path)
        # No merged slashes: /cases//notices must not redirect to a case named "notices".
        api.add_url_rule(
            rule, op.endpoint, _handler(op, view), methods=[method.upper()], merge_slashes=False
        )
        return view

    return decorate


def _handler(op: Operation, view: View) -> Callable[..., Response]:
    def handle(**values: str) -> Response:
        now = utc_now()
        caller = _caller(op, now)
        for name, value in values.items():
            pattern = PATH_PARAMETERS.get(name)
            if pattern and not re.fullmatch(pattern[0], value):
                raise ApiError(404, "not_found", f"There is no such {name}: {value[:40]!r}.")
        query = _load_query(op.query) if op.query else {}
        body = _load_body(op.body) if op.body else {}
        result = view(Call(caller, now, query, body), **values)
        reply = result if isinstance(result, Reply) else Reply(result)
        response = jsonify(op.response().dump(reply.document))
        response.status_code = reply.status or op.status
        response.headers.update(reply.headers)
        return response

    handle.__name__ = op.endpoint
    handle.__doc__ = op.summary
    return handle


def _caller(op: Operation, now: datetime) -> Caller:
    try:
        caller = authenticate(now)
    except KeyInAddress as exc:
        raise ApiError(400, "key_in_query", str(exc)) from None
    except Unauthenticated as exc:
        raise ApiError(
            401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="api"'}
        ) from None
    if not caller.can(op.scope):
        raise ApiError(
            403,
            "forbidden",
            f"This API key does not have the '{op.scope}' scope, which this operation needs.",
        )
    return caller


def _load_query(schema: type[Schema]) -> dict[str, Any]:
    try:
        return schema().load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(
            400,
            "invalid_query",
            "Some query parameters are invalid.",
            flatten_messages(exc.messages),
        ) from None


def _load_body(schema: type[Schema]) -> dict[str, Any]:
    raw = request.get_data(cache=False)  # 413 past the blueprint's body limit
    if not raw.strip():
        data: Any = {}
    elif not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    else:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested beyond reason
            raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    return schema().load(data)  # ValidationError → 422 with every bad field
