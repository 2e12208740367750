"""Cache-Control: no-store on every console response, and on every public and API response
that carries personal data or a lookup code."""

from __future__ import annotations

import re

from flask import Flask

from tests.web.counter.conftest import Console, file_social_case
from tracker.db import Database
from tracker.identifiers import format_lookup_code

PLAUSIBLE = {
    "agency": "sanmin",
    "department": "social",
    "code": "five-wd",
    "closure_id": "1",
    "notice_id": "1",
    "action": "note",
    "username": "colleague",
}


def _console_urls(app: Flask, number: str) -> list[tuple[str, str]]:
    values = {**PLAUSIBLE, "number": number}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("counter."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            urls.append((method, path))
    return urls


def test_every_console_response_is_no_store(
    app: Flask, console: Console, catalogue_db: Database
) -> None:
    number = file_social_case(catalogue_db).number
    urls = _console_urls(app, number)
    assert len(urls) > 20  # the walk found the console
    # Signed out first (the login page, redirects), then as the administrator and a clerk.
    for who in (None, "root", "clerk"):
        if who:
            assert console.login(who).status_code == 303
        for method, path in sorted(urls, key=lambda u: u[1] == "/counter/logout"):
            response = console.get(path) if method == "GET" else console.post(path, {})
            assert response.headers.get("Cache-Control") == "no-store", (who, method, path)


def test_the_citizens_case_pages_are_no_store(app: Flask, catalogue_db: Database) -> None:
    case = file_social_case(catalogue_db)
    client = app.test_client()
    for path in ("/status", f"/s/{case.number}"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
    html = client.get("/status").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token is not None
    form = {"csrf_token": token.group(1), "number": case.number}
    refused = client.post("/status", data=form | {"code": "0" * 10})
    assert refused.headers["Cache-Control"] == "no-store"
    found = client.post("/status", data=form | {"code": format_lookup_code(case.lookup_code)})
    assert found.status_code == 303
    page = client.get("/status/case")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
