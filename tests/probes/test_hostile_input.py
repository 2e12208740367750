"""Probe: every route in the URL map, fed hostile values, answers below 500 on both databases.

Hostile values: NUL (``%00``, which PostgreSQL refuses in text), CR/LF, ids beyond 32 and 64
bits (2**31, 2**63, 10**30) and negative ones, in each path argument, in the query, in every
form field any page of the app shows (with a valid CSRF token, so the views themselves run),
in the API's JSON bodies, and as ``next``. Sent anonymously, as a signed-in clerk and admin,
and to the API and Open311 with a valid key. Each request comes from its own client address,
so the per-client rate limits do not hide what is behind them.

The count of requests is printed (``-s`` shows it) and recorded in the issue's closing note.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from tests.conftest import NOW
from tests.factories import create_case
from tests.web.api.conftest import Keys
from tests.web.counter.conftest import PASSWORD, Console
from tracker.db import Database
from tracker.models import Notice
from web.core.redirects import local_path

INT_32, INT_64 = 2**31, 2**63
# Raw (already URL-encoded) path segments.
HOSTILE_SEGMENTS = (
    "%00",
    "20260413-0001%00",
    "%0d%0a",
    str(INT_32),
    str(INT_64),
    str(10**30),
    "-1",
    str(-(INT_64) - 1),
    "%E2%80%AE",
    "%ff%fe",
)
# Values for queries, forms and JSON (encoded by the client).
HOSTILE_VALUES: tuple[Any, ...] = (
    "\x00",
    "a\x00b",
    "\r\nX-Injected: 1",
    str(INT_32),
    str(INT_64),
    str(10**30),
    "-1",
    str(-(INT_64) - 1),
)
JSON_VALUES: tuple[Any, ...] = ("\x00", "a\x00b", "\r\n", INT_32, INT_64, 10**30, -1, -(INT_64) - 1)
NEXT_VALUES = (
    "/counter%0d%0aX-Injected:%201",
    "/%0d%0aLocation:%20https://evil.example/",
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
)
QUERY_NAMES = (
    "next", "q", "number", "code", "page", "cursor", "limit", "from", "to", "agency",
    "department", "status", "service", "due_before", "due_after", "overdue", "lang", "done",
    "id", "step", "start_date", "end_date", "service_request_id", "service_code",
)  # fmt: skip
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
API_PREFIXES = ("/api/", "/open311/")


@dataclass
class Tally:
    """What the probe sent and what went wrong."""

    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    address: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def client_address(self) -> dict[str, str]:
        n = next(self.address)
        return {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}


@dataclass
class Caller:
    name: str
    client: FlaskClient
    token: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    login: str | None = None


def _send(
    tally: Tally, caller: Caller, method: str, url: str, **kwargs: Any
) -> TestResponse | None:
    tally.requests += 1
    headers = {**caller.headers, **tally.client_address(), **kwargs.pop("headers", {})}
    try:
        response = caller.client.open(url, method=method, headers=headers, **kwargs)
    except Exception as exc:
        tally.failures.append(f"{caller.name} {method} {url!r}: {type(exc).__name__}: {exc}")
        tally.statuses[500] = tally.statuses.get(500, 0) + 1
        return None
    tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
    if response.status_code >= 500:
        tally.failures.append(f"{caller.name} {method} {url!r}: {response.status_code}")
    location = response.headers.get("Location", "")
    if location:
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost") or "\r" in location or "\n" in location:
            tally.failures.append(f"{caller.name} {method} {url!r}: redirected to {location!r}")
    return response


def _plausible(number: str) -> dict[str, str]:
    """A value for each path argument that reaches the view."""
    return {
        "number": number,
        "code": "five-wd",
        "agency": "sanmin",
        "department": "social",
        "token": "0" * 8,
        "closure_id": "1",
        "notice_id": "1",
        "action": "complete",
        "secret": "x" * 20,
        "filename": "console.css",
        "fmt": "json",
        "username": "colleague",
    }


def _path(rule: Rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


def _paths(rule: Rule, number: str) -> Iterator[str]:
    """The rule with plausible arguments, then with each argument hostile in turn."""
    plausible = _plausible(number)
    yield _path(rule, plausible)
    for argument in sorted(rule.arguments):
        if argument == "fmt":
            continue
        for hostile in HOSTILE_SEGMENTS:
            yield _path(rule, {**plausible, argument: hostile})


def _form_fields(caller: Caller, tally: Tally, urls: list[str]) -> set[str]:
    """Every form field name the caller's pages show."""
    names: set[str] = set()
    for url in urls:
        response = _send(tally, caller, "GET", url)
        if response is not None and response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            names.update(_FIELD.findall(html))
            token = _TOKEN.search(html)
            if token:
                caller.token = token.group(1)
    return names


def _form(names: set[str], value: Any, token: str) -> dict[str, Any]:
    return {n: (token if n.endswith("csrf_token") else value) for n in names} | {"next": value}


def _json_names(app: Flask) -> set[str]:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    names: set[str] = set()
    for schema in document["components"]["schemas"].values():
        names.update(schema.get("properties", {}))
    return names


def _relogin(caller: Caller, tally: Tally) -> None:
    if caller.login is None:
        return
    token_page = _send(tally, caller, "GET", "/counter/login")
    assert token_page is not None
    match = _TOKEN.search(token_page.get_data(as_text=True))
    if match is None:  # still signed in
        return
    form = {"csrf_token": match.group(1), "username": caller.login, "password": PASSWORD}
    signed_in = _send(tally, caller, "POST", "/counter/login", data=form)
    assert signed_in is not None and signed_in.status_code == 303, caller.name
    page = _send(tally, caller, "GET", "/counter/search")
    assert page is not None
    caller.token = _TOKEN.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def _probe_rule(
    rule: Rule, caller: Caller, tally: Tally, number: str, names: set[str], json_names: set[str]
) -> None:
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})  # type: ignore[operator]
    is_api = rule.rule.startswith("/api/")
    for method in methods:
        for path in _paths(rule, number):
            _request(tally, caller, method, path, is_api, names, json_names, "probe")
        plain = _path(rule, _plausible(number))
        for value in HOSTILE_VALUES:
            query = urlencode(dict.fromkeys(QUERY_NAMES, value))
            _send(tally, caller, "GET" if method == "GET" else method, f"{plain}?{query}")
            if method == "POST":
                _request(tally, caller, method, plain, is_api, names, json_names, value)
        for target in NEXT_VALUES:
            _send(tally, caller, method, f"{plain}?next={target}")
        if rule.rule == "/counter/logout" and method == "POST":
            _relogin(caller, tally)


def _request(
    tally: Tally,
    caller: Caller,
    method: str,
    path: str,
    is_api: bool,
    names: set[str],
    json_names: set[str],
    value: Any,
) -> None:
    if method == "GET":
        _send(tally, caller, method, path)
    elif is_api:
        json_value = JSON_VALUES[HOSTILE_VALUES.index(value)] if value in HOSTILE_VALUES else value
        body = json.dumps(dict.fromkeys(json_names, json_value))
        _send(tally, caller, method, path, data=body, content_type="application/json")
    else:
        form = _form(names, value, caller.token)
        if path.startswith("/open311/"):
            form["api_key"] = caller.headers.get("X-API-Key", "")
        _send(tally, caller, method, path, data=form)


def _callers(app: Flask, keys: Keys, tally: Tally) -> list[Caller]:
    callers = [Caller("anonymous", app.test_client())]
    for name, username in (("clerk", "clerk"), ("admin", "root")):
        caller = Caller(name, app.test_client(), login=username)
        _relogin(caller, tally)
        callers.append(caller)
    callers.append(Caller("api key", app.test_client(), headers={"X-API-Key": keys.full}))
    for caller in callers:
        caller.client.set_cookie("lang", "en")
    return callers


def test_no_route_answers_hostile_input_with_a_500(
    app: Flask, keys: Keys, catalogue_db: Database
) -> None:
    limit = "1000000 per minute"
    app.config.update(
        STATUS_LIMIT_PER_CLIENT=limit,
        STATUS_LIMIT_PER_CASE=limit,
        SURVEY_LIMIT_PER_CLIENT=limit,
        SURVEY_LIMIT_PER_CASE=limit,
        API_RATE_LIMIT=limit,
        OPEN311_READ_LIMIT=limit,
        OPEN311_WRITE_LIMIT=limit,
    )
    with catalogue_db.transaction() as session:
        number = create_case(session, now=NOW).number
        assert session.scalars(select(Notice)).first() is not None
    tally = Tally()
    callers = _callers(app, keys, tally)
    # Logging out last, so the signed-in callers stay signed in for every other route.
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule == "/counter/logout", r.rule))
    json_names = _json_names(app)
    page_urls = [
        _path(r, _plausible(number))
        for r in rules
        if "GET" in r.methods and not r.rule.startswith(API_PREFIXES)  # type: ignore[operator]
    ] + [f"/counter/cases/{number}"]
    for caller in callers:
        is_api_caller = bool(caller.headers)
        names = set() if is_api_caller else _form_fields(caller, tally, page_urls)
        for rule in rules:
            api_rule = rule.rule.startswith(API_PREFIXES)
            # Anonymous callers try everything; staff the site, the key the API and Open311.
            if (caller.login and api_rule) or (is_api_caller and not api_rule):
                continue
            _probe_rule(rule, caller, tally, number, names, json_names)
    backend = catalogue_db.engine.dialect.name
    print(
        f"\nhostile-input probe on {backend}: {tally.requests} requests, "
        f"{sum(n for s, n in tally.statuses.items() if s >= 500)} answers >= 500; "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert tally.failures == [], "\n".join(tally.failures[:60])


# --- the fixes the probe led to, one fact each --------------------------------------------------


def test_nul_is_refused_in_path_query_and_form(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/services/five%00wd").status_code == 400
    assert client.get("/counter/login?next=%00").status_code == 400
    token = _TOKEN.search(client.get("/status").get_data(as_text=True))
    assert token is not None
    form = {"csrf_token": token.group(1), "number": "20260413-0001\x00", "code": "1"}
    assert client.post("/status", data=form).status_code == 400
    assert (
        client.post("/status", data={"csrf_token": token.group(1), "a\x00": "1"}).status_code == 400
    )


def test_ids_beyond_the_columns_are_not_found(console: Console) -> None:
    assert console.login("root").status_code == 303
    for closure_id in (INT_32, INT_64, 10**30):
        response = console.post(f"/counter/admin/closures/{closure_id}/withdraw", {"reason": "x"})
        assert response.status_code == 404


def test_next_with_cr_lf_or_elsewhere_is_ignored(app: Flask) -> None:
    client = app.test_client()
    for target in ("/%0d%0aX-Injected:%201", "//evil.example/", "/\\evil.example", "https://x.y/"):
        response = client.get(f"/language/en?next={target}")
        assert response.status_code == 303
        assert response.headers["Location"] == "/"
    assert local_path("/counter/cases?q=1", within="/counter") == "/counter/cases?q=1"
    assert local_path("/counter\r\nX-Injected: 1", within="/counter") is None
    assert local_path("/counter\t", within="/counter") is None
