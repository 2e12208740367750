"""Templates compiled once per language (web.core.template_language): a literal ``_("...")``
translated at compile time says exactly what the call says at render time, and every template a
page pulls in is compiled in the page's language."""

from __future__ import annotations

import json

import pytest
from babel.messages.pofile import read_po
from flask import Flask, render_template

from web.core.i18n import TRANSLATIONS, page_gettext
from web.core.template_language import SEPARATOR, catalogue
from web.public.status import LookupForm


def _msgids() -> list[str]:
    """Every msgid of the catalogues that takes no variables (those stay calls)."""
    ids: set[str] = set()
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as file:
            ids.update(m.id for m in read_po(file) if m.id and isinstance(m.id, str))
    return sorted(i for i in ids if "%(" not in i)


@pytest.mark.parametrize("language", ["zh_TW", "en"])
def test_a_literal_translated_when_compiled_says_what_the_call_says(
    app: Flask, language: str
) -> None:
    ids = _msgids()
    assert len(ids) > 300  # the catalogues, not an empty glob
    source = "\n".join("{{ _(" + json.dumps(i, ensure_ascii=False) + ") }}" for i in ids)
    name = f"{language}{SEPARATOR}probe.html"
    with app.test_request_context("/"):
        env = app.jinja_env
        code = env.compile(source, name=name, filename="probe.html")
        template = env.template_class.from_code(env, code, env.make_globals(None))
        call = page_gettext(catalogue(language))
        rendered = template.render(_=call).split("\n")
        assert rendered == [str(call(i)) for i in ids]
        # Most of them were translated when compiled: no call left in the code for them.
        calls_left = env.compile(source, name=name, raw=True).count("context.call(")
    assert calls_left < len(ids) / 10


def test_a_page_and_everything_it_pulls_in_are_compiled_in_its_language(app: Flask) -> None:
    client = app.test_client()
    for language, header, text in (
        ("en", "en", "Check your case"),
        ("zh_TW", "zh-TW", "查詢案件進度"),
    ):
        page = client.get("/status", headers={"Accept-Language": header}).get_data(as_text=True)
        assert text in page
        with app.test_request_context("/", headers={"Accept-Language": header}):
            names = {
                app.jinja_env.get_template(name).name
                for name in ("public/status_form.html", "base.html", "_macros.html")
            }
            # Extended and imported templates take their parent's language.
            base = app.jinja_env.get_template("base.html", parent=f"en{SEPARATOR}x.html")
        assert names == {
            f"{language}{SEPARATOR}public/status_form.html",
            f"{language}{SEPARATOR}base.html",
            f"{language}{SEPARATOR}_macros.html",
        }
        assert base.name == f"en{SEPARATOR}base.html"


def test_a_real_page_calls_gettext_only_for_texts_with_variables(app: Flask) -> None:
    asked: list[str] = []

    def recording_gettext(string: str, /, **variables: object) -> str:
        asked.append(string)
        return string % variables if variables else string

    with app.test_request_context("/", headers={"Accept-Language": "zh-TW"}):
        page = render_template("public/status_form.html", form=LookupForm(), _=recording_gettext)
    assert "查詢案件進度" in page  # translated when compiled, not asked at render time
    assert all("%(" in text for text in asked), asked
