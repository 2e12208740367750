"""Templates compiled per language (web.core.template_i18n) give exactly the pages ``_()`` at render
time gives: every page type, public and console, in both languages, byte for byte."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from flask import Flask

from tests.conftest import NOW
from tests.web.conftest import csrf_token
from tests.web.counter import conftest as console_fixtures
from tests.web.counter.conftest import Console, file_social_case
from tracker.cases import actions as case_actions
from tracker.db import Database
from web.core.i18n import request_translations
from web.core.template_i18n import LocalizedEnvironment

# The console's app: its users sign in to see the console's pages.
app = console_fixtures.app

LANGUAGES = ("zh_TW", "en")
# What differs between two answers by design: each form's signed CSRF token.
_TOKEN_VALUE = re.compile(
    r'(name="(?:[\w-]+-)?csrf_token"[^>]*value=")[^"]*|(value=")[^"]*("[^>]*name="(?:[\w-]+-)?csrf_token")'
)


def _normal(html: str) -> str:
    return _TOKEN_VALUE.sub(lambda m: (m.group(1) or m.group(2)) + (m.group(3) or ""), html)


@pytest.fixture
def frozen() -> Iterator[None]:
    """Both renderings of a page at the same instant (the board shows the time)."""
    with time_machine.travel(NOW + timedelta(days=1, hours=2), tick=False):
        yield


def _pages(database: Database) -> dict[str, list[str]]:
    """Who sees which pages: a case waiting for documents, looked up by its applicant too."""
    case = file_social_case(database, now=NOW)
    with database.transaction() as session:
        case_actions.request_supplement(
            session,
            case.id,
            ["戶口名簿影本 <b>", "印章 & 章"],
            actor="clerk:test",
            now=NOW + timedelta(hours=1),
            deadline=date(2026, 4, 24),
        )
    n = case.number
    # A receipt nobody could send: the case page's letter task form, the queues' count.
    quiet = file_social_case(database, now=NOW, phone="07-311-0000", notify_by="none").number
    return {
        "citizen": [
            "/",
            "/services",
            "/services/five-wd",
            "/status",
            "/status/case",
            "/board/sanmin/social",
            "/open-data",
            "/open-data/dictionary",
            "/nowhere",
        ],
        "clerk": [
            "/counter",
            "/counter/file",
            "/counter/file/five-wd",
            f"/counter/cases/{n}",
            f"/counter/cases/{quiet}",
            f"/counter/cases/{n}/receipt",
            f"/counter/search?q={n}",
        ],
        "boss": ["/counter/reports"],
        "root": ["/counter/admin", "/counter/admin/audit"],
    }


def _signed_in(app: Flask, who: str, database: Database) -> Console:
    """A fresh browser as ``who``: a console user, or a citizen who looked a case up."""
    console = Console(app.test_client())
    if who != "citizen":
        assert console.login(who).status_code == 303
        return console
    case = file_social_case(database, now=NOW)
    token = csrf_token(console.client.get("/status").get_data(as_text=True))
    answer = console.client.post(
        "/status", data={"csrf_token": token, "number": case.number, "code": case.lookup_code}
    )
    assert answer.status_code == 303
    return console


def test_every_page_is_the_same_compiled_per_language_or_translated_at_render(
    app: Flask, catalogue_db: Database, frozen: None
) -> None:
    assert isinstance(app.jinja_env, LocalizedEnvironment)
    compared = 0
    for who, paths in _pages(catalogue_db).items():
        browser = _signed_in(app, who, catalogue_db)
        for language in LANGUAGES:
            browser.client.set_cookie("lang", language)
            for path in paths:
                pages = []
                for inline in (True, False):
                    app.config["TEMPLATE_INLINE_TRANSLATIONS"] = inline
                    response = browser.client.get(path)
                    assert response.mimetype == "text/html", path
                    pages.append(_normal(response.get_data(as_text=True)))
                assert pages[0] == pages[1], f"{who} {language} {path}"
                compared += 1
    assert compared == 2 * 19


SOURCE = '<p title="{{ _("Check your case") }}">{{ _("Case %(number)s", number=n) }}</p>'
# A translation with a character autoescaping would change: it is trusted, never escaped.
SOURCE_EN = '{{ _("In the unit of the SOP\'s limit (%(limit)s), at most that much.", limit=n) }}'


def _compiled(app: Flask, language: str, source: str) -> tuple[str, str, str]:
    """``source`` compiled for ``language``: its code, its page, and the page at render time."""
    environment = app.jinja_env
    assert isinstance(environment, LocalizedEnvironment)
    with app.test_request_context("/", headers={"Cookie": f"lang={language}"}):
        app.preprocess_request()
        version = environment.versions.number(request_translations())
        name = f"@{language}.{version}/probe.html"
        template = environment.template_class.from_code(
            environment, environment.compile(source, name), environment.make_globals(None)
        )
        return (
            environment.compile(source, name, raw=True),
            template.render(n="<b>1</b>"),
            environment.from_string(source).render(n="<b>1</b>"),
        )


def test_a_message_is_compiled_in_and_its_values_are_still_escaped(app: Flask) -> None:
    code, html, runtime = _compiled(app, "zh_TW", SOURCE)
    # The translations are in the compiled code; no gettext call is left to make.
    assert "案件 %(number)s" in code and "查詢案件進度" in code
    assert "context.call" not in code
    assert html == runtime == '<p title="查詢案件進度">案件 &lt;b&gt;1&lt;/b&gt;</p>'
    code, html, runtime = _compiled(app, "en", SOURCE_EN)
    assert "context.call" not in code
    assert (
        html
        == runtime
        == "In the unit of the SOP's limit (&lt;b&gt;1&lt;/b&gt;), at most that much."
    )
