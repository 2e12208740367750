"""The home page leads to the status lookup, the services and the console."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_the_home_page_links_the_three_ways_in(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for href in ('href="/status"', 'href="/services"', 'href="/counter/login"'):
        assert href in html
    assert 'class="skip-link" href="#main"' in html and 'id="main"' in html


def test_unknown_pages_get_the_site_layout_and_a_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_the_icon_is_found_so_browsers_report_no_404(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
