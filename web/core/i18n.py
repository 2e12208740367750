"""Languages: which one a request gets, the chooser behind every page's links, the catalogues.

Flask-Babel does the work through its documented API: ``locale_selector`` picks the language,
``get_locale`` reads it, templates use its ``_()``. The catalogues are the ``.mo`` files that
``pybabel compile`` (Babel's ``compile_catalog``) writes beside each ``.po``; ``pip install``
runs it (setup.py), and ``tests/web/core/test_catalogues_compiled.py`` fails when one is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Blueprint, Response, current_app, redirect, request
from flask_babel import Babel, Domain, get_locale, get_translations
from markupsafe import Markup

from web.core.redirects import local_path

TRANSLATIONS = Path(__file__).parents[1] / "translations"
# Babel's locale names, first the default. The catalogue and notices say zh-TW / en instead.
LOCALES = ("zh_TW", "en")
DEFAULT_LOCALE = "zh_TW"
LANGUAGE_COOKIE = "lang"
_LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Shown in each language's own name, so a reader who cannot read the page can still find theirs.
LANGUAGE_NAMES = {"zh_TW": "中文", "en": "English"}
HTML_LANG = {"zh_TW": "zh-Hant-TW", "en": "en"}

language = Blueprint("language", __name__)
# Parsed once: Babel's Locale.parse of a name looks through every locale it knows.
LOCALE_OBJECTS = {code: Locale.parse(code) for code in LOCALES}


def select_locale() -> str:
    """The remembered choice, else the browser's preference among ours, else zh-TW."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    if not request.headers.get("Accept-Language"):
        return DEFAULT_LOCALE  # nothing to choose from (and nothing to parse)
    # werkzeug falls back to the primary subtag: zh-CN and zh-Hant get zh-TW, en-GB gets en.
    best = request.accept_languages.best_match(["zh-TW", "en"])
    return {"zh-TW": "zh_TW", "en": "en"}.get(best or "", DEFAULT_LOCALE)


def babel_locale() -> Locale:
    """Flask-Babel's locale selector: ``select_locale()`` as a Locale parsed once per process."""
    return LOCALE_OBJECTS[select_locale()]


def current_locale() -> str:
    """The request's locale as one of LOCALES (zh-TW outside a request)."""
    locale = get_locale()
    # Babel parses zh_TW as zh_Hant_TW: compare languages, not names.
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LOCALE


def text_language() -> str:
    """The request's language as the catalogue and the notices write it: ``zh-TW`` or ``en``."""
    return "en" if current_locale() == "en" else "zh-TW"


def _safe_next(target: str | None) -> str:
    """A path on this site to go back to; anything else (another host, ``//evil``) goes home."""
    return local_path(target) or "/"


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
    """What every template gets: the locale, the ``lang`` attribute, the chooser's links, and
    ``_()`` bound to the request's catalogue (see page_gettext)."""
    locale = current_locale()
    return {
        "current_locale": locale,
        "html_lang": HTML_LANG[locale],
        "language_links": language_links(),
        "_": page_gettext(get_translations()),
    }


def page_gettext(translations: NullTranslations) -> Callable[..., Markup]:
    """A page's ``_()``: Jinja's newstyle gettext over ``translations``, found once per page.

    Flask-Babel's ``_()`` finds the request's catalogue again at each of a page's thirty-odd
    calls; a template context value (Flask's documented context processor) is found once. Macros
    imported without context keep Flask-Babel's global ``_()``, with the same answers.
    """

    def gettext(string: str, /, **variables: object) -> Markup:
        # As Jinja's newstyle gettext in an autoescaped template: the translation is trusted
        # (it is ours), the variables are escaped into it, and it is always a format string.
        # Most of a page's texts have no "%" at all, and formatting those changes nothing.
        translated = Markup(translations.ugettext(string))  # noqa: S704
        return translated % variables if variables or "%" in translated else translated

    return gettext


def N_(string: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a msgid for extraction where it is translated when shown (Flask-Babel's gettext)."""
    return string


def folder_names(locale: Locale) -> list[str]:
    """The catalogue folders to try for ``locale``, most specific first.

    Babel parses ``zh_TW`` as ``zh_Hant_TW``, a name gettext never shortens to ``zh_TW``, the
    folder pybabel makes; so the language and territory are tried before Babel's full name.
    """
    names = [str(locale), locale.language]
    if locale.territory:
        names.insert(0, f"{locale.language}_{locale.territory}")
    return list(dict.fromkeys(names))


class CatalogueDomain(Domain):
    """Flask-Babel's Domain, finding the ``zh_TW`` folder for Babel's ``zh_Hant_TW``.

    Several domains (``"messages;counter"``) are merged into one catalogue, later ones winning,
    paired with the translation directories by position as Flask-Babel pairs them.
    """

    def get_translations(self) -> NullTranslations:
        """The merged catalogue of the request's locale, loaded once per process and locale."""
        locale = get_locale()
        if locale is None:
            return NullTranslations()  # outside a request, as Flask-Babel's own
        return self.catalogue(locale)

    def catalogue(self, locale: Locale) -> NullTranslations:
        """The merged catalogue of ``locale``, loaded once per process."""
        # Not str(locale): Babel builds that name anew each time, and every _() asks.
        key = (locale.language, locale.territory)
        known: NullTranslations | None = self.cache.get(key)
        if known is None:
            known = self.cache[key] = self._load(locale)
        return known

    def _load(self, locale: Locale) -> NullTranslations:
        directories = list(self.translation_directories)
        domains = self.domain * len(directories) if len(self.domain) == 1 else self.domain
        merged: NullTranslations = NullTranslations()
        for directory, domain in zip(directories, domains, strict=False):
            loaded = Translations.load(directory, folder_names(locale), domain)
            if not isinstance(loaded, Translations):
                continue  # no catalogue of this domain for the locale (English)
            # The first catalogue is the base: it carries the language's plural rule, which
            # merge() does not copy (Chinese has one form where English has two).
            if isinstance(merged, Translations):
                merged.merge(loaded)
            else:
                merged = loaded
        return merged


class CatalogueBabel(Babel):
    """Flask-Babel whose default domain is a CatalogueDomain of every domain in BABEL_DOMAIN."""

    @cached_property
    def domain_instance(self) -> Domain:
        """The default domain (Flask-Babel's documented property, with the class above)."""
        return CatalogueDomain(domain=self.domain)
