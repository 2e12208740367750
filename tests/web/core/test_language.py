"""Languages: zh-TW by default, the browser's preference next, a remembered choice first."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_chinese_is_the_default(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html
    assert "高雄市申辦案件進度查詢" in html


def test_the_browser_preference_is_followed(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Kaohsiung City Case Tracker" in html
    # A language we do not have falls back to Chinese.
    html = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html


def test_every_page_offers_the_other_language(client: FlaskClient) -> None:
    for path in ("/", "/status", "/services", "/services/five-wd", "/board/sanmin/social"):
        html = client.get(path).get_data(as_text=True)
        assert f'href="/language/en?next={path}"' in html, path
        assert 'aria-current="true">中文<' in html, path


def test_the_choice_is_remembered_and_wins_over_the_browser(client: FlaskClient) -> None:
    chosen = client.get("/language/en?next=/services")
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == "/services"
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = client.get("/services", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Services and time limits" in html

    client.get("/language/zh_TW?next=/")
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html


def test_the_chooser_only_goes_back_to_this_site(client: FlaskClient) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.headers["Location"] == "/", target


def test_an_unknown_language_is_not_remembered(client: FlaskClient) -> None:
    response = client.get("/language/fr?next=/")
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers


def test_the_console_layout_is_in_the_console_language(client: FlaskClient) -> None:
    """The shared header and footer follow the language on console pages too (counter domain)."""
    html = client.get("/counter/login").get_data(as_text=True)
    assert '<html lang="zh-Hant-TW">' in html and "高雄市申辦案件進度查詢" in html
    assert "高雄市政府" in html and "Kaohsiung City Government" not in html
    client.get("/language/en?next=/counter/login")
    html = client.get("/counter/login").get_data(as_text=True)
    assert "Kaohsiung City Government" in html and "高雄市政府" not in html
