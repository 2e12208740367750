"""Languages: which one a request gets, the chooser behind every page's links, the catalogues.

Translations are read from the ``.po`` files themselves and compiled in memory (once per file
version), so there is no ``.mo`` to forget to rebuild or to fight over in a merge: editing a
``.po`` is enough, and a fresh ``pip install -e .`` shows Chinese at once.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urlsplit

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Blueprint, Response, current_app, g, redirect, request
from flask_babel import Babel, Domain, get_locale

TRANSLATIONS = Path(__file__).with_name("translations")
# Babel's locale names, first the default. The catalogue and notices say zh-TW / en instead.
LOCALES = ("zh_TW", "en")
DEFAULT_LOCALE = "zh_TW"
LANGUAGE_COOKIE = "lang"
_LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Shown in each language's own name, so a reader who cannot read the page can still find theirs.
LANGUAGE_NAMES = {"zh_TW": "中文", "en": "English"}
HTML_LANG = {"zh_TW": "zh-Hant-TW", "en": "en"}

language = Blueprint("language", __name__)


def select_locale() -> str:
    """The remembered choice, else the browser's preference among ours, else zh-TW."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    # werkzeug falls back to the primary subtag: zh-CN and zh-Hant get zh-TW, en-GB gets en.
    best = request.accept_languages.best_match(["zh-TW", "en"])
    return {"zh-TW": "zh_TW", "en": "en"}.get(best or "", DEFAULT_LOCALE)


def current_locale() -> str:
    """The request's locale as one of LOCALES."""
    locale = get_locale()
    # Babel parses zh_TW as zh_Hant_TW: compare languages, not names.
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LOCALE


def text_language() -> str:
    """The request's language as the catalogue and the notices write it: ``zh-TW`` or ``en``."""
    return "en" if current_locale() == "en" else "zh-TW"


def _safe_next(target: str | None) -> str:
    """A path on this site to go back to; anything else (another host, ``//evil``) goes home."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


@language.get("/language/<code>")
def choose(code: str) -> Response:
    """Remember the chosen language in a cookie and go back to the page the reader was on."""
    response = redirect(_safe_next(request.args.get("next")), code=303)
    if code in LOCALES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=_LANGUAGE_COOKIE_AGE,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def language_links() -> list[dict[str, str]]:
    """The chooser's entries: every language with its link, the current one marked."""
    here = current_locale()
    back = request.full_path.rstrip("?") if request else "/"
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "lang": HTML_LANG[code],
            "current": "true" if code == here else "",
            "url": f"/language/{code}?next={quote(back, safe='/')}",
        }
        for code in LOCALES
    ]


def template_context() -> dict[str, object]:
    """What every template gets: the locale, the ``lang`` attribute, the chooser's links."""
    locale = current_locale()
    return {
        "current_locale": locale,
        "html_lang": HTML_LANG[locale],
        "language_links": language_links(),
    }


def _compile(path: str) -> bytes:
    """One ``.po`` file compiled to ``.mo`` bytes."""
    with open(path, "rb") as po:
        catalog = read_po(po)
    buffer = BytesIO()
    # Fuzzy entries are guesses awaiting review: like msgfmt, leave them out.
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@lru_cache(maxsize=16)
def _merged(files: tuple[tuple[str, int, str], ...]) -> NullTranslations:
    """The files' translations merged; the mtimes in the key make an edited file reload."""
    merged: Translations | None = None
    for path, _mtime, domain in files:
        translations = Translations(BytesIO(_compile(path)), domain=domain)
        if merged is None:
            merged = translations
        else:
            merged.merge(translations)
    return merged if merged is not None else NullTranslations()


def load_translations(
    directories: tuple[str, ...], domains: tuple[str, ...], locale: Locale
) -> NullTranslations:
    """Every domain's catalogue for ``locale`` from every directory, merged into one."""
    # zh_Hant_TW lives in the zh_TW folder, as pybabel names it.
    names = dict.fromkeys(
        [f"{locale.language}_{locale.territory}", str(locale), locale.language]
        if locale.territory
        else [str(locale), locale.language]
    )
    files = []
    for directory in dict.fromkeys(directories):
        for domain in domains:
            for name in names:
                path = os.path.join(directory, name, "LC_MESSAGES", f"{domain}.po")
                try:
                    files.append((path, os.stat(path).st_mtime_ns, domain))
                    break
                except FileNotFoundError:
                    continue
    return _merged(tuple(files))


class CatalogueDomain(Domain):
    """Flask-Babel's domain, reading every configured domain's ``.po`` (see the module doc)."""

    def get_translations(self) -> NullTranslations:
        """The merged translations for the request's locale (untranslated outside a request)."""
        if not g:
            return NullTranslations()
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        # Every _() asks again: look at the files once per request, not once per string.
        cache: dict[tuple[str, ...], NullTranslations] = g.setdefault("_catalogues", {})
        key = (str(locale), *self.domain)
        if key not in cache:
            cache[key] = load_translations(
                tuple(self.translation_directories), tuple(self.domain), locale
            )
        return cache[key]


class CatalogueBabel(Babel):
    """Flask-Babel with the catalogue domain above as its default domain."""

    @cached_property
    def domain_instance(self) -> Domain:
        """The default domain: every domain named in ``BABEL_DOMAIN``."""
        return CatalogueDomain(domain=self.domain)
