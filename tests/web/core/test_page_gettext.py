"""A page's ``_()`` (the request's catalogue found once per page, web.core.i18n.page_gettext) says
exactly what Flask-Babel's own template ``_()`` says, escaping included, in both languages."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string

SOURCE = (
    '<p title="{{ _("Check your case") }}">{{ _("Case %(number)s", number=number) }}'
    ' {{ _("100%% sure") }}</p>'
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("zh-TW", '<p title="查詢案件進度">案件 &lt;b&gt;1&lt;/b&gt; 100% sure</p>'),
        ("en", '<p title="Check your case">Case &lt;b&gt;1&lt;/b&gt; 100% sure</p>'),
    ],
)
def test_the_page_gettext_is_flask_babels_gettext(app: Flask, accept: str, expected: str) -> None:
    headers = {"Accept-Language": accept}
    with app.test_request_context("/", headers=headers):
        # render_template_string runs the context processors: _ is the page's.
        page = render_template_string(SOURCE, number="<b>1</b>")
    with app.test_request_context("/", headers=headers):
        # Without them, the environment's global: Flask-Babel's own _().
        stock = app.jinja_env.from_string(SOURCE).render(number="<b>1</b>")
        assert app.jinja_env.globals["_"] is not None
    assert page == stock == expected


def test_each_page_gets_its_own_gettext_over_the_requests_catalogue(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "zh-TW"}):
        context: dict[str, object] = {}
        app.update_template_context(context)
        page_gettext = context["_"]
        assert page_gettext is not app.jinja_env.globals["_"]
        assert callable(page_gettext) and page_gettext("Check your case") == "查詢案件進度"
