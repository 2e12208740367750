"""The API as a whole: spec-format errors everywhere, GETs rate limited per client."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.web.open311.conftest import PREFIX, Keys, errors_of


def test_unknown_addresses_are_404_naming_the_right_ones(client: FlaskClient) -> None:
    for path in ("/services.csv", "/tokens/1.json", ""):
        (description,) = errors_of(client.get(PREFIX + path), 404)
        assert "services.xml" in description


def test_a_wrong_method_is_405_in_the_spec_format(client: FlaskClient) -> None:
    response = client.delete(f"{PREFIX}/requests.json")
    errors_of(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_posting_needs_no_csrf_token_but_a_key(client: FlaskClient, keys: Keys) -> None:
    # The app checks CSRF on every other form; a key-authenticated API cannot carry a token.
    errors_of(client.post(f"{PREFIX}/requests.json", data={"service_code": "five-wd"}), 403)
    response = client.post(
        f"{PREFIX}/requests.json",
        data={
            "api_key": keys.full,
            "service_code": "five-wd",
            "last_name": "王",
            "first_name": "明",
            "phone": "0912-345-678",
        },
    )
    assert response.status_code == 200


def test_reads_are_rate_limited_per_client(app: Flask, client: FlaskClient) -> None:
    app.config["OPEN311_READ_LIMIT"] = "3 per minute"
    first = {"X-Forwarded-For": "198.51.100.7"}
    for _ in range(3):
        assert client.get(f"{PREFIX}/services.json", headers=first).status_code == 200
    stopped = client.get(f"{PREFIX}/services.json", headers=first)
    errors_of(stopped, 429)
    assert "Retry-After" in stopped.headers
    other = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get(f"{PREFIX}/services.json", headers=other).status_code == 200


def test_an_oversized_body_is_413_in_the_spec_format(client: FlaskClient, keys: Keys) -> None:
    response = client.post(
        f"{PREFIX}/requests.json",
        data={"api_key": keys.full, "service_code": "five-wd", "description": "x" * 70_000},
    )
    errors_of(response, 413)
