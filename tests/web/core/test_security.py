"""Security headers on every response, hardened cookies, CSRF, no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import create_case
from tests.web.conftest import csrf_token, make_app
from tracker.db import Database

PAGES = [
    "/",
    "/status",
    "/status/case",
    "/s/20260413-0001",
    "/services",
    "/services/five-wd",
    "/services/no-such-service",
    "/board/sanmin/social",
    "/board/sanmin/nowhere",
    "/language/en?next=/services",
    "/static/site.css",
    "/no/such/page",
]


def _check_headers(headers: object) -> None:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert headers["Referrer-Policy"] == "no-referrer"  # type: ignore[index]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500
    _check_headers(response.headers)
    # Over plain http there is no HSTS: it would be ignored, and misleads when testing locally.
    assert "Strict-Transport-Security" not in response.headers


def test_refusals_and_posts_carry_them_too(client: FlaskClient) -> None:
    for response in (
        client.post("/status", data={"number": "x", "code": "y"}),  # no CSRF token: 400
        client.post("/status/forget"),
        client.put("/status"),  # 405
    ):
        assert response.status_code in (400, 405)
        _check_headers(response.headers)


def test_hsts_is_sent_behind_an_https_proxy(client: FlaskClient) -> None:
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_have_no_inline_script_or_style(app: Flask, client: FlaskClient) -> None:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session)
        number, code = case.number, case.lookup_code
    token = csrf_token(client.get("/status").get_data(as_text=True))
    client.post("/status", data={"csrf_token": token, "number": number, "code": code})
    for path in (
        "/",
        "/status",
        "/status/case",
        "/services",
        "/services/five-wd",
        "/board/sanmin/social",
        "/no/such/page",
    ):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, path
        assert "<style" not in html and " style=" not in html, path
        assert re.search(r"\son[a-z]+=", html) is None, path  # no onclick= and the like


def test_session_cookies_are_http_only_and_same_site(client: FlaskClient) -> None:
    response = client.get("/status")  # the CSRF token starts a session
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the default public address is http://127.0.0.1


def test_session_cookies_are_secure_when_the_site_is_https(
    catalogue_db: Database, tmp_path: Path
) -> None:
    app = make_app(catalogue_db, tmp_path, PUBLIC_BASE_URL="https://case.kcg.example")
    response = app.test_client().get("/status", headers={"X-Forwarded-Proto": "https"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["database"].dispose()


def test_the_status_form_refuses_a_post_without_its_csrf_token(
    app: Flask, client: FlaskClient
) -> None:
    database: Database = app.extensions["database"]
    with database.transaction() as session:
        case = create_case(session)
        number, code = case.number, case.lookup_code
    client.get("/status")
    refused = client.post("/status", data={"number": number, "code": code})
    assert refused.status_code == 400
    assert "這個表單已逾時" in refused.get_data(as_text=True)
    forged = client.post("/status", data={"csrf_token": "forged", "number": number, "code": code})
    assert forged.status_code == 400
    # Nothing was remembered: the case page still sends back to the form.
    assert client.get("/status/case").status_code == 303
