"""Languages: which one a request gets, the chooser behind every page's links, the catalogues.

Translations are read from the ``.po`` files themselves and compiled in memory (once per file
version), so there is no ``.mo`` to forget to rebuild or to fight over in a merge: editing a
``.po`` is enough, and a fresh ``pip install -e .`` shows Chinese at once.
"""

from __future__ import annotations

import os
import time
from functools import cached_property, lru_cache
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Blueprint, Flask, Response, current_app, redirect, request
from flask.globals import _cv_app
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


def _babel_context() -> SimpleNamespace | None:
    """Flask-Babel's per-request namespace (``g._flask_babel``) if it exists yet, else None.

    Read without Flask's context-local proxies: a page asks for its locale and translations
    dozens of times.
    """
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    context: SimpleNamespace | None = app_context.g.__dict__.get("_flask_babel")
    return context


def current_locale() -> str:
    """The request's locale as one of LOCALES."""
    context = _babel_context()
    locale = getattr(context, "babel_locale", None)
    if locale is None:
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


# How often (seconds) a process looks at the .po files' modification times again.
RECHECK_SECONDS = 2.0
_resolved: dict[tuple[object, ...], tuple[float, NullTranslations]] = {}


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
    """Every domain's catalogue for ``locale`` from every directory, merged into one.

    Compiled once per file version and kept in the process; the files' mtimes are looked at
    again after RECHECK_SECONDS, so an edited ``.po`` shows within that.
    """
    key = (directories, domains, str(locale))
    now = time.monotonic()
    known = _resolved.get(key)
    if known is not None and now - known[0] < RECHECK_SECONDS:
        return known[1]
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
    translations = _merged(tuple(files))
    _resolved[key] = (now, translations)
    return translations


class CatalogueDomain(Domain):
    """Flask-Babel's domain, reading every configured domain's ``.po`` (see the module doc)."""

    def get_translations(self) -> NullTranslations:
        """The merged translations for the request's locale (untranslated outside a request)."""
        context = _babel_context()
        # Every _() asks again: resolve them once per request. The slot is Flask-Babel's own,
        # which refresh() and force_locale() clear and restore when the locale changes.
        cached = getattr(context, "babel_translations", None)
        if cached is not None and cached[0] is self:
            return cached[1]  # type: ignore[no-any-return]
        locale = getattr(context, "babel_locale", None) or get_locale()
        if locale is None:
            return NullTranslations()
        app_context = _cv_app.get()
        # The app's configured folders unless this domain has its own (Flask-Babel's property
        # reaches them through two context-local lookups).
        directories = self._translation_directories or (
            app_context.app.extensions["babel"].translation_directories
        )
        translations = load_translations(tuple(directories), tuple(self.domain), locale)
        context = _babel_context()  # get_locale() made it
        if context is not None:
            context.babel_translations = (self, translations)
        return translations


def request_translations() -> NullTranslations:
    """The request's translations, from the per-request slot when it is filled."""
    cached = getattr(_babel_context(), "babel_translations", None)
    if cached is not None:
        return cached[1]  # type: ignore[no-any-return]
    return get_translations()


def gettext_now(string: str) -> str:
    """``string`` in the request's language: Flask-Babel's gettext without its lookups."""
    return request_translations().ugettext(string)


def N_(string: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a msgid for extraction where it is translated when shown (gettext_now)."""
    return string


class CatalogueBabel(Babel):
    """Flask-Babel with the catalogue domain above as its default domain."""

    @cached_property
    def domain_instance(self) -> Domain:
        """The default domain: every domain named in ``BABEL_DOMAIN``."""
        return CatalogueDomain(domain=self.domain)

    def init_app(self, app: Flask, *args: object, **kwargs: object) -> None:
        """Flask-Babel's setup, with template gettext callables that skip its lookups."""
        super().init_app(app, *args, **kwargs)  # type: ignore[arg-type]
        app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda s: request_translations().ugettext(s),
            ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
            newstyle=True,
            pgettext=lambda c, s: request_translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        )
        # ``{{ _("...") }}`` is the common case: one plain call instead of Jinja's two context
        # calls, with the same result in the (autoescaped, .html) templates.
        app.jinja_env.globals["_"] = template_gettext


def template_gettext(string: str, /, **variables: object) -> Markup:
    """Jinja's newstyle ``_()`` in an autoescaped template: the translation, marked safe, with
    the variables escaped into it."""
    # Msgids and translations are ours (the catalogues), trusted as Jinja's own _() trusts them.
    translated = Markup(request_translations().ugettext(string))  # noqa: S704
    # Most calls have no variables: Markup's % would still scan and copy the text.
    return translated % variables if variables else translated
