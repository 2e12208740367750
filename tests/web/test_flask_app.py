"""The app class keeps what a process already knows, and gives Flask's own answers with it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from web.core.flask_app import TrackerFlask


def test_kept_addresses_are_flasks_own_under_any_script_root(app: Flask) -> None:
    assert isinstance(app, TrackerFlask)
    for root in ("", "/tracker", "/other/prefix"):
        for _ in range(2):  # built, then kept
            with app.test_request_context("/status", base_url=f"http://localhost{root}"):
                assert app.url_for("static", filename="site.css") == f"{root}/static/site.css"
                assert app.url_for("status.lookup") == f"{root}/status"
                assert app.url_for("status.lookup", _anchor="form") == f"{root}/status#form"
                assert app.url_for("status.prefilled", number="1") == f"{root}/s/1"
                external = app.url_for("status.lookup", _external=True)
                assert external == f"http://localhost{root}/status"
    # Only the addresses without values (and static files) are kept: no case number piles up.
    assert all(key[1] in ("static", "status.lookup") for key in app._addresses)


def test_templates_build_addresses_through_the_kept_ones(app: Flask, client: FlaskClient) -> None:
    html = client.get("/status", base_url="http://localhost/tracker").get_data(as_text=True)
    assert 'href="/tracker/static/site.css"' in html
    assert 'action="/tracker/status"' in html


def test_a_new_secret_key_gets_a_new_session_serializer(app: Flask, client: FlaskClient) -> None:
    client.get("/status")  # a CSRF token in a new session cookie
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    cookie = client.get_cookie("tracker_session")
    assert cookie is not None and first is not None and first.loads(cookie.value)
    app.secret_key = "another-secret-" + "k" * 40
    second = interface.get_signing_serializer(app)
    assert second is not first and second is not None
    assert second.loads_unsafe(cookie.value)[0] is False  # the old signature no longer holds


def test_coroutine_checks_are_kept_per_function(app: Flask) -> None:
    def view() -> str:
        return "ok"

    assert app.ensure_sync(view) is view
    assert app._sync[view] is view
