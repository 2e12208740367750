"""Flask extensions, created here once and bound to the app in ``create_app()``.

Blueprints import them from here (``from web.core.extensions import limiter``) so that no module
needs the app itself. Each is used as its documentation says, nothing replaced inside.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from config import Settings
from web.core.i18n import DEFAULT_LOCALE, TRANSLATIONS, CatalogueBabel, babel_locale

babel = CatalogueBabel()
csrf = CSRFProtect()
# The client address: the peer, or behind TRUSTED_PROXIES the hop they forward (web.core.clients).
limiter = Limiter(key_func=get_remote_address)


def init_extensions(app: Flask, settings: Settings) -> None:
    """Configure and bind Babel, CSRF and the rate limiter to ``app``."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Taipei")
    # One catalogue per area, merged at load: the public pages' and the counter console's.
    app.config.setdefault("BABEL_DOMAIN", "messages;counter")
    # Flask-Babel pairs directories with domains by position: the same folder for both.
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", f"{TRANSLATIONS};{TRANSLATIONS}")
    babel.init_app(app, locale_selector=babel_locale)

    # A form may sit open at the counter for a while; the token lives as long as the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Strict mode compares the Referer over https, but Referrer-Policy: no-referrer means there is
    # none; the token plus SameSite=Lax cookies is the check.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    # Templates call Flask-WTF's own csrf_token() (generate_csrf), as its documentation shows.
    csrf.init_app(app)

    # Set every time: Flask-Limiter keeps the last app's value on the shared instance otherwise.
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tracker")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis carries counters, not truth: if it is down, count in this process rather than fail.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
